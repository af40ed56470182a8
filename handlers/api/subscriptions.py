"""/api/v1/users/me/subscriptions: a user's channel subscriptions, local or remote."""

from __future__ import annotations

from app import channels, serialize, subscriptions
from app.validation import Field
from handlers.base import APIHandler, Problem

# PeerTube's POST /api/v1/users/me/subscriptions: a channel's handle (name@host, or name).
SUBSCRIBE = {"uri": Field(str, "Should have a valid uri", required=True, min=1, max=300)}


class SubscriptionsHandler(APIHandler):
    def get(self) -> None:
        rows = subscriptions.subscribed_channels(self.user)
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        data = serialize.channels_json(self.shoal, rows[start : start + count])
        self.send({"total": len(rows), "data": data})

    def post(self) -> None:
        uri = self.body_fields(SUBSCRIBE)["uri"]
        try:
            subscriptions.subscribe(self.shoal, self.user, uri)
        except subscriptions.SubscriptionError as err:
            raise Problem(400, str(err), invalid_params={"uri": (uri, str(err))}) from None
        self.no_content()


class SubscriptionHandler(APIHandler):
    def get(self, uri: str) -> None:
        channel = channels.find_channel(uri, self.shoal.host)
        if channel is None or not subscriptions.is_subscribed(self.shoal, self.user, uri):
            raise Problem(404, "Subscription not found")
        self.send(serialize.channel_json(self.shoal, channel))

    def delete(self, uri: str) -> None:
        if not subscriptions.unsubscribe(self.shoal, self.user, uri):
            raise Problem(404, "Subscription not found")
        self.no_content()


class ExistHandler(APIHandler):
    def get(self) -> None:
        uris = [u for arg in self.get_arguments("uris") for u in arg.split(",") if u]
        self.send({u: subscriptions.is_subscribed(self.shoal, self.user, u) for u in uris})


class SubscriptionVideosHandler(APIHandler):
    def get(self) -> None:
        self.send_videos(subscriptions.subscription_videos_query(self.user))


ROUTES = [
    (r"/api/v1/users/me/subscriptions", SubscriptionsHandler),
    (r"/api/v1/users/me/subscriptions/exist", ExistHandler),
    (r"/api/v1/users/me/subscriptions/videos", SubscriptionVideosHandler),
    (r"/api/v1/users/me/subscriptions/(?P<uri>[^/]+)", SubscriptionHandler),
]
