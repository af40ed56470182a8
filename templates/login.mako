<%inherit file="layout.mako"/>
<%block name="title">Sign in · ${settings.instance_name}</%block>
<section class="form-page">
<h1>Sign in</h1>
% if error:
<p class="alert" role="alert">${error}</p>
% endif
<form method="post" action="/login">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <input type="hidden" name="next" value="${next}">
  <label>Username <input name="username" value="${username}" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit" class="button primary">Sign in</button>
</form>
% if settings.registration_open:
<p>No account yet? <a href="/signup">Create one</a>.</p>
% endif
</section>
