<%inherit file="layout.mako"/>
<%block name="title">${heading} · ${settings.instance_name}</%block>
<section class="confirm">
  <h1>${heading}</h1>
  <p>${consequence}</p>
  <form method="post" action="${action}" class="row-form">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    % for name, value in fields.items():
    <input type="hidden" name="${name}" value="${value}">
    % endfor
    <input type="hidden" name="confirm" value="yes">
    <button type="submit" class="button danger">${button}</button>
    <a class="button" href="${cancel}">Cancel</a>
  </form>
</section>
