<%inherit file="layout.mako"/>
<%namespace name="cards" file="_videos.mako"/>
<%!
from app.constants import PRIVACIES
from app.videos import short_uuid
STATES = {"uploaded": "Waiting to be processed", "transcoding": "Processing",
          "published": "Published", "failed": "Processing failed"}
%>
<%block name="title">My videos · ${settings.instance_name}</%block>
<h1>My videos <a class="button primary" href="/videos/upload">Upload</a></h1>
% if deleted:
<p class="notice" role="status">“${deleted}” was deleted.</p>
% endif
% if videos:
<p class="meta">${total} ${'video' if total == 1 else 'videos'}</p>
<table class="admin manager">
<thead><tr><th>Video</th><th>State</th><th>Privacy</th><th>Views</th><th>Date</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
% for v in videos:
<tr>
  <td class="video">
    % if v.thumbnail:
    <img src="/lazy-static/thumbnails/${v.uuid}.jpg" alt="" width="112" height="63" loading="lazy">
    % endif
    <a href="/w/${short_uuid(v.uuid)}">${v.name}</a></td>
  <td class="state-${v.state}">${STATES.get(v.state, v.state)}${f" ({v.progress}%)" if v.state == 'transcoding' else ''}</td>
  <td>${PRIVACIES.get(v.privacy, '')}</td>
  <td>${cards.module.views(v.views)}</td>
  <td><time datetime="${v.created_at.isoformat()}Z">${v.created_at.strftime('%d %b %Y')}</time></td>
  <td class="actions">
    <a class="button" href="/videos/${v.uuid}/edit">Edit</a>
    <a class="button danger" href="/videos/${v.uuid}/delete">Delete</a>
  </td>
</tr>
% endfor
</tbody></table>
% if more:
<p><a class="button" href="${more}">Next page</a></p>
% endif
% else:
<p class="empty">You have not uploaded any video yet. <a href="/videos/upload">Upload your first one</a>.</p>
% endif
