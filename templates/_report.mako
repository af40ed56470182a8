## The report form (a page, or a fragment swapped in under HTMX) and its thanks.
<%def name="form(target, ref, values, errors, labels)">
<%
  kind = ref['kind']
  what = {'video': 'this video', 'comment': 'this comment', 'account': 'this account'}[kind]
  chosen = set(values.get('predefinedReasons') or [])
%>
<form method="post" action="/report?${kind}=${ref['id']}" class="report-form" id="report-form"
  hx-post="/report?${kind}=${ref['id']}" hx-target="this" hx-swap="outerHTML">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <h2>Report ${what}</h2>
  <fieldset>
    <legend>What is wrong</legend>
    % for name, label in labels.items():
    <label class="check"><input type="checkbox" name="predefinedReasons" value="${name}" ${'checked' if name in chosen else ''}> ${label}</label>
    % endfor
    % if errors.get('predefinedReasons'):
    <p class="field-error" role="alert">${errors['predefinedReasons']}</p>
    % endif
  </fieldset>
  <label>Tell the moderators more (2 to 3,000 characters)
    <textarea name="reason" rows="4" maxlength="3000" required>${values.get('reason', '')}</textarea>
  </label>
  % if errors.get('reason'):
  <p class="field-error" role="alert">${errors['reason']}</p>
  % endif
  % if kind == 'video':
  <label>From (seconds, optional) <input name="startAt" inputmode="numeric" size="6" value="${values.get('startAt', '')}"></label>
  % if errors.get('startAt'):
  <p class="field-error" role="alert">${errors['startAt']}</p>
  % endif
  <label>To (seconds, optional) <input name="endAt" inputmode="numeric" size="6" value="${values.get('endAt', '')}"></label>
  % if errors.get('endAt'):
  <p class="field-error" role="alert">${errors['endAt']}</p>
  % endif
  % endif
  <button type="submit" class="button primary">Send the report</button>
</form>
</%def>

<%def name="done()">
<p class="notice" role="status" id="report-form">Thank you: the moderators have your report.
  Follow it on <a href="/my-abuses">My reports</a>.</p>
</%def>
