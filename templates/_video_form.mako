<%doc>The fields shared by the upload and edit forms.</%doc>
<%def name="fields(values, errors, categories, licences, languages, privacies)">
<%
def err(name):
    return errors.get(name)
%>
<label>Title <input name="name" value="${values.get('name') or ''}" minlength="3" maxlength="120" ${'required' if 'required' in values else ''}></label>
% if err('name'):
<p class="field-error">${err('name')}</p>
% endif
<label>Description (Markdown) <textarea name="description" rows="6">${values.get('description') or ''}</textarea></label>
% if err('description'):
<p class="field-error">${err('description')}</p>
% endif
<label>Tags (comma separated, up to 5) <input name="tags" value="${values.get('tags') or ''}"></label>
% if err('tags'):
<p class="field-error">${err('tags')}</p>
% endif
<div class="row">
<label>Category <select name="category"><option value="">—</option>
% for k, label in categories.items():
<option value="${k}" ${'selected' if str(values.get('category')) == str(k) else ''}>${label}</option>
% endfor
</select></label>
<label>Licence <select name="licence"><option value="">—</option>
% for k, label in licences.items():
<option value="${k}" ${'selected' if str(values.get('licence')) == str(k) else ''}>${label}</option>
% endfor
</select></label>
<label>Language <select name="language"><option value="">—</option>
% for k, label in languages.items():
<option value="${k}" ${'selected' if values.get('language') == k else ''}>${label}</option>
% endfor
</select></label>
<label>Privacy <select name="privacy">
% for k, label in privacies.items():
<option value="${k}" ${'selected' if str(values.get('privacy') or 1) == str(k) else ''}>${label}</option>
% endfor
</select></label>
</div>
<label class="check"><input type="checkbox" name="nsfw" ${'checked' if values.get('nsfw') else ''}> Sensitive content (NSFW)</label>
</%def>
