"""The notifications page, the bell's unread count (HTMX), and notification settings."""

from __future__ import annotations

from app import notifications
from handlers.base import PageHandler


class NotificationsPageHandler(PageHandler):
    def get(self) -> None:
        total, rows = notifications.page(self.user, 0, 100)
        items = [(n, *notifications.describe(self.shoal, n)) for n in rows]
        self.render_page(
            "notifications.mako",
            items=items,
            total=total,
            choices=notifications.user_settings(self.user),
            labels=notifications.LABELS,
        )

    def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action == "read-all":
            notifications.mark_read(self.user)
        elif action == "settings":
            values = {name: self.get_body_argument(name, "0") for name in notifications.SETTINGS}
            notifications.update_settings(self.user, values)
        self.redirect_see_other("/notifications")


class BellHandler(PageHandler):
    """The bell with the unread count; the layout polls it every 30 s."""

    def get(self) -> None:
        self.render_fragment("_bell.mako", "bell", count=notifications.unread_count(self.user))


ROUTES = [
    (r"/notifications", NotificationsPageHandler),
    (r"/notifications/bell", BellHandler),
]
