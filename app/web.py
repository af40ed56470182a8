"""Wiring: the Tornado Application built from every handlers module's ROUTES.

The order below is the order URLs are matched; the last entry is the 404
catch-all (JSON under /api/, a page elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import tornado.httputil
import tornado.web

from app import wiring
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
from handlers.base import APIHandler, PageHandler, Problem, public

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


class Application(tornado.web.Application):
    """Routes one trailing slash off API paths, as PeerTube's Express router does:
    /api/v1/videos/{id}/ answers like /api/v1/videos/{id} (yt-dlp asks with the slash)."""

    def find_handler(
        self, request: tornado.httputil.HTTPServerRequest, **kwargs: object
    ) -> tornado.httputil.HTTPMessageDelegate:
        path = request.path
        if path.startswith("/api/") and len(path) > 5 and path[-1] == "/" and path[-2] != "/":
            request.path = path[:-1]
        return super().find_handler(request, **kwargs)


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
        "compress_response": True,
        "websocket_ping_interval": 30,
        "websocket_max_message_size": 64 * 1024,
    }
    options.update(overrides)
    return Application(routes(), **options)
