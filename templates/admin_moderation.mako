<%inherit file="layout.mako"/>
<%namespace file="_mutes.mako" import="mutes"/>
<%block name="title">Moderation · ${settings.instance_name}</%block>
<h1>Moderation</h1>
% if saved:
<p class="notice" role="status">Saved.</p>
% endif
<section>
<h2>Blocked videos</h2>
% if user.is_admin:
<form method="post" action="/admin/moderation">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="auto_block">
  <label class="check"><input type="checkbox" name="enabled"${' checked' if auto_block else ''}>
    New videos of users not marked as trusted wait for a moderator before anyone else sees them</label>
  <button type="submit" class="button">Save</button>
</form>
% endif
% if blocked:
<table class="admin">
<thead><tr><th>Video</th><th>Why</th><th>Since</th><th></th></tr></thead>
<tbody>
% for b in blocked:
<tr><td><a href="/videos/watch/${b.video.uuid}">${b.video.name}</a></td>
<td>${'Waiting for a moderator' if b.kind == 2 else (b.reason or '—')}${' (deleted on other servers)' if b.unfederated else ''}</td>
<td>${b.created_at.strftime('%Y-%m-%d %H:%M')} UTC</td><td>
  <form method="post" action="/videos/${b.video.uuid}/unblock" class="inline">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <button type="submit" class="button">${'Publish it' if b.kind == 2 else 'Unblock'}</button></form>
</td></tr>
% endfor
</tbody></table>
% else:
<p>None.</p>
% endif
</section>
<h2>Muted for the whole server</h2>
<p>Their videos and comments leave every list, search and feed here, their comments and
follows are refused. Other servers are not told.</p>
${mutes("/admin/moderation", accounts, hosts)}
