<%doc>The notification bell; polled by the layout.</%doc>
<%def name="bell(count)">
<a id="bell" href="/notifications" class="bell" hx-get="/notifications/bell" hx-trigger="every 30s" hx-swap="outerHTML" aria-label="Notifications${f': {count} unread' if count else ''}"><svg width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.7 21a2 2 0 0 1-3.4 0"/></svg>
% if count:
<span class="count">${count if count < 100 else '99+'}</span>
% endif
</a>
</%def>
