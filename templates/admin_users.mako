<%inherit file="layout.mako"/>
<%block name="title">Users · ${settings.instance_name}</%block>
<%def name="mb(n)">${'unlimited' if n < 0 else f"{n / 1024**2:.1f} MB"}</%def>
<%def name="row(row, error=None)">
<% u = row['user'] %>
<tr id="user-${u.id}">
  <td><a href="/a/${u.username}">${u.username}</a></td>
  <td>${mb(row['used'])}</td>
  <td colspan="3">
    <form method="post" action="/admin/users/${u.id}" class="row-form" hx-post="/admin/users/${u.id}" hx-target="#user-${u.id}" hx-swap="outerHTML">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <label>Quota (MB, -1 unlimited) <input name="quota_mb" size="8" value="${-1 if u.video_quota < 0 else round(u.video_quota / 1024**2, 1)}"></label>
      <label>Role <select name="role">
      % for value, label in ((0, 'Administrator'), (1, 'Moderator'), (2, 'User')):
        <option value="${value}" ${'selected' if u.role == value else ''}>${label}</option>
      % endfor
      </select></label>
      <label class="check"><input type="checkbox" name="blocked" ${'checked' if u.blocked else ''}> Blocked</label>
      <label class="check"><input type="checkbox" name="trusted" ${'checked' if u.admin_flags & 1 else ''}> Trusted (new videos skip the auto-block)</label>
      <button type="submit" class="button">Save</button>
      % if error:
      <span class="field-error" role="alert">${error}</span>
      % endif
    </form>
  </td>
</tr>
</%def>
<h1>Users</h1>
<table class="admin">
<thead><tr><th>User</th><th>Used</th><th colspan="3">Quota, role, blocked, trusted</th></tr></thead>
<tbody>
% for r in rows:
${row(r)}
% endfor
</tbody>
</table>
