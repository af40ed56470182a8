<%inherit file="layout.mako"/>
<%! from app.markdown import render %>
<%block name="title">${'Ask to join' if approval else 'Create an account'} · ${settings.instance_name}</%block>
<section class="form-page">
<h1>${'Ask to join' if approval else 'Create an account'}</h1>
% if closed:
<p class="alert" role="alert">Registration is closed on this server. Ask its administrator for an account.</p>
% elif sent:
<p class="notice" role="status">Your request to join was sent. It is waiting for a moderator. This server sends no email: sign in later with the username and password you chose to see the answer.</p>
% else:
% if approval:
<p>A moderator reads each request to join this server, and accepts or rejects it.</p>
% endif
% if errors.get('form'):
<p class="alert" role="alert">${errors['form']}</p>
% endif
<form method="post" action="/signup">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <label>Username <input name="username" value="${values.get('username', '')}" autocomplete="username" required pattern="[a-z0-9][a-z0-9._]{0,48}"></label>
  % if errors.get('username') or errors.get('channelName'):
  <p class="field-error">${errors.get('username') or errors.get('channelName')}</p>
  % endif
  <label>Display name <input name="display_name" value="${values.get('display_name', '')}"></label>
  % if errors.get('display_name'):
  <p class="field-error">${errors['display_name']}</p>
  % endif
  <label>Email (optional) <input name="email" type="email" value="${values.get('email', '')}"></label>
  % if errors.get('email'):
  <p class="field-error">${errors['email']}</p>
  % endif
  <label>Password <input name="password" type="password" autocomplete="new-password" minlength="6" required></label>
  % if errors.get('password'):
  <p class="field-error">${errors['password']}</p>
  % endif
  % if approval:
  <label>Why do you want to join? <textarea name="registration_reason" rows="4" maxlength="${reason_max}" required>${values.get('registration_reason', '')}</textarea></label>
  % if errors.get('registrationReason'):
  <p class="field-error">${errors['registrationReason']}</p>
  % endif
  % endif
  % if rules['codeOfConduct'] or rules['terms']:
  <section class="rules">
  <h2>The rules of this server</h2>
  % if rules['codeOfConduct']:
  <div class="description">${render(rules['codeOfConduct']) | n}</div>
  % endif
  % if rules['terms']:
  <h3>Terms</h3>
  <div class="description">${render(rules['terms']) | n}</div>
  % endif
  </section>
  <label class="check"><input type="checkbox" name="rules" required> I agree to the rules</label>
  % if errors.get('rules'):
  <p class="field-error">${errors['rules']}</p>
  % endif
  % endif
  <button type="submit" class="button primary">${'Send my request' if approval else 'Create my account'}</button>
</form>
% endif
</section>
