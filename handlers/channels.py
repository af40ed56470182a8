"""The public channel page."""

from __future__ import annotations

from app import channels, subscriptions, videos
from app.federation import actors
from handlers.base import PageHandler, Problem, public
from handlers.videos import render_list
from models.federation import ActorType


class ChannelPageHandler(PageHandler):
    @public
    def get(self, name: str) -> None:
        if self.wants_activity_json():
            actor = actors.find_local(name, (ActorType.GROUP,))
            if actor is None:
                raise Problem(404, "Actor not found")
            self.send_activity(actors.actor_document(self.shoal, actor))
            return
        channel = channels.find_channel(name, self.shoal.host)
        if channel is None:
            raise Problem(404, "No channel by that name here.")
        owner = self.user is not None and channel.account.user_id == self.user.id
        query = videos.listed_query(
            channel=channel, account=channel.account if owner else None, viewer=self.user
        )
        handle = channel.name if channel.is_local else f"{channel.name}@{channel.host}"
        subscribed = self.user is not None and subscriptions.is_subscribed(
            self.shoal, self.user, handle
        )
        render_list(
            self, "channel.mako", query, f"/c/{handle}", channel=channel, subscribed=subscribed
        )


ROUTES = [
    (r"/c/(?P<name>[A-Za-z0-9._@:-]+)", ChannelPageHandler),
    (r"/video-channels/(?P<name>[A-Za-z0-9._@:-]+)", ChannelPageHandler),
]
