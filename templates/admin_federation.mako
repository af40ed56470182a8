<%inherit file="layout.mako"/>
<%block name="title">Federation · ${settings.instance_name}</%block>
<%def name="hidden(action)">
<input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="${action}">
</%def>
<h1>Federation</h1>
<section>
<h2>Servers this one follows</h2>
<form method="post" action="/admin/federation" class="row-form">
  ${hidden('follow')}
  <label>Host <input name="host" value="${host}" placeholder="video.example.org" required
    % if error:
    aria-invalid="true" aria-describedby="follow-error"
    % endif
  ></label>
  <button type="submit" class="button primary">Follow</button>
</form>
% if error:
<p class="field-error" id="follow-error" role="alert">${error}</p>
% endif
% if requests:
<h3>Asked, not sent yet</h3>
<table class="admin">
<thead><tr><th>Server</th><th>State</th><th>Last error</th><th></th></tr></thead>
<tbody>
% for r in requests:
<tr><td>${r['host']}</td>
<td>${'failed' if r['failed'] else 'waiting'} after ${r['attempts']} ${'try' if r['attempts'] == 1 else 'tries'}, ${r['updated_at'].strftime('%Y-%m-%d %H:%M')} UTC</td>
<td>${r['error'] or '—'}</td><td>
  <form method="post" action="/admin/federation" class="inline">${hidden('forget')}<input type="hidden" name="job" value="${r['job']}">
    <button type="submit" class="button">Forget</button></form>
</td></tr>
% endfor
</tbody></table>
% endif
<table class="admin">
<thead><tr><th>Server</th><th>State</th><th></th></tr></thead>
<tbody>
% for f in following:
<tr><td>${f.target.host}</td><td>${f.state}</td><td>
  <form method="post" action="/admin/federation" class="inline">${hidden('unfollow')}
    <input type="hidden" name="host" value="${f.target.host}">
    <button type="submit" class="button danger">Stop following</button></form>
</td></tr>
% endfor
</tbody></table>
</section>
<section>
<h2>Followers of this server</h2>
<p class="meta">Other servers' follows of this one are ${policies[policy]}.</p>
<form method="post" action="/admin/federation">${hidden('policy')}
  <fieldset><legend>Other servers following this one</legend>
  % for key, label in policies.items():
  <label class="check"><input type="radio" name="policy" value="${key}"${' checked' if key == policy else ''}> ${label[0].upper() + label[1:]}</label>
  % endfor
  </fieldset>
  <button type="submit" class="button">Save</button>
</form>
<table class="admin">
<thead><tr><th>Follower</th><th>State</th><th></th></tr></thead>
<tbody>
% for f in followers:
<tr><td>${f.follower.name}@${f.follower.host}</td><td>${f.state}</td><td>
  % if f.state != 'accepted':
  <form method="post" action="/admin/federation" class="inline">${hidden('accept')}<input type="hidden" name="follow" value="${f.id}"><button type="submit" class="button">Accept</button></form>
  % endif
  % if f.state == 'pending':
  <form method="post" action="/admin/federation" class="inline">${hidden('reject')}<input type="hidden" name="follow" value="${f.id}"><button type="submit" class="button">Reject</button></form>
  % endif
  <form method="post" action="/admin/federation" class="inline">${hidden('remove')}<input type="hidden" name="follow" value="${f.id}"><button type="submit" class="button danger">Remove</button></form>
</td></tr>
% endfor
</tbody></table>
</section>
<section>
<h2>Servers not receiving</h2>
% if undelivered:
<table class="admin">
<thead><tr><th>Server</th><th>Waiting</th><th>Given up</th><th>Last answer</th><th>When</th></tr></thead>
<tbody>
% for u in undelivered:
<tr><td>${u['host']}</td><td>${u['pending']}</td><td>${u['failed']}</td>
<td>${u['last_status'] or 'no answer'} ${u['last_error']}</td><td>${u['updated_at'].strftime('%Y-%m-%d %H:%M')} UTC</td></tr>
% endfor
</tbody></table>
% else:
<p class="empty">Every server received everything.</p>
% endif
</section>
