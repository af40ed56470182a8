<%inherit file="layout.mako"/>
<%namespace file="_quota.mako" import="size"/>
<%block name="title">Mirrors · ${settings.instance_name}</%block>
<%!
TITLES = {"most-views": "Most viewed", "trending": "Trending", "recently-added": "Recently added"}
def gb(n):
    return f"{n / 1024**3:g}"
def when(t):
    return t.strftime('%Y-%m-%d %H:%M') + ' UTC' if t else 'never'
%>
<%def name="hidden(action)">
<input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="${action}">
</%def>
<%def name="invalid(field)">${' aria-invalid="true" aria-describedby="redundancy-error"' if error_field == field else '' | n}</%def>
<h1>Mirrors</h1>
% if saved:
<p class="notice" role="status">Saved.</p>
% endif
% if error:
<p class="field-error" id="redundancy-error" role="alert">${error}</p>
% endif
<p>This server can keep copies of other servers' videos and serve them to viewers, so a video
stays watchable when its server is slow or gone and a popular video's load is shared. The
video's server is told (ActivityPub <code>CacheFile</code>) and lists this server as a mirror.</p>

<section>
<h2>Disk</h2>
<table class="admin">
<thead><tr><th>Copies</th><th>Videos</th><th>Disk used</th><th>Budget</th></tr></thead>
<tbody>
% for row in usage:
<% s = row['strategy'] %>
<tr><td>${TITLES[s.name] if s else 'Chosen by hand'}</td><td>${row['count']}</td>
<td>${size(row['used'])}
% if s:
 <meter min="0" max="${s.size}" value="${min(row['used'], s.size)}" aria-label="${TITLES[s.name]}: disk used of its budget">${size(row['used'])}</meter>
% endif
</td><td>${size(s.size) if s else 'none'}</td></tr>
% endfor
</tbody></table>
<p class="meta">${size(free)} free on the media disk; nothing is copied that would leave less than ${size(policy.free_floor)}.</p>
% if last_run:
<details><summary>Last run of the strategies: ${last_run['at'][:16].replace('T', ' ')} UTC</summary>
<ul>
% for note in last_run['notes']:
<li>${note}</li>
% endfor
% if not last_run['notes']:
<li>Nothing to do.</li>
% endif
</ul></details>
% endif
</section>

<section>
<h2>Servers that may be mirrored</h2>
% if not hosts:
<p>This server follows no server yet (see <a href="/admin/federation">Federation</a>): it mirrors
only videos of servers it follows.</p>
% else:
<table class="admin">
<thead><tr><th>Server</th><th>Mirrored by the strategies</th><th></th></tr></thead>
<tbody>
% for host in hosts:
<% allowed = host in policy.hosts %>
<tr><td>${host}</td><td>${'yes' if allowed else 'no'}</td><td>
  <form method="post" action="/admin/redundancy" class="inline">${hidden('forbid' if allowed else 'allow')}
    <input type="hidden" name="host" value="${host}">
    <button type="submit" class="button${' danger' if allowed else ''}">${'Stop mirroring' if allowed else 'Mirror its videos'}</button></form>
</td></tr>
% endfor
</tbody></table>
<p class="meta">Stopping removes this server's copies of that server's videos.</p>
% endif
</section>

<section class="form-page">
<h2>Strategies</h2>
<form method="post" action="/admin/redundancy">
  ${hidden('strategies')}
  % for name in names:
  <% s = policy.strategy(name) %>
  <fieldset>
    <legend>${TITLES[name]}</legend>
    <label class="check"><input type="checkbox" name="${name}.enabled"${' checked' if s else ''}>
      ${{'most-views': 'Mirror the videos with the most views', 'trending': 'Mirror the videos with the most views over the last two days', 'recently-added': 'Mirror the newest videos'}[name]}</label>
    <label>Disk budget (GB) <input name="${name}.size" inputmode="decimal" value="${gb(s.size) if s else '10'}"${invalid(name)}></label>
    <label>Keep each copy at least (hours) <input name="${name}.lifetime" inputmode="numeric" value="${s.min_lifetime // 3600 if s else '48'}"${invalid(name)}></label>
    % if name == 'recently-added':
    <label>Only videos with at least this many views <input name="${name}.views" inputmode="numeric" value="${s.min_views if s else '10'}"${invalid(name)}></label>
    % endif
  </fieldset>
  % endfor
  <label>Keep free on the media disk (GB) <input name="free_floor" inputmode="decimal" value="${gb(policy.free_floor)}"${invalid('free_floor')}></label>
  <p class="meta">Each strategy copies one video per run (every 15 minutes), the best it has not
  copied, and makes room for it by removing copies that rank lower and were kept for their
  minimum lifetime.</p>
  <button type="submit" class="button primary">Save</button>
</form>
</section>

<section>
<h2>Mirror one video</h2>
<form method="post" action="/admin/redundancy" class="row-form">
  ${hidden('mirror')}
  <label>Video address <input name="video" required placeholder="https://video.example.org/videos/watch/…"${invalid('video')}></label>
  <button type="submit" class="button primary">Mirror</button>
</form>
</section>

<section>
<h2>This server's copies</h2>
% if not copies:
<p>None.</p>
% else:
<table class="admin">
<thead><tr><th>Video</th><th>Chosen by</th><th>State</th><th>Size</th><th>Announced until</th><th></th></tr></thead>
<tbody>
% for m in copies:
<% v = videos.get(m.video_id) %>
<tr><td>${v.name if v else m.video_id}</td><td>${TITLES.get(m.strategy, 'an administrator')}</td>
<td>${m.state}${(': ' + m.error) if m.error else ''}</td><td>${size(m.size) if m.size else '—'}</td>
<td>${when(m.expires_at)}</td><td>
  <form method="post" action="/admin/redundancy" class="inline">${hidden('remove')}
    <input type="hidden" name="mirror" value="${m.id}">
    <button type="submit" class="button danger">Remove</button></form>
</td></tr>
% endfor
</tbody></table>
% endif
</section>

<section>
<h2>Other servers' copies of this server's videos</h2>
% if not received:
<p>None.</p>
% else:
<table class="admin">
<thead><tr><th>Video</th><th>Copy</th><th>Announced until</th></tr></thead>
<tbody>
% for m in received:
<% v = videos.get(m.video_id) %>
<tr><td>${v.name if v else m.video_id}</td><td>${m.file_url}</td><td>${when(m.expires_at)}</td></tr>
% endfor
</tbody></table>
% endif
</section>
