"""What a page with the video player (watch, embed) gives assets/js/player.js.

The player trades segments with other viewers through p2p-media-loader, whose
ES modules import each other by bare name: the page maps the names with an
inline `<script type="importmap">`. Pages send a script-src without
'unsafe-inline', so the import map's text is made here, once, and the page is
allowed exactly that text's hash; templates/_player.mako prints it unchanged.
"""

from __future__ import annotations

import json
from typing import Any

from app import p2p, videos
from handlers.base import PageHandler
from models.redundancy import live_mirrors
from models.videos import Video

PLAIN_HEIGHT = 720  # the rendition played without JavaScript, at most

# Bare module names -> files under assets/ (see assets/vendor/README.md).
P2P_MODULES = (
    ("p2p-media-loader-core", "vendor/p2p-media-loader/p2p-media-loader-core.es.min.js"),
    ("p2p-media-loader-hlsjs", "vendor/p2p-media-loader/p2p-media-loader-hlsjs.es.min.js"),
)


def import_map(handler: PageHandler) -> str:
    """The import map's exact text (versioned asset URLs, so caches stay right)."""
    imports = {name: handler.static_url(path) for name, path in P2P_MODULES}
    return json.dumps({"imports": imports}, separators=(",", ":"))


def plain_file(handler: PageHandler, video: Video, files: list) -> str:
    """One rendition to play without JavaScript: a fragmented MP4 plays in browsers as a
    plain file. The highest up to 720p (else the lowest); only for local videos, whose
    files the page's CSP lets it play."""
    if not video.is_local:
        return ""
    files = sorted(files, key=lambda f: f.resolution)
    if not files:
        return ""
    small = [f for f in files if f.resolution <= PLAIN_HEIGHT]
    chosen = small[-1] if small else files[0]
    return videos.media_url(handler.shoal, video, chosen.filename)


def mirror_masters(video: Video) -> list[str]:
    """The master playlists of the video's copies on servers that mirror it (this
    server's own copy of a remote video included): where the player goes on when the
    video's own server stops answering."""
    name = video.hls_master.rsplit("/", 1)[-1]
    return [f"{m.file_url}/{name}" for m in live_mirrors(video)] if name else []


def player_context(handler: PageHandler, video: Video, master_url: str) -> dict[str, Any]:
    """The values templates/_player.mako needs; widens the page's CSP as P2P requires.

    P2P is offered when the server allows it, the signed-in user (if any) has
    not turned it off, and the video has segment hashes to check peers' data
    against. Remote videos use their origin's tracker and hashes.
    """
    server = p2p.get()
    board = videos.storyboard_of(video)
    files = list(video.files)  # one query for the plain player and the poster
    hashes = videos.media_url(handler.shoal, video, video.hls_sha256) if video.hls_sha256 else ""
    tracker = p2p.tracker_url(master_url)
    enabled = p2p.enabled_for(server, handler.user) and bool(hashes and tracker)
    context: dict[str, Any] = {
        "p2p": enabled,
        "p2p_server": server.enabled,
        "tracker": tracker,
        "segments_sha256": hashes,
        "ice_servers": json.dumps(server.rtc_config()["iceServers"]),
        "import_map": "",
        "fallback": plain_file(handler, video, files),
        "storyboard": videos.storyboard_json(video, board) if board else None,
        "mirrors": "",
        # Sound only: a waveform picture stands in for the missing one.
        "poster": (
            f"/lazy-static/previews/{video.uuid}.jpg"
            if video.preview
            else handler.static_url("img/audio.svg")
            if not any(f.has_video for f in files)
            else ""
        ),
    }
    masters = mirror_masters(video)
    if masters:
        context["mirrors"] = json.dumps(masters)
        for url in masters:
            handler.allow_connect(url)
    context["modules"] = []
    if enabled:
        # Fetched alongside hls.js, not after player.js asks for them: a slow network
        # otherwise waits for them before the first playlist is even requested.
        context["modules"] = [handler.static_url(path) for _, path in P2P_MODULES]
        context["import_map"] = import_map(handler)
        handler.allow_script_hash(context["import_map"])
        # Named even for a local video: older Safari does not count ws(s): as 'self'.
        handler.allow_connect(tracker)
        if not video.is_local:
            handler.allow_connect(hashes)
    return context
