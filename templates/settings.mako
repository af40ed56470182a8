<%inherit file="layout.mako"/>
<%namespace file="_quota.mako" import="quota_line"/>
<%block name="title">Settings · ${settings.instance_name}</%block>
<section class="form-page">
<h1>Settings</h1>
<p class="meta quota">${quota_line(quota)}</p>
% if notice:
<p class="notice" role="status">${notice}</p>
% endif
% if errors.get('form'):
<p class="alert" role="alert">${errors['form']}</p>
% endif
<h2>Profile</h2>
<form method="post" action="/settings">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <input type="hidden" name="form" value="profile">
  <label>Display name <input name="display_name" value="${account.display_name}" maxlength="120" required></label>
  % if errors.get('display_name'):
  <p class="field-error">${errors['display_name']}</p>
  % endif
  <label>About you (Markdown) <textarea name="description" rows="4" maxlength="1000">${account.description}</textarea></label>
  % if errors.get('description'):
  <p class="field-error">${errors['description']}</p>
  % endif
  <label>Email <input name="email" type="email" value="${user.email or ''}"></label>
  % if errors.get('email'):
  <p class="field-error">${errors['email']}</p>
  % endif
  <button type="submit" class="button primary">Save</button>
</form>
<h2>Peer-to-peer</h2>
<form method="post" action="/settings">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <input type="hidden" name="form" value="p2p">
  <label class="check"><input type="checkbox" name="p2p_enabled"${' checked' if user.p2p_enabled else ''}>
    Share the videos I watch with other viewers (peer-to-peer)</label>
  <p class="meta">While a video plays, your browser fetches parts of it from other viewers and passes on
  what it has, which spares the server. The viewers you exchange with can see your IP address.</p>
  <button type="submit" class="button">Save</button>
</form>
<h2>Private feed of my subscriptions</h2>
<p>Paste this address in a feed reader to get new videos from your subscriptions. Keep it to yourself.</p>
<input readonly class="feed-url" value="${feed_url}" aria-label="Private feed address">
<form method="post" action="/settings">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <input type="hidden" name="form" value="feed-token">
  <button type="submit" class="button">Make a new address</button>
</form>
<h2>Password</h2>
<form method="post" action="/settings">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  <input type="hidden" name="form" value="password">
  <label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
  % if errors.get('current'):
  <p class="field-error">${errors['current']}</p>
  % endif
  <label>New password <input name="password" type="password" autocomplete="new-password" minlength="6" required></label>
  % if errors.get('password'):
  <p class="field-error">${errors['password']}</p>
  % endif
  <button type="submit" class="button">Change password</button>
</form>
</section>
