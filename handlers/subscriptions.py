"""Subscription pages: the feed of new videos from subscribed channels, and the button."""

from __future__ import annotations

from app import channels, subscriptions
from handlers.base import PageHandler, Problem
from handlers.videos import render_list


class SubscriptionsPageHandler(PageHandler):
    def get(self) -> None:
        query = subscriptions.subscription_videos_query(self.user)
        render_list(
            self,
            "subscriptions.mako",
            query,
            "/subscriptions",
            channels=subscriptions.subscribed_channels(self.user),
        )


class SubscribeHandler(PageHandler):
    """Subscribe or unsubscribe; an HTMX request gets the swapped button back."""

    def post(self, name: str) -> None:
        channel = channels.find_channel(name, self.shoal.host)
        if channel is None:
            raise Problem(404, "No channel by that name.")
        handle = channel.name if channel.is_local else f"{channel.name}@{channel.host}"
        if self.get_body_argument("action", "subscribe") == "unsubscribe":
            subscriptions.unsubscribe(self.shoal, self.user, handle)
        else:
            try:
                subscriptions.subscribe(self.shoal, self.user, handle)
            except subscriptions.SubscriptionError as err:
                raise Problem(400, str(err)) from None
        if self.is_htmx():
            subscribed = subscriptions.is_subscribed(self.shoal, self.user, handle)
            self.render_fragment(
                "_subscribe.mako", "button", channel=channel, subscribed=subscribed
            )
        else:
            self.redirect_see_other(f"/c/{handle}")


ROUTES = [
    (r"/subscriptions", SubscriptionsPageHandler),
    (r"/c/(?P<name>[A-Za-z0-9._@:-]+)/subscribe", SubscribeHandler),
]
