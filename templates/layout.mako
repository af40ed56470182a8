<%doc>The page frame. Pages inherit it; the XSRF token reaches every HTMX request via hx-headers.</%doc>
<%namespace file="_bell.mako" import="bell"/>
<%! from app.notifications import unread_count as unread_notifications %>
<%! from app.registrations import policy as signup_policy %>
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>
## Tools such as yt-dlp recognise a PeerTube-compatible server by this tag (PeerTube puts it on every page).
<meta property="og:platform" content="PeerTube">
<title><%block name="title">${settings.instance_name}</%block></title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${static('css/shoal.css')}">
<%block name="head"/>
<script src="${static('vendor/htmx/htmx.min.js')}" defer></script>
</head>
<body hx-headers='{"X-XSRFToken": "${xsrf}"}'>
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
  <a class="brand" href="/">${settings.instance_name}</a>
  <form method="get" action="/search" class="top-search" role="search">
    <input name="q" value="${context.get('search_q', '')}" placeholder="Search, or name@server" aria-label="Search">
  </form>
  ## On phones the links fold into a menu; the checkbox opens it without JavaScript.
  <input type="checkbox" id="menu-toggle" class="menu-toggle">
  <label for="menu-toggle" class="menu-button" aria-label="Menu">Menu</label>
  <nav aria-label="Main">
  % if user:
    <a href="/videos/upload" class="button primary">Upload</a>
    ${bell(unread_notifications(user))}
    <a href="/subscriptions">Subscriptions</a>
    <a href="/my-videos">My videos</a>
    <a href="/my-channels">My channels</a>
    <a href="/a/${user.username}">@${user.username}</a>
    <a href="/settings">Settings</a>
    <a href="/my-abuses">My reports</a>
    <a href="/my-mutes">Muted</a>
    % if user.is_moderator:
    <a href="/admin/registrations">Registrations</a>
    <a href="/admin/abuses">Reports</a>
    <a href="/admin/moderation">Moderation</a>
    % endif
    % if user.is_admin:
    <a href="/admin/users">Users</a>
    <a href="/admin/federation">Federation</a>
    <a href="/admin/p2p">Peer-to-peer</a>
    <a href="/admin/redundancy">Mirrors</a>
    % endif
    <form method="post" action="/logout" class="inline">
      <input type="hidden" name="_xsrf" value="${xsrf}">
      <button type="submit" class="link">Sign out</button>
    </form>
  % else:
    <a href="/login">Sign in</a>
    % if signup_policy(settings).allowed:
    <a href="/signup" class="button">Create an account</a>
    % endif
  % endif
  </nav>
</header>
<main id="main">
${self.body()}
</main>
<footer><p><a href="/about">About this server</a> · Powered by Shoal, federated video shared peer to peer.</p></footer>
</body>
</html>
