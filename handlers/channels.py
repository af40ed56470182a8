"""The public channel page."""

from __future__ import annotations

from urllib.parse import urlencode

from app import auth, channels, images, subscriptions, videos
from app.federation import actors
from handlers.base import PageHandler, Problem, public
from handlers.videos import render_list
from models.accounts import Channel
from models.federation import ActorType


class ChannelPageHandler(PageHandler):
    read_cached = True

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
            self,
            "channel.mako",
            query,
            f"/c/{handle}",
            channel=channel,
            subscribed=subscribed,
            can_edit=owner
            or (self.user is not None and self.user.is_moderator and channel.is_local),
            links=channels.links_of(channel),
            avatars=channels.image_urls(self.shoal, channel, "avatar"),
            banners=channels.image_urls(self.shoal, channel, "banner"),
            deleted=self.get_argument("deleted", "")[:120],  # a moderator deleted a video here
        )


ROUTES = [
    (r"/c/(?P<name>[A-Za-z0-9._@:-]+)", ChannelPageHandler),
    (r"/video-channels/(?P<name>[A-Za-z0-9._@:-]+)", ChannelPageHandler),
]


class MyChannelsHandler(PageHandler):
    """The user's channels: list, create, delete."""

    def get(self) -> None:
        self._render(errors={}, values={})

    def _render(self, errors: dict, values: dict) -> None:
        mine = list(Channel.select().where(Channel.account == auth.account_of(self.user)))
        deleted = self.get_argument("deleted", "")[:120]
        self.render_page(
            "my_channels.mako", channels=mine, errors=errors, values=values, deleted=deleted
        )

    def post(self) -> None:
        values = {k: self.get_body_argument(k, "") for k in ("name", "displayName", "description")}
        try:
            channel = channels.create_channel(
                auth.account_of(self.user),
                values["name"],
                values["displayName"],
                values["description"],
            )
        except channels.ChannelError as err:
            self.set_status(400)
            self._render(errors={err.field: str(err)}, values=values)
            return
        self.redirect_see_other(f"/c/{channel.name}/edit")


class EditChannelHandler(PageHandler):
    """Customize a channel: texts, links, what visitors see, avatar and banner."""

    def _channel(self, name: str) -> Channel:
        channel = channels.find_channel(name, self.shoal.host)
        if channel is None or not channel.is_local:
            raise Problem(404, "No channel by that name here.")
        if channel.account.user_id != self.user.id and not self.user.is_moderator:
            raise Problem(403, "Only the channel's owner can change it.")
        return channel

    def get(self, name: str) -> None:
        channel = self._channel(name)
        self._render(channel, errors={}, notice=None)

    def _render(self, channel: Channel, errors: dict, notice: str | None) -> None:
        links = "\n".join(f"{link['label']} {link['url']}" for link in channels.links_of(channel))
        self.render_page(
            "channel_edit.mako",
            channel=channel,
            links=links,
            errors=errors,
            notice=notice,
            avatars=channels.image_urls(self.shoal, channel, "avatar"),
            banners=channels.image_urls(self.shoal, channel, "banner"),
            window=channels.CATALOGUE_WINDOW_DAYS,
        )

    def _confirm_delete(self, channel: Channel) -> None:
        count = channel.videos.count()
        videos_too = f" and its {count} video{'' if count == 1 else 's'}" if count else ""
        self.render_page(
            "confirm_delete.mako",
            heading=f"Delete the channel “{channel.display_name}”?",
            consequence=f"The channel{videos_too} are removed for good, here and on the"
            " servers that follow it.",
            action=f"/c/{channel.name}/edit",
            fields={"action": "delete"},
            button="Delete the channel",
            cancel=f"/c/{channel.name}/edit",
        )

    async def post(self, name: str) -> None:
        channel = self._channel(name)
        action = self.get_body_argument("action", "save")
        try:
            if action == "delete":
                if self.get_body_argument("confirm", "") != "yes":
                    channels.check_deletable(channel)  # the last channel: say so at once
                    self._confirm_delete(channel)  # ask first, without JavaScript
                    return
                channels.delete_channel(self.shoal, channel)
                self.redirect_see_other(
                    "/my-channels?" + urlencode({"deleted": channel.display_name})
                )
                return
            for kind in ("avatar", "banner"):
                upload = (self.request.files.get(f"{kind}file") or [None])[0]
                if upload is not None and upload.body:
                    if upload.content_type not in images.TYPES:
                        raise channels.ChannelError(
                            f"The {kind} must be a PNG, JPEG, WebP or GIF image.", kind
                        )
                    stem = await channels.store_image(self.shoal, channel, kind, upload.body)
                    channel = channels.adopt_image(self.shoal, channel, kind, stem)
            channel = channels.update_channel(
                channel,
                {
                    "displayName": self.get_body_argument("displayName", ""),
                    "description": self.get_body_argument("description", ""),
                    "support": self.get_body_argument("support", ""),
                    "links": self.get_body_argument("links", ""),
                    "hideCatalogue": self.get_body_argument("hideCatalogue", "") == "on",
                },
            )
        except (channels.ChannelError, images.ImageError) as err:
            self.set_status(400)
            field = getattr(err, "field", "avatar")
            self._render(Channel.get_by_id(channel.id), errors={field: str(err)}, notice=None)
            return
        self._render(channel, errors={}, notice="Saved.")


ROUTES += [
    (r"/my-channels", MyChannelsHandler),
    (r"/c/(?P<name>[A-Za-z0-9._-]+)/edit", EditChannelHandler),
]
