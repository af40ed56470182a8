"""/api/v1/video-channels/{handle} and /api/v1/accounts/{name}, with their videos."""

from __future__ import annotations

from app import channels, serialize, videos
from handlers.base import APIHandler, Problem, public


class ChannelHandler(APIHandler):
    @public
    def get(self, handle: str) -> None:
        channel = channels.find_channel(handle, self.shoal.host)
        if channel is None:
            raise Problem(404, "Video channel not found")
        self.send(serialize.channel_json(self.shoal, channel))


class ChannelVideosHandler(APIHandler):
    @public
    def get(self, handle: str) -> None:
        channel = channels.find_channel(handle, self.shoal.host)
        if channel is None:
            raise Problem(404, "Video channel not found")
        query = videos.listed_query(channel=channel)
        total, rows = videos.page(
            query,
            self.get_argument("sort", "-publishedAt"),
            self.int_argument("start", 0),
            self.int_argument("count", 15, 1, 100),
        )
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})


class AccountHandler(APIHandler):
    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        self.send(serialize.account_json(self.shoal, account))


class AccountVideosHandler(APIHandler):
    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        query = videos.listed_query(account=account)
        total, rows = videos.page(
            query,
            self.get_argument("sort", "-publishedAt"),
            self.int_argument("start", 0),
            self.int_argument("count", 15, 1, 100),
        )
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})


class AccountChannelsHandler(APIHandler):
    @public
    def get(self, handle: str) -> None:
        account = channels.find_account(handle, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        rows = list(account.channels)
        self.send(
            {"total": len(rows), "data": [serialize.channel_json(self.shoal, c) for c in rows]}
        )


ROUTES = [
    (r"/api/v1/video-channels/(?P<handle>[^/]+)", ChannelHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)/videos", ChannelVideosHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)", AccountHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)/videos", AccountVideosHandler),
    (r"/api/v1/accounts/(?P<handle>[^/]+)/video-channels", AccountChannelsHandler),
]
