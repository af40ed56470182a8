<%inherit file="layout.mako"/>
<%block name="title">Create an account · ${settings.instance_name}</%block>
<section class="form-page">
<h1>Create an account</h1>
% if closed:
<p class="alert" role="alert">Registration is closed on this server. Ask its administrator for an account.</p>
% else:
<form method="post" action="/signup">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label>Username <input name="username" value="${values.get('username', '')}" autocomplete="username" required pattern="[a-z0-9][a-z0-9._]{0,48}"></label>
  % if errors.get('username') or errors.get('channelName'):
  <p class="field-error">${errors.get('username') or errors.get('channelName')}</p>
  % endif
  <label>Display name <input name="display_name" value="${values.get('display_name', '')}"></label>
  <label>Email (optional) <input name="email" type="email" value="${values.get('email', '')}"></label>
  % if errors.get('email'):
  <p class="field-error">${errors['email']}</p>
  % endif
  <label>Password <input name="password" type="password" autocomplete="new-password" minlength="6" required></label>
  % if errors.get('password'):
  <p class="field-error">${errors['password']}</p>
  % endif
  <button type="submit" class="button primary">Create my account</button>
</form>
% endif
</section>
