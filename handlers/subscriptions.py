"""Subscription pages: the feed of new videos from subscribed channels, and the button."""

from __future__ import annotations

from urllib.parse import quote

from app import channels, subscriptions
from app.federation import fetch
from handlers.base import PageHandler, Problem, public
from handlers.videos import render_list


async def to_remote_interaction(handler: PageHandler, target: str, safe: str = "") -> None:
    """Send a visitor to the interaction page of their own server (the `handle` they typed;
    its WebFinger's subscribe template), to follow or answer `target` from there."""
    handle = handler.get_body_argument("handle", "").strip().lstrip("@")
    try:
        template = await fetch.subscribe_template(handler.shoal, handle)
    except fetch.FetchError as err:
        raise Problem(
            400,
            f"Your server could not be asked ({err}). "
            "Give your full address, like you@your.server.",
        ) from None
    handler.redirect(template.replace("{uri}", quote(target, safe=safe)), status=303)


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


class RemoteFollowHandler(PageHandler):
    """A visitor from another server follows a channel from their own account there.

    They give their handle; their server's WebFinger names its subscribe page
    (PeerTube's and Mastodon's ostatus template), where they confirm. The
    lookup is a short non-blocking fetch; any failure explains what to do.
    """

    @public
    async def post(self, name: str) -> None:
        channel = channels.find_channel(name, self.shoal.host)
        if channel is None:
            raise Problem(404, "No channel by that name.")
        target = channel.name if channel.is_local else f"{channel.name}@{channel.host}"
        if channel.is_local:
            target = f"{channel.name}@{self.shoal.host}"
        await to_remote_interaction(self, target, safe="@")


class RemoteInteractionHandler(PageHandler):
    """Where other servers send our users to follow something of theirs (ostatus template)."""

    def get(self) -> None:
        uri = self.get_argument("uri", "").strip()
        if not uri:
            raise Problem(400, "Nothing to follow was named.")
        self.redirect("/search?q=" + quote(uri, safe="@:/"), status=303)


ROUTES += [
    (r"/c/(?P<name>[A-Za-z0-9._@:-]+)/remote-follow", RemoteFollowHandler),
    (r"/remote-interaction", RemoteInteractionHandler),
]
