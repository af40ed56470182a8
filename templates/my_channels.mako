<%inherit file="layout.mako"/>
<%block name="title">My channels · ${settings.instance_name}</%block>
<h1>My channels</h1>
% if deleted:
<p class="notice" role="status">The channel “${deleted}” was deleted.</p>
% endif
<ul class="channels">
% for c in channels:
  <li><a href="/c/${c.name}">${c.display_name}</a> <span class="handle">@${c.name}@${settings.host}</span> · <a href="/c/${c.name}/edit">Customize</a></li>
% endfor
</ul>
<section class="form-page">
<h2>New channel</h2>
<form method="post" action="/my-channels">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label>Name (in its address) <input name="name" value="${values.get('name', '')}" required pattern="[a-z0-9][a-z0-9._]{0,48}"></label>
  % if errors.get('name'):
  <p class="field-error">${errors['name']}</p>
  % endif
  <label>Display name <input name="displayName" value="${values.get('displayName', '')}" required maxlength="120"></label>
  % if errors.get('displayName'):
  <p class="field-error">${errors['displayName']}</p>
  % endif
  <label>Description (Markdown) <textarea name="description" rows="3">${values.get('description', '')}</textarea></label>
  <button type="submit" class="button primary">Create</button>
</form>
</section>
