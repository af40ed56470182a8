<%inherit file="layout.mako"/>
<%block name="title">Registrations · ${settings.instance_name}</%block>
<section class="form-page">
<h1>Registrations</h1>
% if user.is_admin:
<form method="post" action="/admin/registrations">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <fieldset>
    <legend>Who may create an account</legend>
    % for key, label in modes.items():
    <label class="check"><input type="radio" name="mode" value="${key}"${' checked' if values.get('mode', policy.mode) == key else ''}> ${label}</label>
    % endfor
    % if errors.get('mode'):
    <p class="field-error" role="alert">${errors['mode']}</p>
    % endif
  </fieldset>
  <label>Sign-ups per address per hour (0: no limit)
    <input name="hourly_limit" inputmode="numeric" value="${values.get('hourly_limit', policy.hourly_limit)}"${' aria-invalid="true"' if errors.get('hourly_limit') else ''}></label>
  % if errors.get('hourly_limit'):
  <p class="field-error" role="alert">${errors['hourly_limit']}</p>
  % endif
  <p class="meta">The rules shown at sign-up, with an “I agree” box, are those of <a href="/about">the about page</a> (<a href="/admin/about">edit them</a>).</p>
  <button type="submit" class="button primary">Save</button>
</form>
% else:
<p>Sign-up on this server: ${modes[policy.mode]}.</p>
% endif

<h2>Requests to join</h2>
% if errors.get('form'):
<p class="alert" role="alert">${errors['form']}</p>
% endif
<p class="meta">${pending} waiting.
% for key, label in (('pending', 'Waiting'), ('rejected', 'Rejected'), ('accepted', 'Accepted'), ('all', 'All')):
% if key == state:
<strong>${label}</strong>
% else:
<a href="/admin/registrations?state=${key}">${label}</a>
% endif
% endfor
</p>
% if not rows:
<p>No requests here.</p>
% endif
% for r in rows:
<article class="registration" id="registration-${r.id}">
  <h3>${r.username} <span class="meta">(${r.account_display_name}${', ' + r.email if r.email else ''}) · ${r.state_enum.label} · asked ${r.created_at.strftime('%Y-%m-%d %H:%M')} UTC</span></h3>
  <blockquote>${r.registration_reason}</blockquote>
  % if r.moderation_response:
  <p>Response: ${r.moderation_response}</p>
  % endif
  % if r.state == 1:
  <form method="post" action="/admin/registrations/${r.id}/accept">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Response to the applicant (optional; shown when they sign in)
      <textarea name="moderation_response" rows="2" maxlength="${response_max}"></textarea></label>
    <button type="submit" class="button primary">Accept</button>
    <button type="submit" class="button" formaction="/admin/registrations/${r.id}/reject">Reject</button>
  </form>
  % else:
  <form method="post" action="/admin/registrations/${r.id}/delete">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <button type="submit" class="button">Delete this request${' (frees its username and email)' if r.state == 2 else ''}</button>
  </form>
  % endif
</article>
% endfor
</section>
