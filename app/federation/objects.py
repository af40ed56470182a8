"""ActivityPub Video objects in PeerTube's shape, both directions, and activity envelopes.

`video_object` writes the Video a PeerTube 6.3 server serves at
/videos/watch/{uuid} (see ../shared/fixtures/peertube-6.3/ap-video.json);
`parse_video` reads Video objects from PeerTube and, liberally, from other
servers. A pure function library: no database writes, no network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from app.constants import CATEGORIES, LANGUAGES, LICENCES
from app.federation.actors import CONTEXT, PUBLIC
from app.serialize import iso, media_base, torrent_fields, video_url
from app.settings import Settings
from models.videos import Privacy, State, Storyboard, Video, VideoFile

# PeerTube's Video @context, term for term as in ap-video.json.
# fmt: off
VIDEO_CONTEXT: list[Any] = [
    *CONTEXT,
    {
        "pt": "https://joinpeertube.org/ns#", "sc": "http://schema.org/",
        "Hashtag": "as:Hashtag", "category": "sc:category", "licence": "sc:license",
        "subtitleLanguage": "sc:subtitleLanguage",
        "automaticallyGenerated": "pt:automaticallyGenerated", "sensitive": "as:sensitive",
        "language": "sc:inLanguage", "identifier": "sc:identifier",
        "isLiveBroadcast": "sc:isLiveBroadcast",
        "liveSaveReplay": {"@type": "sc:Boolean", "@id": "pt:liveSaveReplay"},
        "permanentLive": {"@type": "sc:Boolean", "@id": "pt:permanentLive"},
        "latencyMode": {"@type": "sc:Number", "@id": "pt:latencyMode"},
        "Infohash": "pt:Infohash",
        "tileWidth": {"@type": "sc:Number", "@id": "pt:tileWidth"},
        "tileHeight": {"@type": "sc:Number", "@id": "pt:tileHeight"},
        "tileDuration": {"@type": "sc:Number", "@id": "pt:tileDuration"},
        "aspectRatio": {"@type": "sc:Float", "@id": "pt:aspectRatio"},
        "uuid": {"@type": "sc:identifier", "@id": "pt:uuid"},
        "originallyPublishedAt": "sc:datePublished", "uploadDate": "sc:uploadDate",
        "hasParts": "sc:hasParts",
        "views": {"@type": "sc:Number", "@id": "pt:views"},
        "state": {"@type": "sc:Number", "@id": "pt:state"},
        "size": {"@type": "sc:Number", "@id": "pt:size"},
        "fps": {"@type": "sc:Number", "@id": "pt:fps"},
        "commentsEnabled": {"@type": "sc:Boolean", "@id": "pt:commentsEnabled"},
        "canReply": "pt:canReply",
        "commentsPolicy": {"@type": "sc:Number", "@id": "pt:commentsPolicy"},
        "downloadEnabled": {"@type": "sc:Boolean", "@id": "pt:downloadEnabled"},
        "waitTranscoding": {"@type": "sc:Boolean", "@id": "pt:waitTranscoding"},
        "support": {"@type": "sc:Text", "@id": "pt:support"},
        "likes": {"@id": "as:likes", "@type": "@id"},
        "dislikes": {"@id": "as:dislikes", "@type": "@id"},
        "shares": {"@id": "as:shares", "@type": "@id"},
        "comments": {"@id": "as:comments", "@type": "@id"},
        "PropertyValue": "sc:PropertyValue", "value": "sc:value",
    },
]
# fmt: on

HLS_MEDIA_TYPES = ("application/x-mpegurl", "application/vnd.apple.mpegurl")
# The images app.media.transcode cuts (THUMBNAIL_WIDTH, PREVIEW_WIDTH there; a test
# keeps them equal): PeerTube announces 280x157 and 850x480.
THUMBNAIL_WIDTH = 280
PREVIEW_WIDTH = 850
# p2p-media-loader's peer protocol version, the "2" in PeerTube's swarm ids.
P2P_MEDIA_LOADER_PEER_VERSION = 2
_PUBLIC_FORMS = {PUBLIC, "as:Public", "Public"}
# What the columns hold (models/videos.py): IntegerField is 32-bit on PostgreSQL,
# BigIntegerField 64-bit, URLs and ids at most 2000 characters. A remote object is
# read into these bounds, so storing it can never overflow a column.
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1
MAX_URL = 2000
MAX_ASPECT_RATIO = 100.0
MAX_FPS = 1000.0
MAX_SPRITE_SIDE = 20_000  # pixels: 10 tiles of 2000; PeerTube's are 1920 at most


# --- writing -----------------------------------------------------------------------------


def swarm_id(master_playlist_url: str, index: int) -> str:
    """The p2p-media-loader swarm id of rendition `index` (master-playlist order).

    PeerTube puts these in the HLS Link's tag[] as `Infohash`; they are not
    BitTorrent info-hashes (those only appear in magnet `xt`).
    """
    raw = f"{P2P_MEDIA_LOADER_PEER_VERSION}{master_playlist_url}+V{index}"
    return hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _image(url: str, width: int, aspect: float | None) -> dict[str, Any]:
    height = _even(width / aspect) if aspect else round(width * 9 / 16)
    return dict(type="Image", url=url, mediaType="image/jpeg", width=width, height=height)


def _file_links(settings: Settings, video: Video, base: str, f: VideoFile) -> list[dict[str, Any]]:
    """The HLS tag[] Links of one rendition: the fragmented MP4 (torrent and magnet
    Links, when Shoal makes them, follow it here, in PeerTube's order)."""
    attachment = [
        {"type": "PropertyValue", "name": "ffprobe_codec_type", "value": kind}
        for kind, present in (("audio", f.has_audio), ("video", f.has_video))
        if present
    ]
    attachment.append(
        {"type": "PropertyValue", "name": "peertube_format_flag", "value": "fragmented"}
    )
    mp4 = {
        "type": "Link",
        "mediaType": "video/mp4" if f.has_video else "audio/mp4",
        "href": f"{base}/{f.filename}",
        "height": f.height,
        "width": f.width,
        "size": f.size,
        "fps": round(f.fps) if f.fps else -1,
        "attachment": attachment,
    }
    links = [mp4]
    extra = torrent_fields(settings, video, f)
    if extra["torrentUrl"]:
        size = {"height": f.height, "width": f.width, "fps": mp4["fps"]}
        links.append(
            {
                "type": "Link",
                "mediaType": "application/x-bittorrent",
                "href": extra["torrentUrl"],
                **size,
            }
        )
        links.append(
            {
                "type": "Link",
                "mediaType": "application/x-bittorrent;x-scheme-handler/magnet",
                "href": extra["magnetUri"],
                **size,
            }
        )
    return links


def _hls_link(settings: Settings, video: Video, files: list[VideoFile]) -> dict[str, Any]:
    base = media_base(settings, video)
    master = f"{base}/{video.hls_master}"
    tag: list[dict[str, Any]] = [
        {"type": "Infohash", "name": swarm_id(master, i)} for i in range(len(files))
    ]
    sha256 = f"{base}/{video.hls_sha256}"
    tag.append({"type": "Link", "name": "sha256", "mediaType": "application/json", "href": sha256})
    for f in files:
        tag.extend(_file_links(settings, video, base, f))
    return {"type": "Link", "mediaType": "application/x-mpegURL", "href": master, "tag": tag}


def _storyboard_preview(settings: Settings, video: Video, board: Storyboard) -> dict[str, Any]:
    """The storyboard as PeerTube lists it in a Video's ``preview``."""
    href = f"{settings.base_url}/lazy-static/storyboards/{video.uuid}.jpg"
    # fmt: off
    return {"type": "Image", "rel": ["storyboard"], "url": [{
        "mediaType": "image/jpeg", "href": href, "width": board.width, "height": board.height,
        "tileWidth": board.tile_width, "tileHeight": board.tile_height,
        "tileDuration": f"PT{board.tile_duration}S",
    }]}
    # fmt: on


def video_object(
    settings: Settings,
    video: Video,
    files: list[VideoFile],
    *,
    account_url: str,
    channel_url: str,
    storyboard: Storyboard | None = None,
) -> dict[str, Any]:
    """The Video object of a local video, as PeerTube serves it at /videos/watch/{uuid}.

    Public videos go to Public with the account's followers in cc; unlisted ones
    the other way round (as PeerTube). Private and remote videos: ValueError.
    Renditions are listed highest first, the order of Shoal's master playlist.
    Like PeerTube, category/licence/language are left out when unset.
    """
    if not video.is_local:
        raise ValueError("only a local video's object is ours to write; a remote one has its own")
    if video.privacy == Privacy.PRIVATE:
        raise ValueError("a private video has no ActivityPub object")
    url = video_url(settings, video)
    followers = f"{account_url}/followers"
    to, cc = ([PUBLIC], [followers]) if video.privacy == Privacy.PUBLIC else ([followers], [PUBLIC])
    files = sorted(files, key=lambda f: f.resolution, reverse=True)
    # PeerTube's key order (ap-video.json). fmt: off keeps related keys on one line.
    # fmt: off
    doc: dict[str, Any] = {
        "@context": VIDEO_CONTEXT, "to": to, "cc": cc, "type": "Video", "id": url,
        "name": video.name, "duration": f"PT{int(video.duration or 0)}S", "uuid": str(video.uuid),
    }
    for key, value, table in (("category", video.category, CATEGORIES),
                              ("licence", video.licence, LICENCES),
                              ("language", video.language, LANGUAGES)):
        if value is not None and value != "":  # PeerTube leaves unset ones out
            doc[key] = {"identifier": str(value), "name": table.get(value, "Unknown")}
    doc.update({
        "views": video.views, "sensitive": video.nsfw,
        "waitTranscoding": True,  # Shoal publishes only once transcoding is done
        "state": State(video.state).api["id"],
        "commentsEnabled": video.comments_enabled, "canReply": None,
        "commentsPolicy": 1 if video.comments_enabled else 2,
        "downloadEnabled": video.download_enabled,
        "published": iso(video.published_at or video.created_at),
        "originallyPublishedAt": None, "updated": iso(video.updated_at),
        "tag": [{"type": "Hashtag", "name": t} for t in video.tags],
        "mediaType": "text/markdown", "content": video.description or None,
        "support": video.support or None, "subtitleLanguage": [], "icon": [],
        "aspectRatio": video.aspect_ratio,
        "url": [{"type": "Link", "mediaType": "text/html", "href": url}],
        "likes": f"{url}/likes", "dislikes": f"{url}/dislikes",
        "shares": f"{url}/announces", "comments": f"{url}/comments",
        "attributedTo": [{"type": "Person", "id": account_url},
                         {"type": "Group", "id": channel_url}],
        "isLiveBroadcast": False, "liveSaveReplay": None, "permanentLive": None,
        "latencyMode": None,
    })
    # fmt: on
    widest = max((f.width for f in files), default=0)
    for folder, stored, limit in (
        ("thumbnails", video.thumbnail, THUMBNAIL_WIDTH),
        ("previews", video.preview, PREVIEW_WIDTH),
    ):
        if stored:  # no wider than the source; the widest rendition stands in for it
            width = _even(min(limit, widest or limit))
            image_url = f"{settings.base_url}/lazy-static/{folder}/{video.uuid}.jpg"
            doc["icon"].append(_image(image_url, width, video.aspect_ratio))
    if storyboard is not None:
        doc["preview"] = [_storyboard_preview(settings, video, storyboard)]
    if video.hls_master and files:
        doc["url"].append(_hls_link(settings, video, files))
    # PeerTube reads trackers from these Links (else from magnets) to join the swarm.
    # fmt: off
    doc["url"] += [
        {"type": "Link", "name": "tracker-http", "rel": ["tracker", "http"],
         "href": f"{settings.base_url}/tracker/announce"},
        {"type": "Link", "name": "tracker-websocket", "rel": ["tracker", "websocket"],
         "href": f"{settings.ws_scheme}://{settings.host}/tracker/socket"},
    ]
    # fmt: on
    return doc


def activity(
    type_: str,
    actor_url: str,
    obj: Any,
    *,
    activity_id: str,
    to: list | None = None,
    cc: list | None = None,
    context: list | None = None,
) -> dict[str, Any]:
    """An activity envelope (Create, Update, Delete, Announce, Follow, Accept, Undo...).

    `to`/`cc` appear only when given (PeerTube's Follow and Accept carry none).
    The context defaults to VIDEO_CONTEXT around a Video and to the plain AS +
    security context otherwise; an embedded object's own @context is dropped
    when it equals the envelope's (PeerTube embeds the Video without one).
    """
    if context is None:
        is_video = isinstance(obj, dict) and obj.get("type") == "Video"
        context = VIDEO_CONTEXT if is_video else CONTEXT
    if isinstance(obj, dict) and obj.get("@context") == context:
        obj = {k: v for k, v in obj.items() if k != "@context"}
    body: dict[str, Any] = {"@context": context}
    if to is not None:
        body["to"] = list(to)
    if cc is not None:
        body["cc"] = list(cc)
    body.update({"type": type_, "id": activity_id, "actor": actor_url, "object": obj})
    return body


# --- reading -----------------------------------------------------------------------------


@dataclass
class RemoteFile:
    """One rendition of a remote video: a fragmented MP4 of its HLS playlist."""

    url: str
    height: int
    width: int
    size: int
    fps: float
    # The variant playlist. ActivityPub does not carry it: derived from PeerTube's
    # (and Shoal's) naming, '<p>-<h>-fragmented.mp4' beside '<p>-<h>.m3u8'; else None.
    playlist_url: str | None = None


@dataclass
class RemoteStoryboard:
    """A remote video's storyboard sprite (PeerTube 6's ``preview`` with rel storyboard)."""

    url: str
    width: int
    height: int
    tile_width: int
    tile_height: int
    tile_duration: int


@dataclass
class RemoteVideo:
    """What Shoal keeps of a remote Video object."""

    ap_id: str
    uuid: str | None
    name: str
    description: str
    duration: int
    tags: list[str]
    category: int | None
    licence: int | None
    language: str | None
    nsfw: bool
    published: dt.datetime | None
    updated: dt.datetime | None
    views: int
    aspect_ratio: float | None
    comments_enabled: bool
    download_enabled: bool
    support: str
    thumbnail_url: str | None
    preview_url: str | None
    page_url: str | None
    master_playlist_url: str | None
    segments_sha256_url: str | None
    files: list[RemoteFile] = field(default_factory=list)
    storyboard: RemoteStoryboard | None = None
    attributed_account: str | None = None
    attributed_channel: str | None = None
    is_public: bool = True  # Public in to or cc
    is_listed: bool = True  # Public in to (public); in cc only: unlisted
    state: int = 1


def first_id(value: Any) -> str | None:
    """The id of a reference: a string, an object (`id`, or a Link's `href`) or a list
    of those. Lists inside lists are not looked into: no walk without bound."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and item:
            return item
        if isinstance(item, dict):
            ref = item.get("id") or item.get("href")
            if isinstance(ref, str) and ref:
                return ref
    return None


def host_of(url: str) -> str:
    """'host[:port]' of a URL, lower-cased, without user info."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_datetime(value: Any) -> dt.datetime | None:
    """ISO 8601 (Z, offsets, fractional seconds) to naive UTC; None if absent or unreadable."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str) and value.strip():
        text = _FRACTION.sub(r"\1", value.strip())
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # year 1 or 9999 moved past the calendar's edge
            return None
    return parsed


_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> int:
    """'PT5S', 'PT1M5S', 'PT1H2M3.5S' (or a number of seconds) to whole seconds; 0 if
    unreadable, at most INT_MAX (some 68 years)."""
    if isinstance(value, str):
        match = _DURATION.match(value.strip().upper())
        if not match:
            return 0
        seconds = 0.0
        for unit, scale in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            seconds += float(match[unit] or 0) * scale  # digits only: inf at worst
    else:
        seconds = _number(value) or 0.0
    return round(min(max(seconds, 0.0), INT_MAX))


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _links(value: Any) -> list[dict[str, Any]]:
    """url/tag values as a list of Link dicts (plain strings become {'href': ...})."""
    out = []
    for item in _as_list(value):
        if isinstance(item, str):
            out.append({"href": item})
        elif isinstance(item, dict):
            out.append(item)
    return out


def _href(link: dict) -> str | None:
    ref = link.get("href") or link.get("url")
    if isinstance(ref, dict | list):
        return _url(first_id(ref))
    return _url(ref) if isinstance(ref, str) else None


def _media_type(link: dict) -> str:
    value = link.get("mediaType") or link.get("mimeType") or ""  # mimeType: PeerTube < 2
    return value.lower() if isinstance(value, str) else ""


def _number(value: Any) -> float | None:
    """A finite number from a JSON value (booleans are not numbers here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):  # JSON integers have no bound; a float has
        value = min(max(value, -(10**300)), 10**300)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: Any, default: int = 0, *, low: int = -INT_MAX, high: int = INT_MAX) -> int:
    """A whole number clamped into [low, high]; `default` when there is none."""
    number = _number(value)
    if number is None:
        return default
    return int(min(max(number, low), high))


def _code(value: Any) -> int | None:
    """A category or licence number; None when absent or not one a column can hold."""
    number = _number(_identifier(value))
    if number is None or not 0 < number <= INT_MAX:
        return None
    return int(number)


def _bounded(value: Any, low: float, high: float) -> float | None:
    """A number within [low, high], else None (an aspect ratio of 1e308 means nothing)."""
    number = _number(value)
    return number if number is not None and low <= number <= high else None


def _identifier(value: Any) -> Any:
    return value.get("identifier") if isinstance(value, dict) else value


def _str(value: Any) -> str:
    """A string, without NUL characters (PostgreSQL refuses them in text)."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _url(value: str | None) -> str | None:
    """A URL a column can hold, else None."""
    if not value or len(value) > MAX_URL or "\x00" in value:
        return None
    return value


def _hls(link: dict) -> tuple[str | None, list[RemoteFile]]:
    """(segments-sha256 URL, renditions) from the tag[] of PeerTube's HLS Link."""
    sha256, files = None, []
    for item in _links(link.get("tag")):
        ref = _href(item)
        if not ref or item.get("type", "Link") != "Link" or item.get("rel"):
            continue  # Infohash entries, metadata Links
        if item.get("name") == "sha256":
            sha256 = sha256 or ref
        elif _media_type(item).startswith(("video/", "audio/")):
            variant = ref.removesuffix("-fragmented.mp4")
            files.append(
                RemoteFile(
                    url=ref,
                    height=_int(item.get("height"), low=0),
                    width=_int(item.get("width"), low=0),
                    size=_int(item.get("size"), low=0, high=BIGINT_MAX),
                    fps=_bounded(item.get("fps"), 0.0, MAX_FPS) or 0.0,
                    playlist_url=f"{variant}.m3u8" if variant != ref else None,
                )
            )
    return sha256, files


def _images(value: Any) -> tuple[str | None, str | None]:
    """(thumbnail, preview): the narrowest and the widest image."""
    images = []
    for item in _as_list(value):
        if isinstance(item, str) and _url(item):
            images.append((0, item))
        elif isinstance(item, dict) and item.get("type", "Image") == "Image":
            ref = _href(item)
            if ref:
                images.append((_int(item.get("width")), ref))
    if not images:
        return None, None
    ordered = sorted(images, key=lambda image: image[0])  # stable: unsized keep their order
    return ordered[0][1], ordered[-1][1]


def _storyboard(value: Any) -> RemoteStoryboard | None:
    """The first storyboard sprite of a Video's ``preview`` whose tiles fit the sprite."""
    for item in _as_list(value):
        if not isinstance(item, dict) or "storyboard" not in _as_list(item.get("rel")):
            continue
        for link in _as_list(item.get("url")):
            ref = _href(link) if isinstance(link, dict) else None
            if not ref:
                continue
            board = RemoteStoryboard(
                url=ref,
                width=_int(link.get("width"), low=0, high=MAX_SPRITE_SIDE + 1),
                height=_int(link.get("height"), low=0, high=MAX_SPRITE_SIDE + 1),
                tile_width=_int(link.get("tileWidth"), low=0, high=MAX_SPRITE_SIDE + 1),
                tile_height=_int(link.get("tileHeight"), low=0, high=MAX_SPRITE_SIDE + 1),
                tile_duration=parse_duration(link.get("tileDuration")),
            )
            if (
                0 < board.tile_width <= board.width <= MAX_SPRITE_SIDE
                and 0 < board.tile_height <= board.height <= MAX_SPRITE_SIDE
                and board.tile_duration > 0
            ):
                return board
    return None


def _attribution(value: Any) -> tuple[str | None, str | None]:
    """(account, channel) from attributedTo: typed Person/Group, or untyped in that order."""
    account = channel = None
    untyped = []
    for item in _as_list(value):
        ref = first_id(item)
        if not ref:
            continue
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "Group":
            channel = channel or ref
        elif kind in ("Person", "Application", "Service", "Organization"):
            account = account or ref
        else:
            untyped.append(ref)
    for ref in untyped:
        if account is None:
            account = ref
        elif channel is None:
            channel = ref
    return account, channel


def _audience(obj: dict) -> tuple[bool, bool]:
    """(is_public, is_listed). Public in `to`: public; in `cc` only: unlisted."""
    to = {first_id(a) for a in _as_list(obj.get("to"))}
    cc = {first_id(a) for a in _as_list(obj.get("cc"))}
    listed = bool(to & _PUBLIC_FORMS)
    return listed or bool(cc & _PUBLIC_FORMS), listed


def _uuid(value: Any) -> str | None:
    try:
        return str(uuidlib.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def parse_video(obj: dict) -> RemoteVideo:
    """Read a Video object from PeerTube or another server, liberally.

    Accepts links as strings, Links or lists, a missing @context, missing
    optional fields, HTML content (kept as is). `files` are the HLS
    playlist's fragmented MP4s; plain web-video MP4s are ignored because Shoal
    plays HLS only. Raises ValueError for a non-Video or one without id/name.
    """
    if not isinstance(obj, dict):
        raise ValueError(f"expected a Video object, got {type(obj).__name__}")
    kinds = _as_list(obj.get("type"))
    if "Video" not in kinds:
        raise ValueError(f"expected a Video object, got type {obj.get('type')!r}")
    ap_id = first_id(obj.get("id"))
    if not ap_id:
        raise ValueError("the Video object has no id")
    if _url(ap_id) is None:
        raise ValueError("the Video object's id is too long")
    name = _str(obj.get("name"))
    if not name.strip():
        raise ValueError(f"the Video object {ap_id} has no name")

    page_url = master = sha256 = None
    files: list[RemoteFile] = []
    for link in _links(obj.get("url")):
        ref, media_type = _href(link), _media_type(link)
        if not ref:
            continue
        if media_type in HLS_MEDIA_TYPES and master is None:
            master = ref
            sha256, files = _hls(link)
        elif page_url is None and (
            media_type == "text/html" or not (media_type or link.get("rel"))
        ):
            page_url = ref

    comments = obj.get("commentsEnabled")
    if not isinstance(comments, bool):
        comments = _int(obj.get("commentsPolicy"), 1) != 2
    language = _str(_identifier(obj.get("language")))
    thumbnail, preview = _images(obj.get("icon"))
    account, channel = _attribution(obj.get("attributedTo"))
    is_public, is_listed = _audience(obj)
    tags = [
        _str(t.get("name")).lstrip("#")
        for t in _as_list(obj.get("tag"))
        if isinstance(t, dict) and t.get("type") == "Hashtag" and _str(t.get("name")).lstrip("#")
    ]
    return RemoteVideo(
        ap_id=ap_id,
        uuid=_uuid(obj.get("uuid")),
        name=name.strip(),
        description=_str(obj.get("content")),
        duration=parse_duration(obj.get("duration")),
        tags=tags,
        category=_code(obj.get("category")),
        licence=_code(obj.get("licence")),
        language=language or None,
        nsfw=obj.get("sensitive") is True,
        published=parse_datetime(obj.get("published")),
        updated=parse_datetime(obj.get("updated")),
        views=_int(obj.get("views"), low=0),
        aspect_ratio=_bounded(obj.get("aspectRatio"), 1 / MAX_ASPECT_RATIO, MAX_ASPECT_RATIO),
        comments_enabled=comments,
        download_enabled=obj.get("downloadEnabled") is not False,
        support=_str(obj.get("support")),
        thumbnail_url=thumbnail,
        preview_url=preview,
        page_url=page_url,
        master_playlist_url=master,
        segments_sha256_url=sha256,
        files=files,
        storyboard=_storyboard(obj.get("preview")),
        attributed_account=account,
        attributed_channel=channel,
        is_public=is_public,
        is_listed=is_listed,
        state=_int(obj.get("state"), 1),
    )
