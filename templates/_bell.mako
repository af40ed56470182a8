<%doc>The notification bell; polled by the layout.</%doc>
<%def name="bell(count)">
<a id="bell" href="/notifications" class="bell" hx-get="/notifications/bell" hx-trigger="every 30s" hx-swap="outerHTML" aria-label="Notifications${f': {count} unread' if count else ''}">🔔
% if count:
<span class="count">${count if count < 100 else '99+'}</span>
% endif
</a>
</%def>
