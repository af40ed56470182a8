<%inherit file="layout.mako"/>
<%block name="title">Notifications · ${settings.instance_name}</%block>
<h1>Notifications</h1>
<form method="post" action="/notifications" class="inline">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="read-all">
  <button type="submit" class="button">Mark all as read</button>
</form>
% if items:
<ul class="notifications">
% for n, text, link in items:
  <li class="${'' if n.read else 'unread'}"><a href="${link}">${text}</a> <time class="meta">${n.created_at.strftime('%d %b %Y %H:%M')}</time></li>
% endfor
</ul>
% else:
<p class="empty">Nothing yet.</p>
% endif
<h2>What to be told about</h2>
<form method="post" action="/notifications" class="form-page">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="settings">
% for name, label in labels.items():
  <label class="check"><input type="checkbox" name="${name}" value="1" ${'checked' if choices[name] else ''}> ${label}</label>
% endfor
  <button type="submit" class="button primary">Save</button>
</form>
