"""Media files: HLS playlists and fragmented MP4s (with Range), thumbnails, downloads.

Every file belongs to a video; a private video's files are served only to
those who may see the video. File names are checked against a strict pattern
and resolved inside the video's folder, so no path leaves it.

Cache-Control lets a reverse proxy or a CDN keep what anyone may see, for as
long as the URL names the same bytes:
- the files of a transcoding (fragmented MP4s, whose byte ranges are the
  segments and the init segment, and segments-sha256.json) are named with that
  run's random prefix, so new content comes under a new name: a year, immutable;
- playlists briefly (PeerTube sets no lifetime on them: a live or an edit
  rewrites them under the same name);
- thumbnails, previews, storyboards, torrents, downloads and originals are
  named after the video, and a remote video's new picture or a new mirror in a
  torrent comes under the same URL: two hours, as PeerTube's static files;
- a video that not everyone may see (private, blocked, of a blocked owner):
  `private, no-store`, and so are refusals, so that no shared cache keeps a 404
  that its owner would get next.

With SHOAL_ACCEL_REDIRECT set, the checks stay here and the bytes do not: the
answer is an empty one with `X-Accel-Redirect: <prefix><path under SHOAL_DATA>`
and nginx sends the file from its internal location (Range, HEAD and
conditional requests included). nginx keeps Content-Type, Content-Disposition
and Cache-Control from such an answer and drops other headers (the internal
location adds Access-Control-Allow-Origin back: deploy/nginx/shoal.conf).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path
from urllib.parse import quote

import tornado.web

from app import channels, originals, torrents, videos
from app.federation import mirroring
from app.federation.fetch import FetchError, fetch_image_async
from app.settings import Settings
from handlers.base import BaseHandler, public
from models.accounts import Channel
from models.redundancy import live_mirrors
from models.videos import Video, VideoFile

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9]+)+$")
MAX_RESOLUTION = 100_000  # far above any video's height; a longer number names no file

IMMUTABLE = "public, max-age=31536000, immutable"
PLAYLIST = "public, max-age=10"
NAMED_BY_VIDEO = "public, max-age=7200"
PRIVATE = "private, no-store"
# A transcoding's outputs begin with its random prefix (app/media/transcode.py; PeerTube's
# files too, which mirrors copy under their names).
_PREFIXED = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-")


def hls_cache_control(filename: str) -> str:
    """Cache-Control of a public file of a video's HLS folder."""
    if filename.endswith(".m3u8"):
        return PLAYLIST
    if _PREFIXED.match(filename):
        return IMMUTABLE
    return NAMED_BY_VIDEO  # thumbnail.jpg, preview.jpg, cached remote images


def accel_uri(settings: Settings, absolute: str | Path) -> str:
    """The X-Accel-Redirect URI of a file of SHOAL_DATA (ValueError for one outside it)."""
    relative = Path(absolute).relative_to(settings.data_dir)
    return settings.accel_redirect + quote(relative.as_posix())


def resolution_of(text: str) -> int:
    """The resolution in a media URL; 404 for one no file can have (beyond 64 bits, say)."""
    if len(text) > 6 or int(text) > MAX_RESOLUTION:
        raise tornado.web.HTTPError(404)
    return int(text)


class NoStoreRefusals(tornado.web.RequestHandler):
    """Refusals are `private, no-store`: a shared cache must not keep the 404 a visitor got
    for a private video's file and give it to the owner."""

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Cache-Control", PRIVATE)
        super().write_error(status_code, **kwargs)


class FileSender(NoStoreRefusals, tornado.web.StaticFileHandler):
    """Sends one file of SHOAL_DATA (`send_file`): itself, or, with SHOAL_ACCEL_REDIRECT,
    through the reverse proxy once the handler's checks are done."""

    accel = False  # this answer leaves the bytes to the proxy

    async def send_file(self, path: str, include_body: bool) -> None:
        """`path` under the handler's root; 404 (403 for no regular file) as StaticFileHandler."""
        settings: Settings = self.application.settings["shoal"]
        if not settings.accel_redirect:
            await tornado.web.StaticFileHandler.get(self, path, include_body=include_body)
            return
        self.path = self.parse_url_path(path)
        absolute = self.get_absolute_path(self.root, self.path)
        self.absolute_path = self.validate_absolute_path(self.root, absolute)
        if self.absolute_path is None:
            return
        self.accel = True
        self.set_header("Content-Type", self.get_content_type())
        self.set_extra_headers(self.path)
        self.set_header("X-Accel-Redirect", accel_uri(settings, self.absolute_path))

    def compute_etag(self) -> str | None:
        """Size and modification time, as nginx does. Tornado's own ETag reads and hashes
        the whole file on the first request of it in each process, on the serving loop
        (a 60 MB rendition stalls every other request for a moment), and gives files over
        64 MB none at all, with an error in the log. None when the proxy sends the file:
        nginx makes its own."""
        if self.absolute_path is None or self.accel:
            return None
        stat = os.stat(self.absolute_path)
        return f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'


class MediaHandler(FileSender, BaseHandler):
    """Serves files of one video's folder (media/hls/<uuid>/)."""

    video: Video | None = None

    def initialize(self) -> None:  # type: ignore[override]
        super().initialize(path=str(self.application.settings["shoal"].media_dir / "hls"))

    def _video(self, uuid: str) -> Video:
        video = videos.find_video(uuid)
        if video is None or not videos.can_view(video, self.user):
            raise tornado.web.HTTPError(404)
        self.video = video
        return video

    def public_cache_control(self, path: str) -> str:
        """Cache-Control of this file when anyone may see the video."""
        return hls_cache_control(path.rsplit("/", 1)[-1])

    def set_extra_headers(self, path: str) -> None:
        if self.video is not None and not videos.can_view(self.video, None):
            self.set_header("Cache-Control", PRIVATE)  # what a visitor may not see
        else:
            self.set_header("Access-Control-Allow-Origin", "*")
            self.set_header("Cache-Control", self.public_cache_control(path))

    def get_content_type(self) -> str:
        if self.absolute_path.endswith(".m3u8"):
            return "application/vnd.apple.mpegurl"
        if self.absolute_path.endswith(".json"):
            return "application/json"
        return super().get_content_type()

    async def serve(self, uuid: str, filename: str, include_body: bool = True) -> None:
        if not _NAME.match(filename):
            raise tornado.web.HTTPError(404)
        # A video anyone may see stays so until the read version moves (app/read_cache.py):
        # its next segments are sent without looking it up again.
        cache = self.application.settings["read_cache"]
        version = cache.version()
        if not cache.known_public(uuid, version):
            video = self._video(uuid)
            if videos.can_view(video, None):
                cache.note_public(uuid, version)
        await self.send_file(f"{uuid}/{filename}", include_body)

    @public
    async def get(self, uuid: str, filename: str, include_body: bool = True) -> None:  # type: ignore[override]
        await self.serve(uuid, filename, include_body)

    @public
    async def head(self, uuid: str, filename: str) -> None:  # type: ignore[override]
        await self.serve(uuid, filename, include_body=False)


class ImageHandler(MediaHandler):
    """/lazy-static/{thumbnails,previews,storyboards}/<uuid>.jpg."""

    def public_cache_control(self, path: str) -> str:
        return NAMED_BY_VIDEO  # the URL names the video, not the picture

    def _stored(self, kind: str, video: Video) -> str:
        """The file name (a URL for remote videos) of the video's image of this kind."""
        if kind == "storyboards":
            board = videos.storyboard_of(video)
            name = board.filename if board else ""
        else:
            name = video.thumbnail if kind == "thumbnails" else video.preview
        if not name:
            raise tornado.web.HTTPError(404)
        return name

    async def _serve(self, kind: str, uuid: str, include_body: bool) -> None:
        video = self._video(uuid)
        name = self._stored(kind, video)
        if not video.is_local:
            name = await self._cached_remote(video, kind, name)
        await self.send_file(f"{uuid}/{name}", include_body)

    async def _cached_remote(self, video: Video, kind: str, url: str) -> str:
        """Remote images are fetched once and kept beside local media (PeerTube's lazy-static).

        The copy is named after its URL, so an origin's new picture is fetched anew.
        """
        key = hashlib.sha256(url.encode()).hexdigest()[:16]
        name = f"remote-{kind}-{key}.jpg"
        folder = self.shoal.media_dir / "hls" / str(video.uuid)
        if not (folder / name).exists():
            try:
                data = await fetch_image_async(self.shoal, url)
            except FetchError:
                raise tornado.web.HTTPError(404) from None
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{secrets.token_hex(4)}.part"  # web processes may race
            tmp.write_bytes(data)
            tmp.replace(folder / name)
        return name

    @public
    async def get(self, kind: str, uuid: str) -> None:  # type: ignore[override]
        await self._serve(kind, uuid, include_body=True)

    @public
    async def head(self, kind: str, uuid: str) -> None:  # type: ignore[override]
        await self._serve(kind, uuid, include_body=False)


class MirrorFileHandler(MediaHandler):
    """/static/redundancy/hls/<uuid>/<file>: this server's copy of a remote video."""

    def initialize(self) -> None:  # type: ignore[override]
        tornado.web.StaticFileHandler.initialize(
            self, path=str(self.application.settings["shoal"].media_dir / "mirrors")
        )

    async def serve(self, uuid: str, filename: str, include_body: bool = True) -> None:
        video = self._video(uuid)
        mirror = mirroring.ours(video)
        if mirror is None or mirror.state != "ready" or not _NAME.match(filename):
            raise tornado.web.HTTPError(404)
        await self.send_file(f"{uuid}/{filename}", include_body)


class DownloadHandler(MediaHandler):
    """/download/streaming-playlists/hls/videos/<uuid>-<resolution>-fragmented.mp4."""

    def public_cache_control(self, path: str) -> str:
        return NAMED_BY_VIDEO

    async def serve_download(self, uuid: str, resolution: str, include_body: bool) -> None:
        video = self._video(uuid)
        if not video.download_enabled:
            raise tornado.web.HTTPError(403)
        file = video.files.where(VideoFile.resolution == resolution_of(resolution)).first()
        if file is None:
            raise tornado.web.HTTPError(404)
        safe = re.sub(r"[^A-Za-z0-9 _-]", "-", video.name)[:80].strip() or "video"
        self.set_header("Content-Disposition", f'attachment; filename="{safe} {resolution}p.mp4"')
        await self.send_file(f"{uuid}/{Path(file.filename).name}", include_body)

    @public
    async def get(self, uuid: str, resolution: str) -> None:  # type: ignore[override]
        await self.serve_download(uuid, resolution, True)

    @public
    async def head(self, uuid: str, resolution: str) -> None:  # type: ignore[override]
        await self.serve_download(uuid, resolution, False)


class OriginalFileHandler(MediaHandler):
    """/static/web-videos/<uuid>-<res><ext> (and /download/web-videos/... to save): the
    upload as received, listed in `files` until the renditions are published."""

    def public_cache_control(self, path: str) -> str:
        return NAMED_BY_VIDEO

    def initialize(self) -> None:  # type: ignore[override]
        tornado.web.StaticFileHandler.initialize(
            self, path=str(self.application.settings["shoal"].originals_dir)
        )

    async def serve_original(
        self, kind: str, uuid: str, resolution: str, ext: str, include_body: bool
    ) -> None:
        video = self._video(uuid)
        info = originals.load(self.shoal, video)
        listed = (info.resolution if info else 0) == resolution_of(resolution)
        if not originals.is_listed(video) or not listed or ext != originals.suffix(video):
            raise tornado.web.HTTPError(404)
        if kind == "download":
            if not video.download_enabled:
                raise tornado.web.HTTPError(403)
            safe = re.sub(r"[^A-Za-z0-9 _-]", "-", video.name)[:80].strip() or "video"
            self.set_header("Content-Disposition", f'attachment; filename="{safe}{ext}"')
        await self.send_file(video.original_path, include_body)

    @public
    async def get(self, kind: str, uuid: str, resolution: str, ext: str) -> None:  # type: ignore[override]
        await self.serve_original(kind, uuid, resolution, ext, True)

    @public
    async def head(self, kind: str, uuid: str, resolution: str, ext: str) -> None:  # type: ignore[override]
        await self.serve_original(kind, uuid, resolution, ext, False)


class ChannelImageFileHandler(FileSender):
    """Avatars and banners of local channels: public, and named with the time of their
    upload (app/channels.py), so a new picture has a new URL."""

    def initialize(self) -> None:  # type: ignore[override]
        super().initialize(path=str(self.application.settings["shoal"].media_dir / "images"))

    def set_extra_headers(self, path: str) -> None:
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", IMMUTABLE)

    async def get(self, kind: str, name: str, include_body: bool = True) -> None:  # type: ignore[override]
        await self.send_file(f"{kind}-{name}.jpg", include_body)

    async def head(self, kind: str, name: str) -> None:  # type: ignore[override]
        await self.get(kind, name, include_body=False)


class RemoteChannelImageHandler(BaseHandler):
    """A remote channel's avatar or banner, fetched once from its origin and cached here."""

    @public
    async def get(self, kind: str, channel_id: str, key: str) -> None:
        channel = Channel.get_or_none(Channel.id == int(channel_id))
        url = getattr(channel, kind, "") if channel is not None else ""
        if not url.startswith("http") or channels.remote_key(url) != key:
            raise tornado.web.HTTPError(404)
        folder = channels.images_dir(self.shoal)
        path = folder / f"remote-{kind}-{channel_id}-{key}.jpg"
        if not path.exists():
            try:
                data = await fetch_image_async(self.shoal, url)
            except FetchError:
                raise tornado.web.HTTPError(404) from None
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.part")  # web processes may race
            tmp.write_bytes(data)
            tmp.replace(path)
        self.set_header("Content-Type", "image/jpeg")
        self.set_header("Cache-Control", "public, max-age=86400")
        if self.shoal.accel_redirect:
            self.set_header("X-Accel-Redirect", accel_uri(self.shoal, path))
            self.finish()
        else:
            self.finish(path.read_bytes())

    head = get  # public too; Tornado leaves the body out of a HEAD answer


def send_torrent(handler: BaseHandler, video: Video, body: bytes, attachment: str) -> None:
    """A .torrent answer: any site may read a public one; `attachment` names a download."""
    handler.set_header("Content-Type", "application/x-bittorrent")
    if videos.can_view(video, None):
        handler.set_header("Access-Control-Allow-Origin", "*")
        # Named after the video: a new mirror's web seed comes under the same URL.
        handler.set_header("Cache-Control", NAMED_BY_VIDEO)
    else:
        handler.set_header("Cache-Control", PRIVATE)
    if attachment:
        handler.set_header("Content-Disposition", f'attachment; filename="{attachment}"')
    handler.finish(body)


class TorrentHandler(NoStoreRefusals, BaseHandler):
    """/lazy-static/torrents/<uuid>-<res>-hls.torrent (and /download/torrents/... to save)."""

    @public
    def get(self, kind: str, uuid: str, resolution: str) -> None:
        video = videos.find_video(uuid)
        if video is None or not videos.can_view(video, self.user) or not video.is_local:
            raise tornado.web.HTTPError(404)
        file = video.files.where(VideoFile.resolution == resolution_of(resolution)).first()
        if file is None or not file.infohash:
            raise tornado.web.HTTPError(404)
        body = torrents.torrent_file(
            self.shoal,
            torrents.TorrentInfo(
                file.torrent_name, file.size, file.piece_length, bytes(file.pieces)
            ),
            videos.media_url(self.shoal, video, file.filename),
            int((video.published_at or video.created_at).timestamp()),
            [f"{m.file_url}/{Path(file.filename).name}" for m in live_mirrors(video)],
        )
        send_torrent(
            self, video, body, f"{uuid}-{resolution}-hls.torrent" if kind == "download" else ""
        )

    head = get  # public too; Tornado leaves the body out of a HEAD answer


class OriginalTorrentHandler(NoStoreRefusals, BaseHandler):
    """/lazy-static/torrents/<uuid>-<res>.torrent (and /download/torrents/...): the
    original's torrent, while the original is listed (see app/originals.py)."""

    @public
    def get(self, kind: str, uuid: str, resolution: str) -> None:
        video = videos.find_video(uuid)
        if video is None or not videos.can_view(video, self.user) or not originals.is_listed(video):
            raise tornado.web.HTTPError(404)
        info = originals.load(self.shoal, video)
        if info is None or info.resolution != resolution_of(resolution):
            raise tornado.web.HTTPError(404)
        body = originals.torrent_file(self.shoal, video, info)
        send_torrent(
            self, video, body, f"{uuid}-{resolution}.torrent" if kind == "download" else ""
        )

    head = get  # public too; Tornado leaves the body out of a HEAD answer


UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

ROUTES = [
    (
        r"/(?P<kind>lazy-static|download)/torrents/(?P<uuid>[0-9a-fA-F-]{36})-(?P<resolution>\d+)"
        r"-hls\.torrent",
        TorrentHandler,
    ),
    (
        r"/(?P<kind>lazy-static|download)/torrents/(?P<uuid>[0-9a-fA-F-]{36})-(?P<resolution>\d+)"
        r"\.torrent",
        OriginalTorrentHandler,
    ),
    (
        rf"/(?P<kind>static|download)/web-videos/(?P<uuid>{UUID})-(?P<resolution>\d+)"
        r"(?P<ext>(?:\.[a-z0-9]{1,7})?)",
        OriginalFileHandler,
    ),
    (
        r"/lazy-static/remote-(?P<kind>avatar|banner)s/(?P<channel_id>\d{1,9})-(?P<key>[0-9a-f]{12})\.jpg",
        RemoteChannelImageHandler,
    ),
    (
        r"/lazy-static/(?P<kind>avatar|banner)s/(?P=kind)-(?P<name>\d+-\d+-\d+x\d+)\.jpg",
        ChannelImageFileHandler,
    ),
    (rf"/static/streaming-playlists/hls/(?P<uuid>{UUID})/(?P<filename>[^/]+)", MediaHandler),
    (rf"/static/redundancy/hls/(?P<uuid>{UUID})/(?P<filename>[^/]+)", MirrorFileHandler),
    (
        rf"/lazy-static/(?P<kind>thumbnails|previews|storyboards)/(?P<uuid>{UUID})\.jpg",
        ImageHandler,
    ),
    (
        rf"/download/streaming-playlists/hls/videos/(?P<uuid>{UUID})-(?P<resolution>\d+)"
        r"-fragmented\.mp4",
        DownloadHandler,
    ),
]
