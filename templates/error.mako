<%inherit file="layout.mako"/>
<%block name="title">${heading} · ${settings.instance_name}</%block>
<section class="error">
  <h1>${status} · ${heading}</h1>
  <p>${detail}</p>
  % if invalid:
  <ul>
  % for name, (value, msg) in invalid.items():
    <li><strong>${name}</strong>: ${msg}</li>
  % endfor
  </ul>
  % endif
  <p><a href="/">Back to the home page</a></p>
</section>
