"""Wiring: the Tornado Application built from every handlers module's ROUTES.

The order below is the order URLs are matched; the last entry is the 404
catch-all (JSON under /api/, a page elsewhere).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import time
from pathlib import Path

import tornado.httputil
import tornado.web
from tornado.log import access_log

from app import read_cache, wiring
from app.ratelimit import RateLimiter
from app.settings import Settings
from app.social.views import ViewCounter
from handlers import (
    about,
    abuses,
    accounts,
    activitypub,
    admin,
    channels,
    comments,
    embed,
    feeds,
    media,
    moderation,
    notifications,
    registrations,
    search,
    subscriptions,
    tracker,
    videos,
    wellknown,
)
from handlers.api import abuses as api_abuses
from handlers.api import channels as api_channels
from handlers.api import comments as api_comments
from handlers.api import config as api_config
from handlers.api import listings as api_listings
from handlers.api import moderation as api_moderation
from handlers.api import notifications as api_notifications
from handlers.api import ratings as api_ratings
from handlers.api import redundancy as api_redundancy
from handlers.api import registrations as api_registrations
from handlers.api import search as api_search
from handlers.api import server as api_server
from handlers.api import subscriptions as api_subscriptions
from handlers.api import uploads as api_uploads
from handlers.api import users as api_users
from handlers.api import videos as api_videos
from handlers.base import SESSION_COOKIE, APIHandler, PageHandler, Problem, public

log = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parent.parent / "assets"


class NotFoundAPIHandler(APIHandler):
    @public
    def get(self, *args: str) -> None:
        raise Problem(404, "Not found")

    post = put = delete = patch = get


class NotFoundPageHandler(PageHandler):
    @public
    def get(self, *args: str) -> None:
        raise Problem(404, "There is nothing at this address.")

    post = put = delete = patch = get

    def check_xsrf_cookie(self) -> None:
        pass  # a 404 either way


def routes() -> list[tuple]:
    return [
        *api_config.ROUTES,
        *api_subscriptions.ROUTES,
        *api_notifications.ROUTES,
        *api_moderation.ROUTES,  # before api_users and api_videos: /videos/blacklist
        *api_ratings.ROUTES,  # before api_users: /users/me/videos/{id}/rating
        *api_registrations.ROUTES,
        *api_users.ROUTES,
        *api_uploads.ROUTES,
        *api_listings.ROUTES,  # before api_videos: /videos/categories is not a video id
        *api_comments.ROUTES,
        *api_abuses.ROUTES,
        *api_videos.ROUTES,
        *api_channels.ROUTES,
        *api_server.ROUTES,
        *api_redundancy.ROUTES,
        *api_search.ROUTES,
        *feeds.ROUTES,
        (r"/api/.*", NotFoundAPIHandler),
        *wellknown.ROUTES,
        *activitypub.ROUTES,
        *tracker.ROUTES,
        *media.ROUTES,
        *embed.ROUTES,
        *about.ROUTES,
        *accounts.ROUTES,
        *abuses.ROUTES,
        *registrations.ROUTES,
        *admin.ROUTES,
        *moderation.ROUTES,
        *search.ROUTES,
        *subscriptions.ROUTES,
        *notifications.ROUTES,
        *channels.ROUTES,
        *comments.ROUTES,
        *videos.ROUTES,
        (r".*", NotFoundPageHandler),
    ]


class CachedResponse(tornado.httputil.HTTPMessageDelegate):
    """A stored anonymous response (app/read_cache.py), written without routing or a handler:
    its headers, the visitor's XSRF token in a page, gzip when asked, 304 for If-None-Match."""

    def __init__(
        self,
        request: tornado.httputil.HTTPServerRequest,
        entry: read_cache.Entry,
        xsrf_token: bytes | None,
    ) -> None:
        self.request, self.entry, self.xsrf_token = request, entry, xsrf_token

    def finish(self) -> None:
        request, entry, token = self.request, self.entry, self.xsrf_token
        etag = entry.etag_for(token)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            status, reason, body = 304, "Not Modified", b""
            headers = entry.headers_with(etag)
            for name in ("Content-Type", "Content-Language", "Content-Encoding"):
                headers.pop(name, None)
        else:
            status, reason = 200, "OK"
            gzipped = entry.compressible and "gzip" in request.headers.get("Accept-Encoding", "")
            headers, body = entry.response(token, gzipped)
        headers["Date"] = _http_date()
        start = tornado.httputil.ResponseStartLine("HTTP/1.1", status, reason)
        request.connection.write_headers(start, headers, body or None)
        headers.pop("Connection", None)  # added for this connection: the headers may be shared
        request.connection.finish()
        # Not one INFO line each: thousands a second would cost more than the answers (a proxy
        # in front logs every request anyway).
        if access_log.isEnabledFor(logging.DEBUG):
            access_log.debug(
                "%d %s %s (%s) %.2fms (stored)",
                status,
                request.method,
                request.uri,
                request.remote_ip,
                1000.0 * request.request_time(),
            )


_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header's value, formatted once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, tornado.httputil.format_timestamp(now))
    return _date[1]


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 13.1.2's weak comparison of If-None-Match with the response's ETag."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tag = etag.removeprefix("W/")
    return any(t.strip().removeprefix("W/") == tag for t in if_none_match.split(","))


def trust_proxy_headers(request: tornado.httputil.HTTPServerRequest) -> None:
    """The client's address and scheme as nginx passes them (X-Real-IP, X-Forwarded-For,
    X-Forwarded-Proto), as Tornado's `xheaders` takes them, but checked by parsing instead
    of a getaddrinfo call on every request, and only for requests that reach a handler
    (stored answers do not need the address)."""
    headers = request.headers
    ip = headers.get("X-Real-Ip")
    if ip is None and "X-Forwarded-For" in headers:
        ip = headers["X-Forwarded-For"].split(",")[-1]
    if ip:
        with contextlib.suppress(ValueError):  # not an address: keep the connection's
            request.remote_ip = str(ipaddress.ip_address(ip.strip()))
    proto = headers.get("X-Scheme") or headers.get("X-Forwarded-Proto")
    if proto and proto.split(",")[-1].strip() in ("http", "https"):
        request.protocol = proto.split(",")[-1].strip()


class Application(tornado.web.Application):
    """Answers stored anonymous reads before routing (app/read_cache.py), and routes one
    trailing slash off API paths, as PeerTube's Express router does: /api/v1/videos/{id}/
    answers like /api/v1/videos/{id} (yt-dlp asks with the slash)."""

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: object
    ) -> tornado.httputil.HTTPMessageDelegate:
        stored = self._stored(request)
        if stored is not None:
            return stored
        trust_proxy_headers(request)
        path = request.path
        if path.startswith("/api/") and len(path) > 5 and path[-1] == "/" and path[-2] != "/":
            request.path = path[:-1]
        return super().find_handler(request, **kwargs)

    def _stored(self, request: tornado.httputil.HTTPServerRequest) -> CachedResponse | None:
        """The stored answer to an anonymous GET while the read version holds; else None,
        leaving the key and version on the request for the handler that will render it."""
        cache: read_cache.ReadCache = self.settings["read_cache"]
        key = cache.key(request)
        if key is None:
            return None
        try:
            version = cache.version()
        except Exception:  # the handler will meet the database's error and answer it
            log.exception("cannot read the read version")
            return None
        request.read_key = (key, version)  # type: ignore[attr-defined]
        entry = cache.get(key, version)
        if entry is None:
            return None
        token = None
        if entry.has_xsrf:
            cookie = request.cookies.get("_xsrf")
            token = read_cache.xsrf_from_cookie(cookie.value.encode() if cookie else None)
            if token is None:
                return None  # a first visit: the handler makes the visitor's token
        return CachedResponse(request, entry, token)


def make_app(settings: Settings, **overrides: object) -> tornado.web.Application:
    """The web application for these settings."""
    wiring.connect()
    options = {
        "shoal": settings,
        "cookie_secret": settings.secret,
        "xsrf_cookies": True,
        "xsrf_cookie_kwargs": {"httponly": True, "samesite": "Lax", "secure": settings.https},
        "static_path": str(ASSETS),
        "static_url_prefix": "/assets/",
        "login_limiter": RateLimiter(settings.login_attempts_per_minute, 60),
        "signup_limiter": RateLimiter(1, 3600),  # its limit: the admin's, read at each sign-up
        "view_counter": ViewCounter(),
        "read_cache": read_cache.ReadCache(private_cookie=SESSION_COOKIE),
        "compress_response": True,
        "websocket_ping_interval": 30,
        "websocket_max_message_size": 64 * 1024,
    }
    options.update(overrides)
    return Application(routes(), **options)
