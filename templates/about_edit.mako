<%inherit file="layout.mako"/>
<%block name="title">Edit the about page · ${settings.instance_name}</%block>
<section class="form-page wide">
<h1>About this server</h1>
<form method="post" action="/admin/about">
  <input type="hidden" name="_xsrf" value="${xsrf}">
% for key, (label, limit) in fields.items():
  % if limit > 300:
  <label>${label} <textarea name="${key}" rows="5" maxlength="${limit}">${values.get(key, '')}</textarea></label>
  % else:
  <label>${label} <input name="${key}" value="${values.get(key, '')}" maxlength="${limit}"></label>
  % endif
  % if error and error[0] == key:
  <p class="field-error" role="alert">${error[1]}</p>
  % endif
% endfor
  <button type="submit" class="button primary">Save</button>
</form>
</section>
