"""/api/v1/search/videos and /search/video-channels, with remote handle and URL lookup."""

from __future__ import annotations

import asyncio
import contextvars
import logging

from app import search, serialize
from app.federation.fetch import FetchError
from app.federation.remote import RemoteError
from handlers.base import APIHandler, bad_query, public

log = logging.getLogger(__name__)


async def lookup_off_loop(handler: APIHandler, q: str) -> None:
    """Fetch a remote object for a signed-in user, in a thread (the IOLoop stays free)."""
    if handler.user is None or not search.is_remote_reference(q, handler.shoal.host):
        return
    ctx = contextvars.copy_context()  # the thread uses this server's database
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, ctx.run, search.lookup, handler.shoal, q
        )
    except (FetchError, RemoteError) as err:
        log.info("lookup of %s failed: %s", q, err)


async def searched(handler: APIHandler) -> str:
    """The `search` parameter (400 when missing), looked up first if it names a remote object."""
    q = handler.get_argument("search", "").strip()
    if not q:
        raise bad_query("search", q, "Should have a search")
    await lookup_off_loop(handler, q)
    return q


class SearchVideosHandler(APIHandler):
    read_cached = True

    @public
    async def get(self) -> None:
        q = await searched(self)
        found = search.videos_query(self.shoal, q, self.user.id if self.user else None)
        query = search.tags_filter(
            found, self.list_argument("tagsOneOf"), self.list_argument("tagsAllOf")
        )
        self.send_videos(query)

    def list_argument(self, name: str) -> list[str]:
        """A repeated query parameter, as `name=a&name=b` or `name[]=a&name[]=b`."""
        values = self.get_arguments(name) + self.get_arguments(f"{name}[]")
        return [v.strip() for v in values if v.strip()][:5]


class SearchChannelsHandler(APIHandler):
    read_cached = True

    @public
    async def get(self) -> None:
        q = await searched(self)
        query = search.channels_query(self.shoal, q)
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        rows = list(query.offset(start).limit(count))
        self.send({"total": query.count(), "data": serialize.channels_json(self.shoal, rows)})


ROUTES = [
    (r"/api/v1/search/videos", SearchVideosHandler),
    (r"/api/v1/search/video-channels", SearchChannelsHandler),
]
