<%doc>The subscribe button of a channel; HTMX swaps it in place.</%doc>
<%def name="button(channel, subscribed)">
<% handle = channel.name if not channel.host else f"{channel.name}@{channel.host}" %>
<form method="post" action="/c/${handle}/subscribe" class="inline subscribe" hx-post="/c/${handle}/subscribe" hx-swap="outerHTML">
  <input type="hidden" name="_xsrf" value="${xsrf}">
  % if subscribed:
  <input type="hidden" name="action" value="unsubscribe">
  <button type="submit" class="button" aria-pressed="true">Subscribed</button>
  % else:
  <input type="hidden" name="action" value="subscribe">
  <button type="submit" class="button primary">Subscribe</button>
  % endif
</form>
</%def>

<%def name="panel(channel, subscribed)">
## Subscribing: the button for a signed-in user; for a visitor, from their own server or by RSS.
<% handle = channel.name if not channel.host else f"{channel.name}@{channel.host}" %>
% if user:
${button(channel, subscribed)}
% else:
<details class="remote-follow">
  <summary class="button primary">Subscribe</summary>
  <form method="post" action="/c/${handle}/remote-follow">
    <input type="hidden" name="_xsrf" value="${xsrf}">
    <label>Your account on another server (Shoal, PeerTube, Mastodon…)
      <input name="handle" placeholder="you@your.server" required></label>
    <button type="submit" class="button">Continue on my server</button>
    <p class="meta">Or <a href="/login?next=/c/${handle}">sign in here</a>, or
      <a href="/feeds/videos.xml?videoChannelId=${channel.id}">follow with RSS</a>.</p>
  </form>
</details>
% endif
</%def>
