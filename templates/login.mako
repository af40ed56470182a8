<%inherit file="layout.mako"/>
<%! from app.registrations import policy as signup_policy %>
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
% if signup_policy(settings).allowed:
<p>No account yet? <a href="/signup">${'Ask to join' if signup_policy(settings).requires_approval else 'Create one'}</a>.</p>
% endif
</section>
