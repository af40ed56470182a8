<%inherit file="layout.mako"/>
<%block name="title">My reports · ${settings.instance_name}</%block>
<h1>My reports</h1>
% if not rows:
<p>You have reported nothing.</p>
% endif
% for abuse, about, messages in rows:
<article class="abuse" id="abuse-${abuse.id}">
  <h2>Report #${abuse.id}:
  % if about['link']:
    <a href="${about['link']}">${about['label']}</a>
  % else:
    ${about['label']}
  % endif
  </h2>
  <p class="state state-${abuse.state}">${abuse.state_enum.label}</p>
  % if abuse.reason_names:
  <p>${', '.join(labels.get(n, n) for n in abuse.reason_names)}</p>
  % endif
  <blockquote>${abuse.reason}</blockquote>
  <h3>Messages with the moderators</h3>
  % for m in messages:
  <div class="message ${'by-moderator' if m.by_moderator else ''}">
    <strong>${'Moderator' if m.by_moderator else 'You'}</strong>
    <time datetime="${m.created_at.isoformat()}Z">${m.created_at.strftime('%d %B %Y, %H:%M')}</time>
    <p>${m.message}</p>
  </div>
  % endfor
  <form method="post" action="/my-abuses/${abuse.id}/messages">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Write to the moderators <textarea name="message" rows="2" maxlength="3000" required></textarea></label>
    <button type="submit" class="button">Send</button>
  </form>
</article>
% endfor
