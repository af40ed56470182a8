<%inherit file="layout.mako"/>
<%namespace file="_state.mako" import="state"/>
<%namespace name="cards" file="_videos.mako"/>
<%namespace name="player_ui" file="_player.mako"/>
<%namespace name="subscribe" file="_subscribe.mako"/>
<%namespace name="talk" file="_comments.mako"/>
<%namespace name="sharing" file="_share.mako"/>
<%namespace name="moderating" file="_moderation.mako"/>
<%!
from urllib.parse import quote
from app.markdown import render
from app.videos import short_uuid
from app.constants import CATEGORIES, LICENCES, LANGUAGES
from app.serialize import torrent_fields
%>
<%block name="title">${video.name} · ${settings.instance_name}</%block>
<%block name="head">
<meta property="og:type" content="video.other">
<meta property="og:site_name" content="${settings.instance_name}">
<meta property="og:title" content="${video.name}">
<meta property="og:description" content="${(video.description or '')[:200]}">
<meta property="og:url" content="${settings.base_url}/w/${short_uuid(video.uuid)}">
% if video.preview:
<meta property="og:image" content="${settings.base_url}/lazy-static/previews/${video.uuid}.jpg">
% endif
% if video.state == 'published':
<meta property="og:video:url" content="${settings.base_url}/videos/embed/${video.uuid}">
<meta property="og:video:type" content="text/html">
% endif
<meta name="twitter:card" content="player">
<link rel="alternate" type="application/json+oembed" href="${settings.base_url}/services/oembed?url=${settings.base_url}/w/${short_uuid(video.uuid)}" title="${video.name}">
<link rel="canonical" href="${settings.base_url}/w/${short_uuid(video.uuid)}">
% if video.state in ('uploaded', 'transcoding'):
<noscript><meta http-equiv="refresh" content="10"></noscript>
% endif
% if video.privacy != 1:
<meta name="robots" content="noindex">
% endif
</%block>
<article class="watch">
% if video.state == 'published' and video.hls_master:
  <div class="player">
    ${player_ui.video_tag(video, master_url, player)}
    ${player_ui.storyboard(video, player)}
    <p id="player-error" class="alert" role="alert" hidden></p>
  </div>
  <div class="player-bar">
    ${player_ui.p2p_bar(player)}
    % if any(f.resolution for f in files):
    <label hidden>Quality <select id="quality"><option value="-1">Auto</option>
    % for f in files:
      <option value="${f.resolution}">${f"{f.resolution}p" if f.resolution else "Audio"}</option>
    % endfor
    </select></label>
    % endif
  </div>
% else:
  ${state(video)}
% endif
  <h1>${video.name}</h1>
  <p class="meta">
    <span class="views">${cards.module.views(video.views)}</span>
    % if video.duration:
    · <span class="duration">${cards.module.duration(video.duration)}</span>
    % endif
    · <time datetime="${(video.published_at or video.created_at).isoformat()}Z">${(video.published_at or video.created_at).strftime('%d %B %Y')}</time>
    % if video.privacy != 1:
    · <span class="badge">${'Unlisted' if video.privacy == 2 else 'Private'}</span>
    % endif
    % if video.nsfw:
    · <span class="badge">Sensitive content</span>
    % endif
  </p>
  <% channel = video.channel; account = channel.account %>
  <div class="byline">
    <a class="channel" href="${cards.module.channel_path(channel)}">
    % if avatars:
      <img class="avatar" src="${avatars[0]['path']}" alt="" width="48" height="48">
    % endif
      <span>${channel.display_name}</span></a>
    <span class="handle">@${channel.name}@${channel.host or settings.host} · by
      <a href="/a/${account.name if account.is_local else account.name + '@' + account.host}">${account.display_name}</a></span>
    ${subscribe.panel(channel, subscribed)}
    ${talk.rating(video, rating)}
    % if user:
    <a class="report" href="/report?video=${video.uuid}" hx-get="/report?video=${video.uuid}" hx-target="#report-slot">Report</a>
    % endif
  </div>
  <div id="report-slot"></div>
  % if can_manage:
  <div class="actions">
    <a class="button" href="/videos/${video.uuid}/edit">Edit</a>
    % if video.state == 'failed':
    <form method="post" action="/videos/${video.uuid}/retry" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="button">Retry processing</button>
    </form>
    % endif
    <a class="button danger" href="/videos/${video.uuid}/delete">Delete</a>
  </div>
  % endif
  ${moderating.block_panel(video, block, can_manage)}
  % if video.state == 'published' and video.download_enabled and video.is_local and files:
  <details class="share download">
    <summary>Download</summary>
    <ul>
    % for f in files:
      <% t = torrent_fields(settings, video, f) %>
      <li>${f"{f.resolution}p" if f.resolution else "Audio"}:
        <a href="/download/streaming-playlists/hls/videos/${video.uuid}-${f.resolution}-fragmented.mp4" download>MP4</a>
        % if t['torrentUrl']:
        · <a href="${t['torrentDownloadUrl']}">Torrent</a> · <a href="${t['magnetUri']}">Magnet link</a>
        % endif
        <span class="meta">(${f"{f.size / 1024**2:.1f}"} MB)</span></li>
    % endfor
    </ul>
  </details>
  % endif
  % if video.state == 'published' and video.privacy != 3:
  ${sharing.share(video, share_start)}
  % endif
  % if len(video.description or '') > 400 or (video.description or '').count('\n') > 6:
  <input type="checkbox" id="more-description" class="fold-toggle">
  <div class="description folded">${render(video.description, heading_below=1) | n}</div>
  <label for="more-description" class="fold-label"></label>
  % else:
  <div class="description">${render(video.description, heading_below=1) | n}</div>
  % endif
  <dl class="details">
    % if video.category:
    <dt>Category</dt><dd>${CATEGORIES.get(video.category, '')}</dd>
    % endif
    % if video.licence:
    <dt>Licence</dt><dd>${LICENCES.get(video.licence, '')}</dd>
    % endif
    % if video.language:
    <dt>Language</dt><dd>${LANGUAGES.get(video.language, video.language)}</dd>
    % endif
    % if video.tags:
    <dt>Tags</dt><dd>
    % for t in video.tags:
      <a class="tag" href="/search?q=${quote('#' + t)}">#${t}</a>
    % endfor
    </dd>
    % endif
  </dl>
  ${talk.section(comments)}
  % if more_videos:
  <section class="more-from">
    <h2>More from ${channel.display_name}</h2>
    <div class="grid">
    % for v in more_videos:
    ${cards.card(v)}
    % endfor
    </div>
  </section>
  % endif
</article>
% if video.state == 'published' and video.hls_master:
${player_ui.scripts(player)}
% endif
