"""Lists and vocabularies PeerTube clients ask for, where Shoal has nothing to list.

Shoal has no plugins, playlists or captions, but clients ask for them anyway
(yt-dlp asks for a video's captions; apps open the admin's plugin page).
PeerTube answers such requests with an empty list in its own shape, and a 404
there breaks those clients, so these handlers answer as PeerTube would with
nothing stored: the same paging, sort and access checks (bad input is a 400,
admin lists are refused to others), and `{"total": 0, "data": []}`.
"""

from __future__ import annotations

from typing import Any

from app import channels, videos
from app.constants import CATEGORIES, LANGUAGES, LICENCES, PLAYLIST_PRIVACIES, PRIVACIES
from handlers.api.videos import video_or_problem
from handlers.base import APIHandler, Problem, bad_query, public

EMPTY: dict[str, Any] = {"total": 0, "data": []}


def sorts(*columns: str) -> frozenset[str]:
    """PeerTube's sortable columns, ascending and descending (`-name`)."""
    return frozenset(columns) | frozenset(f"-{c}" for c in columns)


PLUGIN_SORTS = sorts("name", "createdAt", "updatedAt")
AVAILABLE_PLUGIN_SORTS = sorts("npmName", "popularity", "trending")
PLAYLIST_SORTS = sorts("name", "displayName", "createdAt", "updatedAt", "videoChannelPosition")
COMMENT_THREAD_SORTS = sorts("createdAt", "totalReplies")  # handlers/api/comments.py


class VocabularyHandler(APIHandler):
    """GET /api/v1/videos/categories (licences, languages, privacies) and
    /api/v1/video-playlists/privacies: PeerTube's `{id: label}` objects."""

    def initialize(self, table: dict) -> None:  # type: ignore[override]
        self.table = table

    @public
    def get(self) -> None:
        self.send({str(key): label for key, label in self.table.items()})


def check_choice(handler: APIHandler, name: str, allowed: tuple[str, ...], msg: str) -> None:
    """A query parameter that must be one of `allowed` when given."""
    raw = handler.get_argument(name, None)
    if raw not in (None, "") and raw not in allowed:
        raise bad_query(name, raw, msg)


class PluginsHandler(APIHandler):
    """GET /api/v1/plugins and /api/v1/plugins/available: for administrators, as on
    PeerTube (401 without a token, 403 for others); Shoal runs no plugins."""

    def initialize(self, sorts: frozenset[str], default_sort: str) -> None:  # type: ignore[override]
        self.sorts = sorts
        self.default_sort = default_sort

    def get(self) -> None:
        if not self.user.is_admin:
            raise Problem(403, "Only administrators manage plugins.")
        self.paging(self.sorts, self.default_sort)
        check_choice(self, "pluginType", ("1", "2"), "Should have a valid plugin type")
        check_choice(self, "uninstalled", ("true", "false"), "Should have a valid uninstalled")
        self.send(EMPTY)


class PlaylistsHandler(APIHandler):
    """GET /api/v1/video-playlists: the public playlists (Shoal has none)."""

    @public
    def get(self) -> None:
        self.paging(PLAYLIST_SORTS, "-createdAt")
        check_choice(self, "playlistType", ("1", "2"), "Should have a valid playlist type")
        self.send(EMPTY)


class AccountPlaylistsHandler(APIHandler):
    """GET /api/v1/accounts/{handle}/video-playlists: none, for an account that exists."""

    @public
    def get(self, handle: str) -> None:
        if channels.find_account(handle, self.shoal.host) is None:
            raise Problem(404, "Account not found")
        self.paging(PLAYLIST_SORTS, "-createdAt")
        self.send(EMPTY)


class ChannelPlaylistsHandler(APIHandler):
    """GET /api/v1/video-channels/{handle}/video-playlists: none, for a channel that exists."""

    @public
    def get(self, handle: str) -> None:
        if channels.find_channel(handle, self.shoal.host) is None:
            raise Problem(404, "Video channel not found")
        self.paging(PLAYLIST_SORTS, "-createdAt")
        self.send(EMPTY)


class CaptionsHandler(APIHandler):
    """GET /api/v1/videos/{id}/captions: none (yt-dlp asks for them with every video)."""

    @public
    def get(self, ref: str) -> None:
        video_or_problem(self, ref)
        self.send(EMPTY)


class StoryboardsHandler(APIHandler):
    """GET /api/v1/videos/{id}/storyboards: the sprite PeerTube's player shows on its seek bar."""

    @public
    def get(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        board = videos.storyboard_of(video)
        self.send({"storyboards": [videos.storyboard_json(video, board)] if board else []})


ROUTES = [
    (r"/api/v1/videos/categories", VocabularyHandler, {"table": CATEGORIES}),
    (r"/api/v1/videos/licences", VocabularyHandler, {"table": LICENCES}),
    (r"/api/v1/videos/languages", VocabularyHandler, {"table": LANGUAGES}),
    (r"/api/v1/videos/privacies", VocabularyHandler, {"table": PRIVACIES}),
    (r"/api/v1/video-playlists/privacies", VocabularyHandler, {"table": PLAYLIST_PRIVACIES}),
    (r"/api/v1/video-playlists", PlaylistsHandler),
    (
        r"/api/v1/plugins",
        PluginsHandler,
        {"sorts": PLUGIN_SORTS, "default_sort": "-createdAt"},
    ),
    (
        r"/api/v1/plugins/available",
        PluginsHandler,
        {"sorts": AVAILABLE_PLUGIN_SORTS, "default_sort": "-popularity"},
    ),
    (r"/api/v1/accounts/(?P<handle>[^/]+)/video-playlists", AccountPlaylistsHandler),
    (r"/api/v1/video-channels/(?P<handle>[^/]+)/video-playlists", ChannelPlaylistsHandler),
    (r"/api/v1/videos/(?P<ref>[^/]+)/captions", CaptionsHandler),
    (r"/api/v1/videos/(?P<ref>[^/]+)/storyboards", StoryboardsHandler),
]
