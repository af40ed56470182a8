<%doc>Muted accounts and servers, with the forms to add and remove them (user's or server's).</%doc>
<%def name="mutes(action, accounts, hosts)">
<section>
<h2>Accounts</h2>
<form method="post" action="${action}" class="row-form">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="mute_account">
  <label>Account <input name="account" required placeholder="name, or name@video.example.org"></label>
  <button type="submit" class="button">Mute</button>
</form>
% if accounts:
<ul class="plain">
% for m in accounts:
  <li>${m.account.display_name} <span class="handle">@${m.account.name}${'@' + m.account.host if m.account.host else ''}</span>
    <form method="post" action="${action}" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="unmute">
      <input type="hidden" name="mute" value="${m.id}"><button type="submit" class="link">Unmute</button></form></li>
% endfor
</ul>
% else:
<p class="meta">None.</p>
% endif
</section>
<section>
<h2>Servers</h2>
<form method="post" action="${action}" class="row-form">
  <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="mute_host">
  <label>Server <input name="host" required placeholder="video.example.org"></label>
  <button type="submit" class="button">Mute</button>
</form>
% if hosts:
<ul class="plain">
% for m in hosts:
  <li>${m.host}
    <form method="post" action="${action}" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}"><input type="hidden" name="action" value="unmute">
      <input type="hidden" name="mute" value="${m.id}"><button type="submit" class="link">Unmute</button></form></li>
% endfor
</ul>
% else:
<p class="meta">None.</p>
% endif
</section>
</%def>
