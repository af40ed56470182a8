"""Which swarms this server's tracker accepts: those of the videos it knows.

The tracker (app/tracker.py) asks `known_infohash(info_hash)` when a swarm
would be created. Announces never reach the database: the accepted ids are
computed from Video and VideoFile rows, kept in memory, and recomputed when
older than `ttl` (30 s), or, for an id not in the set, when older than
`miss_ttl` (5 s), so a video published a moment ago is found quickly.

Three kinds of id are accepted.

1. p2p-media-loader 2.3.1 swarms (the vendored player library). Its info_hash
   is NOT PeerTube's formula. In assets/vendor/p2p-media-loader/
   p2p-media-loader-core.es.min.js:

   - region `src/p2p/loader.ts`, class `In` (the P2P loader) constructor:
     ``let s = $(this.config.swarmId ?? this.streamManifestUrl, this.stream);``
     with ``function $(e, t) { return `${Dn}-${e}-${jn(t)}`; }``,
     ``Dn = "v2"`` and ``function jn(e) { return `${e.type}-${e.index}`; }``.
     `streamManifestUrl` is the master playlist's response URL with its query
     cut off (`Core.setManifestResponseUrl`: ``e.split("?")[0]``), the
     hls.js integration calling it from `handleManifestLoaded` with the
     XHR's `responseURL`.
   - region `src/p2p/tracker-client.ts`, class `En` constructor:
     ``let o = Nt(t); ... new ht({infoHash: bt(o), ...})`` and region
     `src/utils/peer.ts`: ``function Nt(e) { return btoa(kt(e).slice(0, 15)); }``
     where `kt` (region `src/utils/hash.ts`) is SHA-1 of the UTF-8 text,
     returned as a binary string, and `bt` is `TextEncoder().encode`. The
     bundled bittorrent-tracker client turns those 20 bytes into hex and back
     (`B`, `We`), so the info_hash on the wire is the 20 ASCII characters of
     base64(SHA-1(text)[:15]).
   - The stream's `index` is not a position: p2p-media-loader-hlsjs's
     `processMainManifest` gives each hls.js level (`type: "main"`)
     ``index: generateStreamShortId({bitrate: maxBitrate ?? bitrate, codecs:
     videoCodec, width, height, frameRate: attrs["FRAME-RATE"], videoRange:
     attrs["VIDEO-RANGE"]})`` (all but bitrate left out when it is 0), and
     core's `generateStreamShortId` (function `On`, exported under that name)
     is base64(SHA-1(`${bitrate}-${codecs}-${width}-${height}-${language}-
     ${channels}-${name}-${frameRate}-${videoRange}`)), codecs lower-cased,
     "avc1.66.30"-style names rewritten to hex and sorted, the frame rate
     normalised through JavaScript's Number().

   So: info_hash = base64(SHA-1("v2-" + master URL + "-main-" + short id)[:15]),
   one per rendition. Shoal's player must not set p2p-media-loader's
   `swarmId` (the master playlist URL is then the swarm), and must load the
   master from `media_url(...)` as written here (another host name or a CDN
   URL would make other ids).

2. PeerTube's (and p2p-media-loader 1.x's) ids: SHA-1 of "2" + master URL +
   "+V" + index, raw 20 bytes (`swarm_id()` in app/federation/objects.py is
   its hex, published in ActivityPub `Infohash` tags), for PeerTube players.

3. BitTorrent info-hashes of the renditions' torrents: VideoFile.infohash
   (hex, see app/torrents.py), plus `extra_infohashes` (ids added in this
   process) and whatever the functions in `infohash_sources` return (called
   at each refresh).

Local videos are complete: their VideoFile rows hold the BANDWIDTH, CODECS,
RESOLUTION and FRAME-RATE written into the master playlist. Remote videos
only get kind 2 (and 1 where their rows have bandwidth and codecs): the
origin's master playlist is not fetched here; `master_playlist_infohashes()`
computes kind 1 from a playlist's text for whoever has it (register the
result in `extra_infohashes`).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable

from app import p2p
from app.media.hls import format_frame_rate
from app.settings import Settings
from app.videos import media_url
from models import db
from models.moderation import unblocked_videos
from models.videos import Privacy, State, Video, VideoFile

log = logging.getLogger(__name__)

TTL = 30.0
MISS_TTL = 5.0

# BitTorrent info-hashes known by other means (torrents made in this process).
extra_infohashes: set[bytes] = set()
# Functions returning more info-hashes, called at every refresh (e.g. torrent columns).
infohash_sources: list[Callable[[], Iterable[bytes]]] = []

# hls.js's video sample entries (`isCodecType(codec, "video")` looks at 4 characters).
_VIDEO_CODEC = re.compile(
    r"avc[1-4p]|av01|dav1|drac|dva1|dvav|dvh[1e]|encv|hev1|hvc1|mjp2|mp4v|mvc[1-4]|resv|rv60"
    r"|s263|svc[12]|vc-1|vp0[89]"
)
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def _sha1(text: str) -> bytes:
    return hashlib.sha1(text.encode(), usedforsecurity=False).digest()


def _js_number(text: str) -> str:
    """JavaScript's Number(text).toString() for a decimal attribute; '' if not a number."""
    try:
        value = float(text)
    except ValueError:
        return ""
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _codecs(codecs: str) -> str:
    """p2p-media-loader's codec normalisation: lower case, avc1.X.Y to hex, sorted."""
    out = []
    for codec in codecs.split(","):
        codec = codec.strip().lower()
        parts = codec.split(".")
        if (
            len(parts) == 3
            and parts[0] in ("avc1", "avc")
            and all(p.isdigit() and str(int(p)) == p for p in parts[1:])
        ):
            codec = f"{parts[0]}.{int(parts[1]):02x}00{int(parts[2]):02x}"
        out.append(codec)
    return ",".join(sorted(out))


def video_codec(codecs: str) -> str:
    """hls.js's `videoCodec` of a CODECS attribute: its video entries, '' if none."""
    found = [c.split("/")[0] for c in re.split(r"[ ,]+", codecs) if _VIDEO_CODEC.fullmatch(c[:4])]
    return ",".join(found)


def stream_short_id(
    bitrate: int,
    codecs: str = "",
    width: int | None = None,
    height: int | None = None,
    frame_rate: str = "",
    video_range: str = "",
) -> str:
    """p2p-media-loader's `generateStreamShortId` of an hls.js main level.

    `codecs` is hls.js's videoCodec, `frame_rate` the FRAME-RATE attribute as
    written. A level without a bit rate is known by its bit rate alone.
    """
    if not bitrate:
        codecs, width, height, frame_rate, video_range = "", None, None, "", ""
    text = "-".join(
        [
            str(bitrate),
            _codecs(codecs) if codecs else "",
            "" if width is None else str(width),
            "" if height is None else str(height),
            "",  # language: audio tracks only
            "",  # channels: audio tracks only
            "",  # name: audio tracks only
            _js_number(frame_rate) if frame_rate else "",
            video_range.upper().strip(),
        ]
    )
    return base64.b64encode(_sha1(text)).decode()


def p2pml_infohash(manifest_url: str, short_id: str, stream_type: str = "main") -> bytes:
    """The 20-byte info_hash p2p-media-loader 2.3.1 announces for one stream."""
    return base64.b64encode(_sha1(f"v2-{manifest_url}-{stream_type}-{short_id}")[:15])


def peertube_infohash(master_url: str, index: int) -> bytes:
    """PeerTube's (p2p-media-loader 1.x) swarm id of rendition `index`, as raw bytes."""
    return _sha1(f"2{master_url}+V{index}")


def _file_short_id(f: VideoFile) -> str | None:
    """The short id of the master playlist line app/media/hls.py writes for `f`."""
    if not f.bandwidth:
        return None  # a remote rendition: its playlist attributes are not stored
    if f.height:
        return stream_short_id(
            f.bandwidth, video_codec(f.codecs), f.width, f.height, format_frame_rate(f.fps)
        )
    return stream_short_id(f.bandwidth, video_codec(f.codecs))


def video_infohashes(settings: Settings, video: Video, files: list[VideoFile]) -> set[bytes]:
    """Every info_hash of one video's swarms (the three kinds of the module docstring)."""
    if not video.hls_master:
        return set()
    master = media_url(settings, video, video.hls_master).split("?")[0]
    hashes = {peertube_infohash(master, i) for i in range(len(files))}
    for f in files:
        short = _file_short_id(f)
        if short is not None:
            hashes.add(p2pml_infohash(master, short))
        if f.infohash:  # the rendition's torrent (app/torrents.py)
            hashes.add(bytes.fromhex(f.infohash))
    return hashes


def master_playlist_infohashes(manifest_url: str, text: str) -> set[bytes]:
    """p2p-media-loader 2.3.1 info_hashes of the levels of a master playlist's text."""
    manifest_url = manifest_url.split("?")[0]
    hashes = set()
    for line in text.splitlines():
        if not line.startswith("#EXT-X-STREAM-INF:"):
            continue
        attrs = {k: v.strip('"') for k, v in _ATTRIBUTE.findall(line.split(":", 1)[1])}
        bitrate = int(attrs.get("BANDWIDTH") or attrs.get("AVERAGE-BANDWIDTH") or 0)
        width = height = None
        if re.fullmatch(r"\d+x\d+", attrs.get("RESOLUTION", "")):
            width, height = (int(n) for n in attrs["RESOLUTION"].split("x"))
        short = stream_short_id(
            bitrate,
            video_codec(attrs.get("CODECS", "")),
            width,
            height,
            attrs.get("FRAME-RATE", ""),
            attrs.get("VIDEO-RANGE", ""),
        )
        hashes.add(p2pml_infohash(manifest_url, short))
    return hashes


def all_infohashes(settings: Settings) -> set[bytes]:
    """Every accepted info_hash, from the database (published, not private videos).

    None at all when the administrator turned P2P off for the server.
    """
    db.connect(reuse_if_open=True)
    if not p2p.get().enabled:
        return set()
    videos = list(
        Video.select().where(
            (Video.state == State.PUBLISHED)
            & (Video.privacy != Privacy.PRIVATE)
            & (Video.hls_master != "")
            & unblocked_videos()
        )
    )
    files: dict[int, list[VideoFile]] = {v.id: [] for v in videos}
    if videos:
        for f in VideoFile.select().where(VideoFile.video.in_(list(files))):
            files[f.video_id].append(f)
    hashes = set(extra_infohashes)
    for video in videos:
        hashes |= video_infohashes(settings, video, files[video.id])
    for source in infohash_sources:
        hashes.update(source())
    return hashes


class KnownSwarms:
    """The cached set of accepted info_hashes; `known_infohash` is the tracker's predicate."""

    def __init__(
        self,
        settings: Settings,
        *,
        ttl: float = TTL,
        miss_ttl: float = MISS_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.ttl = ttl
        self.miss_ttl = miss_ttl
        self.clock = clock
        self._hashes: frozenset[bytes] = frozenset()
        self._at = float("-inf")
        self._lock = threading.Lock()

    def known_infohash(self, info_hash: bytes) -> bool:
        """Whether `info_hash` is a swarm of a video this server knows."""
        age = self.clock() - self._at
        if age >= self.ttl or (info_hash not in self._hashes and age >= self.miss_ttl):
            self.refresh()
        return info_hash in self._hashes or info_hash in extra_infohashes

    __call__ = known_infohash

    def refresh(self) -> None:
        """Recompute the set now (one query for videos, one for their files)."""
        with self._lock:
            try:
                self._hashes = frozenset(all_infohashes(self.settings))
            except Exception:  # a database hiccup must not take the tracker down
                log.exception("could not list the tracker's swarms; keeping the old set")
            self._at = self.clock()
