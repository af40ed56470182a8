"""Feeds, as PeerTube serves them, so readers and podcast apps can follow anything here.

- /feeds/videos.{xml,rss,atom,json}: listed videos, filtered by channel or account
- /feeds/video-comments.{xml,rss,atom,json}: comments, of one video or all
- /feeds/podcast/videos.xml?videoChannelId=: one channel as a podcast
- /feeds/subscriptions.{...}?accountId=&token=: a user's subscriptions, by feed token
- /api/v1/users/scoped-tokens: read (GET) or reset (POST) one's feed token

Feeds are public GETs. Each answer carries a strong ETag and Last-Modified and
is kept for a minute in the application's FeedCache while the read version holds
(app/read_cache.py): a change made by any process shows at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from app import channels, comment_feed, feed_tokens, feeds, subscriptions, videos
from app.settings import Settings
from handlers.base import APIHandler, Problem, bad_query, public
from models import utcnow
from models.accounts import Account, Channel, User
from models.videos import Privacy, State, Video

# extension -> (format, Content-Type); PeerTube answers .xml as application/xml.
FORMATS = {
    "xml": ("rss", "application/xml; charset=utf-8"),
    "rss": ("rss", "application/rss+xml; charset=utf-8"),
    "rss2": ("rss", "application/rss+xml; charset=utf-8"),
    "atom": ("atom", "application/atom+xml; charset=utf-8"),
    "atom1": ("atom", "application/atom+xml; charset=utf-8"),
    "json": ("json", "application/json; charset=utf-8"),
    "json1": ("json", "application/json; charset=utf-8"),
}
EXT = r"(?P<ext>xml|rss2?|atom1?|json1?)"


@dataclass(frozen=True)
class Rendered:
    """A built feed, ready to send: body, type and validators."""

    body: bytes
    content_type: str
    last_modified: dt.datetime  # aware UTC, whole seconds
    etag: str


def rendered(body: bytes, content_type: str, modified: dt.datetime | None) -> Rendered:
    """A Rendered with a strong ETag (sha1 of the body); modified defaults to now."""
    etag = f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'
    when = modified or utcnow().replace(tzinfo=dt.UTC, microsecond=0)
    return Rendered(body, content_type, when, etag)


class FeedCache:
    """Built feeds by full URL, for `ttl` seconds and while the read version holds;
    bounded (the least recently used go first). One per web application.
    """

    def __init__(self, ttl: float = 60.0, size: int = 256) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[str, tuple[float, Any, Rendered]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str, generation: Any) -> Rendered | None:
        with self._lock:
            expires, stored, feed = self._entries.get(key) or (0.0, None, None)
            if feed is None or expires < time.monotonic() or stored != generation:
                self._entries.pop(key, None)
                return None
            self._entries.move_to_end(key)
            return feed

    def put(self, key: str, generation: Any, feed: Rendered) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, generation, feed)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class FeedHandler(APIHandler):
    """Public feed GETs: filters, the cache, conditional requests; errors as JSON problems."""

    cache_control = "public, max-age=60"

    def _resolve_user(self) -> User | None:
        return None  # a feed is the same for everyone; readers send no credentials

    def id_argument(self, name: str) -> int | None:
        raw = self.get_argument(name, None)
        if raw in (None, ""):
            return None
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
            raise bad_query(name, raw, "Should have a valid id")
        return int(raw)

    def feed_format(self, ext: str) -> tuple[str, str]:
        """(format, Content-Type); `.xml?format=atom` is Atom, as in PeerTube."""
        fmt, ctype = FORMATS[ext]
        if ext == "xml" and self.get_argument("format", "") in ("atom", "atom1"):
            return FORMATS["atom"]
        return fmt, ctype

    def channel_filter(self) -> Channel | None:
        """videoChannelId or videoChannelName (name or name@host); 404 if unknown."""
        channel_id = self.id_argument("videoChannelId")
        name = self.get_argument("videoChannelName", "")
        if channel_id is None and not name:
            return None
        if channel_id is not None:
            channel = (
                Channel.select(Channel, Account)
                .join(Account)
                .where(Channel.id == channel_id)
                .first()
            )
        else:
            channel = channels.find_channel(name, self.shoal.host)
        if channel is None:
            raise Problem(404, "Video channel not found")
        return channel

    def account_filter(self) -> Account | None:
        """accountId or accountName (name or name@host); 404 if unknown."""
        account_id = self.id_argument("accountId")
        name = self.get_argument("accountName", "")
        if account_id is None and not name:
            return None
        if account_id is not None:
            account = Account.get_or_none(Account.id == account_id)
        else:
            account = channels.find_account(name, self.shoal.host)
        if account is None:
            raise Problem(404, "Account not found")
        return account

    def listing_options(self) -> dict[str, Any]:
        """sort, isLocal and nsfw, as PeerTube's feeds take them."""
        sort = self.get_argument("sort", "-publishedAt")
        if feeds.sort_order(sort) is None:
            raise bad_query("sort", sort, "Should have correct sortable column")
        is_local = self.get_argument("isLocal", "")
        if is_local not in ("", "true", "false"):
            raise bad_query("isLocal", is_local, "Should have a valid boolean")
        nsfw = self.get_argument("nsfw", "")
        if nsfw not in ("", "true", "false", "both"):
            raise bad_query("nsfw", nsfw, "Should have a valid NSFW attribute")
        return {
            "sort": sort,
            "local_only": is_local == "true",
            "nsfw": {"true": True, "false": False}.get(nsfw),
        }

    def self_url(self) -> str:
        return self.shoal.base_url + self.request.uri

    def serve(self, build: Callable[[], tuple[bytes, str, dt.datetime | None]]) -> None:
        """Answer from the cache or build; 304 when the client's copy is current."""
        cache: FeedCache = self.application.settings.setdefault("feed_cache", FeedCache())
        key = self.self_url()
        gen = self.application.settings["read_cache"].version()
        feed = cache.get(key, gen)
        if feed is None:
            feed = rendered(*build())
            cache.put(key, gen, feed)
        self.set_header("Content-Type", feed.content_type)
        self.set_header("Etag", feed.etag)
        self.set_header("Last-Modified", format_datetime(feed.last_modified, usegmt=True))
        self.set_header("Cache-Control", self.cache_control)
        if self.not_modified(feed):
            self.set_status(304)
            self.finish()
            return
        self.finish(feed.body)

    def not_modified(self, feed: Rendered) -> bool:
        """If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2)."""
        if self.request.headers.get("If-None-Match"):
            return self.check_etag_header()
        since = self.request.headers.get("If-Modified-Since")
        if not since:
            return False
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return feed.last_modified <= when


def _meta(settings: Settings, channel: Channel | None, account: Account | None) -> dict:
    """Title, link, description and author of a feed about a channel, an account or all."""
    if channel is not None:
        return {
            "title": channel.display_name,
            "link": feeds.channel_page(settings, channel),
            "description": feeds.plain_text(channel.description)
            or f"Videos of {channel.display_name}",
            "author": (channel.display_name, feeds.channel_page(settings, channel)),
        }
    if account is not None:
        return {
            "title": account.display_name,
            "link": feeds.account_page(settings, account),
            "description": feeds.plain_text(account.description)
            or f"Videos of {account.display_name}",
            "author": (account.display_name, feeds.account_page(settings, account)),
        }
    return {
        "title": settings.instance_name,
        "link": settings.base_url,
        "description": f"Videos on {settings.instance_name}",
        "author": None,
    }


class VideosFeedHandler(FeedHandler):
    """/feeds/videos.{format}: public, published videos; local and remote alike."""

    @public
    def get(self, ext: str) -> None:
        fmt, ctype = self.feed_format(ext)
        channel, account = self.channel_filter(), self.account_filter()
        options = self.listing_options()

        def build() -> tuple[bytes, str, dt.datetime | None]:
            query = videos.listed_query()
            if channel is not None:
                query = query.where(Video.channel == channel)
            if account is not None:
                query = query.where(Channel.account == account)
            rows = feeds.pick_videos(query, **options)
            body, _ = feeds.videos_feed(
                self.shoal,
                rows,
                self_url=self.self_url(),
                format=fmt,
                podcast_url=feeds.podcast_url(self.shoal, channel)
                if channel is not None and channel.is_local
                else None,
                **_meta(self.shoal, channel, account),
            )
            return body, ctype, feeds.last_modified(rows)

        self.serve(build)

    head = get


class VideoCommentsFeedHandler(FeedHandler):
    """/feeds/video-comments.{format}: the newest comments, of one video (videoId), of a
    channel's or an account's videos, or of all."""

    @public
    def get(self, ext: str) -> None:
        fmt, ctype = self.feed_format(ext)
        video = self.video_filter()
        channel, account = self.channel_filter(), self.account_filter()
        if video is not None and channel is not None:
            raise Problem(400, "videoId cannot be mixed with a channel filter")
        if video is not None:
            meta = {
                "title": video.name,
                "link": feeds.watch_url(self.shoal, video),
                "description": feeds.plain_text(video.description) or video.name,
            }
        else:
            meta = _meta(self.shoal, channel, account)
            meta.pop("author")

        def build() -> tuple[bytes, str, dt.datetime | None]:
            rows = comment_feed.recent(video=video, channel=channel, account=account)
            body, _ = comment_feed.video_comments_feed(
                self.shoal, rows, self_url=self.self_url(), format=fmt, **meta
            )
            return body, ctype, feeds._aware(rows[0].created_at) if rows else None

        self.serve(build)

    def video_filter(self) -> Video | None:
        ref = self.get_argument("videoId", "")
        if not ref:
            return None
        if videos.parse_ref(ref) is None:
            raise bad_query("videoId", ref, "Should have a valid video id (id, short UUID or UUID)")
        video = videos.find_video(ref)
        # Only what anyone may see: a private video is "not found" here, as in the API.
        if video is None or video.privacy == Privacy.PRIVATE or video.state != State.PUBLISHED:
            raise Problem(404, "Video not found")
        return video

    head = get


class PodcastFeedHandler(FeedHandler):
    """/feeds/podcast/videos.xml?videoChannelId=: a channel's local videos as a podcast."""

    @public
    def get(self) -> None:
        channel = self.channel_filter()
        if channel is None:
            raise bad_query("videoChannelId", "", "Should have a video channel id")

        def build() -> tuple[bytes, str, dt.datetime | None]:
            # Only this server's videos: the origin alone should publish a show (PeerTube).
            rows = feeds.pick_videos(videos.listed_query(channel=channel), local_only=True)
            body, ctype = feeds.podcast_feed(
                self.shoal, channel, rows, self_url=feeds.podcast_url(self.shoal, channel)
            )
            return body, ctype, feeds.last_modified(rows)

        self.serve(build)

    head = get


class SubscriptionsFeedHandler(FeedHandler):
    """/feeds/subscriptions.{format}?accountId=&token=: a user's subscriptions, privately."""

    cache_control = "private, max-age=60"

    @public
    def get(self, ext: str) -> None:
        fmt, ctype = self.feed_format(ext)
        account_id = self.id_argument("accountId")
        token = self.get_argument("token", "")
        if account_id is None:
            raise bad_query("accountId", "", "Should have a valid account id")
        if not token:
            raise bad_query("token", "", "Should have a feed token")
        account = Account.get_or_none(Account.id == account_id)
        if account is None:
            raise Problem(404, "Account not found")
        # Checked before the cache: a reset token must stop working at once.
        user = feed_tokens.check(account_id, token)
        if user is None:
            raise Problem(403, "User and token mismatch")
        options = self.listing_options()

        def build() -> tuple[bytes, str, dt.datetime | None]:
            rows = feeds.pick_videos(subscriptions.subscription_videos_query(user), **options)
            meta = _meta(self.shoal, None, account)
            body, _ = feeds.videos_feed(
                self.shoal, rows, self_url=self.self_url(), format=fmt, **meta
            )
            return body, ctype, feeds.last_modified(rows)

        self.serve(build)

    head = get


class ScopedTokensHandler(APIHandler):
    """GET /api/v1/users/scoped-tokens: {"feedToken"}; POST makes a new one."""

    def get(self) -> None:
        self.send({"feedToken": feed_tokens.token_for(self.user)})

    def post(self) -> None:
        self.send({"feedToken": feed_tokens.reset(self.user)})


ROUTES = [
    (rf"/feeds/videos\.{EXT}", VideosFeedHandler),
    (rf"/feeds/video-comments\.{EXT}", VideoCommentsFeedHandler),
    (rf"/feeds/subscriptions\.{EXT}", SubscriptionsFeedHandler),
    (r"/feeds/podcast/videos\.xml", PodcastFeedHandler),
    (r"/api/v1/users/scoped-tokens", ScopedTokensHandler),
]
