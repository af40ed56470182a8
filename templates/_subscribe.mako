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
