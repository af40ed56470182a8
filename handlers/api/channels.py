"""/api/v1/video-channels/{handle} and /api/v1/accounts/{name}, with their videos."""

from __future__ import annotations

from app import auth, channels, images, serialize, videos
from handlers.base import APIHandler, Problem, public
from models.accounts import Account, Channel


def owned_channel(handler: APIHandler, handle: str) -> Channel:
    """A local channel of the signed-in user (moderators may manage any)."""
    channel = channels.find_channel(handle, handler.shoal.host)
    if channel is None or not channel.is_local:
        raise Problem(404, "Video channel not found")
    if channel.account.user_id != handler.user.id and not handler.user.is_moderator:
        raise Problem(403, "Cannot manage a channel of another user.")
    return channel


def channel_problem(err: channels.ChannelError) -> Problem:
    return Problem(400, str(err), invalid_params={err.field: (None, str(err))})


class ChannelsHandler(APIHandler):
    """GET /api/v1/video-channels: the channels listed here, in pages, for anyone;
    POST: a new channel for the signed-in user."""

    read_cached = True

    @public
    def get(self) -> None:
        start, count, sort = self.paging(channels.CHANNEL_SORTS, "-createdAt")
        query = channels.listed_channels_query()
        rows = list(query.order_by(*channels.CHANNEL_SORTS[sort]).offset(start).limit(count))
        self.send({"total": query.count(), "data": serialize.channels_json(self.shoal, rows)})

    def post(self) -> None:
        data = self.json_body()
        try:
            channel = channels.create_channel(
                auth.account_of(self.user),
                str(data.get("name", "")),
                str(data.get("displayName", "")),
                str(data.get("description") or ""),
                str(data.get("support") or ""),
            )
        except channels.ChannelError as err:
            raise channel_problem(err) from None
        self.send({"videoChannel": {"id": channel.id}})


class ChannelHandler(APIHandler):
    read_cached = True

    @public
    def get(self, handle: str) -> None:
        channel = channels.find_channel(handle, self.shoal.host)
        if channel is None:
            raise Problem(404, "Video channel not found")
        self.send(serialize.channel_json(self.shoal, channel))

    def put(self, handle: str) -> None:
        try:
            channels.update_channel(owned_channel(self, handle), self.json_body())
        except channels.ChannelError as err:
            raise channel_problem(err) from None
        self.no_content()

    def delete(self, handle: str) -> None:
        try:
            channels.delete_channel(self.shoal, owned_channel(self, handle))
        except channels.ChannelError as err:
            raise Problem(409, str(err)) from None
        self.no_content()


class ChannelImageHandler(APIHandler):
    """POST .../avatar/pick (avatarfile) and .../banner/pick (bannerfile); DELETE removes."""

    async def post(self, handle: str, kind: str) -> None:
        channel = owned_channel(self, handle)
        files = self.request.files.get(f"{kind}file") or []
        if not files:
            raise Problem(
                400,
                f"Incorrect request parameters: {kind}file",
                invalid_params={f"{kind}file": (None, "Should have a file")},
            )
        upload = files[0]
        if upload.content_type not in images.TYPES:
            raise Problem(415, "This image type is not supported: use PNG, JPEG, WebP or GIF.")
        try:
            stem = await channels.store_image(self.shoal, channel, kind, upload.body)
        except images.ImageError as err:
            raise Problem(err.status, str(err)) from None
        changed = channels.adopt_image(self.shoal, channel, kind, stem)
        self.send({f"{kind}s": channels.image_urls(self.shoal, changed, kind)})

    def delete(self, handle: str, kind: str) -> None:
        channel = owned_channel(self, handle)
        channels.clear_image(self.shoal, channel, kind)
        self.no_content()


class ChannelVideosHandler(APIHandler):
    read_cached = True

    @public
    def get(self, handle: str) -> None:
        channel = channels.find_channel(handle, self.shoal.host)
        if channel is None:
            raise Problem(404, "Video channel not found")
        self.send_videos(videos.listed_query(channel=channel))


class AccountsHandler(APIHandler):
    """GET /api/v1/accounts: every account known here, in pages, as PeerTube lists them."""

    read_cached = True

    @public
    def get(self) -> None:
        start, count, sort = self.paging(channels.ACCOUNT_SORTS, "-createdAt")
        query = Account.select()
        rows = list(query.order_by(*channels.ACCOUNT_SORTS[sort]).offset(start).limit(count))
        self.send({"total": query.count(), "data": serialize.accounts_json(self.shoal, rows)})


class AccountHandler(APIHandler):
    read_cached = True

    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        self.send(serialize.account_json(self.shoal, account))


class AccountVideosHandler(APIHandler):
    read_cached = True

    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        self.send_videos(videos.listed_query(account=account))


class AccountChannelsHandler(APIHandler):
    read_cached = True

    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        rows = list(
            Channel.select(Channel, Account)
            .join(Account)
            .where(Channel.account == account)
            .order_by(Channel.id)
        )
        self.send({"total": len(rows), "data": serialize.channels_json(self.shoal, rows)})


ROUTES = [
    (r"/api/v1/video-channels", ChannelsHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)", ChannelHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)/(?P<kind>avatar|banner)/pick", ChannelImageHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)/(?P<kind>avatar|banner)", ChannelImageHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)/videos", ChannelVideosHandler),
    (r"/api/v1/accounts", AccountsHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)", AccountHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)/videos", AccountVideosHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)/video-channels", AccountChannelsHandler),
]
