"""/api/v1/search/videos and /search/video-channels, with remote handle and URL lookup."""

from __future__ import annotations

import asyncio
import contextvars
import logging

from app import search, serialize, videos
from app.federation.fetch import FetchError
from app.federation.remote import RemoteError
from handlers.base import APIHandler, Problem, public

log = logging.getLogger(__name__)


async def lookup_off_loop(handler: APIHandler, q: str) -> None:
    """Fetch a remote object for a signed-in user, in a thread (the IOLoop stays free)."""
    if handler.user is None or not search.is_remote_reference(q):
        return
    ctx = contextvars.copy_context()  # the thread uses this server's database
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, ctx.run, search.lookup, handler.shoal, q
        )
    except (FetchError, RemoteError) as err:
        log.info("lookup of %s failed: %s", q, err)


class SearchVideosHandler(APIHandler):
    @public
    async def get(self) -> None:
        q = self.get_argument("search", "").strip()
        if not q:
            raise Problem(
                400,
                "Incorrect request parameters: search",
                invalid_params={"search": (q, "Should have a search")},
                location="query",
            )
        await lookup_off_loop(self, q)
        total, rows = videos.page(
            search.videos_query(self.shoal, q),
            self.get_argument("sort", "-publishedAt"),
            self.int_argument("start", 0),
            self.int_argument("count", 15, 1, 100),
        )
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})


class SearchChannelsHandler(APIHandler):
    @public
    async def get(self) -> None:
        q = self.get_argument("search", "").strip()
        if not q:
            raise Problem(
                400,
                "Incorrect request parameters: search",
                invalid_params={"search": (q, "Should have a search")},
                location="query",
            )
        await lookup_off_loop(self, q)
        query = search.channels_query(self.shoal, q)
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        rows = list(query.offset(start).limit(count))
        self.send(
            {"total": query.count(), "data": [serialize.channel_json(self.shoal, c) for c in rows]}
        )


ROUTES = [
    (r"/api/v1/search/videos", SearchVideosHandler),
    (r"/api/v1/search/video-channels", SearchChannelsHandler),
]
