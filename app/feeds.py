"""Feeds in PeerTube's shapes, built with feedgen: RSS 2.0 with Media RSS, Atom,
JSON Feed 1.1, and a Podcasting 2.0 + iTunes podcast feed for one channel.

Only listed videos ever reach a feed: callers pass queries made by
`app.videos.listed_query` or `app.subscriptions` (public and published).
Feed caches rebuild when the read version moves (app/read_cache.py).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import uuid as uuidlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import nh3
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from app import torrents
from app import videos as video_service
from app.constants import CATEGORIES
from app.markdown import render, truncate
from app.settings import Settings
from models import utcnow
from models.accounts import Account, Channel
from models.videos import Video, VideoFile

COUNT = 20  # PeerTube's feeds.videos.count
MEDIA_NS = "http://search.yahoo.com/mrss/"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The Podcasting 2.0 namespace's UUID for podcast:guid (uuid5 of the feed URL).
PODCAST_GUID_NAMESPACE = uuidlib.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
CONTENT_TYPES = {
    "rss": "application/xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
}
PODCAST_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
# PeerTube's sorts that Shoal has no data for fall back to views.
SORT_ALIASES = {"-trending": "-views", "-hot": "-views", "-best": "-views"}
_NS = {"media": MEDIA_NS, "podcast": PODCAST_NS, "itunes": ITUNES_NS}
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

# PeerTube's categories 1-18 in Apple Podcasts' taxonomy, "category/subcategory".
_ITUNES = (
    "Music;TV & Film;Leisure/Automotive;Arts;Sports;Society & Culture/Places & Travel;"
    "Leisure/Video Games;Society & Culture;Comedy;Leisure;News/Politics;Education/How To;"
    "Education;Society & Culture;Technology;Kids & Family/Pets & Animals;Kids & Family;Arts/Food"
)
ITUNES_CATEGORIES = {
    i: dict(zip(("cat", "sub"), c.split("/"), strict=False))
    for i, c in enumerate(_ITUNES.split(";"), 1)
}


# --- feedgen extensions: extra elements appended as plain tags -----------------------


class Tag(NamedTuple):
    """One namespaced element (`prefix:name`) with attributes, text and children."""

    name: str
    attrs: dict[str, Any]
    text: str | None
    children: tuple[Tag, ...]


def tag(name: str, text: str | None = None, *children: Tag, **attrs: Any) -> Tag:
    """A Tag; attributes whose value is None are left out."""
    return Tag(name, {k: v for k, v in attrs.items() if v is not None}, text, children)


def _append(parent: etree._Element, tags: Iterable[Tag]) -> None:
    for item in tags:
        prefix, local = item.name.split(":", 1)
        attrs = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in item.attrs.items()
        }
        element = etree.SubElement(parent, f"{{{_NS[prefix]}}}{local}", attrs)
        if item.text is not None:
            element.text = item.text
        _append(element, item.children)


class _TagsExtension(BaseExtension):
    """Channel-level Media RSS and Podcasting 2.0 tags (RSS only)."""

    def __init__(self) -> None:
        self.tags: list[Tag] = []

    def extend_ns(self) -> dict[str, str]:
        return {"media": MEDIA_NS, "podcast": PODCAST_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        _append(feed[0], self.tags)
        return feed


class _TagsEntryExtension(BaseEntryExtension):
    """Item-level tags for RSS; for Atom, links with their rel, type and length
    (feedgen 1.0 drops those attributes from entry links).
    """

    def __init__(self) -> None:
        self.tags: list[Tag] = []
        self.atom_links: list[dict[str, str]] = []

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        _append(entry, self.tags)
        return entry

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for attrs in self.atom_links:
            etree.SubElement(entry, "link", attrs)
        return entry


# --- what every feed says about a video ------------------------------------------------


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Stored naive UTC as an aware datetime, in whole seconds (HTTP dates have no more)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC, microsecond=0)


def _now() -> dt.datetime:
    return _aware(utcnow())  # type: ignore[return-value]


def clean(text: str | None) -> str:
    """Text without the control characters XML cannot carry (remote servers send anything)."""
    return _NOT_XML.sub("", text or "")


def handle(obj: Account | Channel) -> str:
    """`name` for a local account or channel, `name@host` for a remote one."""
    return obj.name if obj.is_local else f"{obj.name}@{obj.host}"


def channel_page(settings: Settings, channel: Channel) -> str:
    return f"{settings.base_url}/c/{handle(channel)}"


def account_page(settings: Settings, account: Account) -> str:
    return f"{settings.base_url}/a/{handle(account)}"


def watch_url(settings: Settings, video: Video) -> str:
    """The watch page here, /w/<shortUUID>, for local and remote videos alike (as PeerTube)."""
    return f"{settings.base_url}/w/{video_service.short_uuid(video.uuid)}"


def plain_text(markdown: str) -> str:
    """A user's Markdown as one line of plain text (feed summaries, descriptions)."""
    text = html.unescape(nh3.clean(render(clean(markdown)), tags=set()))
    return re.sub(r"\s+", " ", text).strip()


def podcast_guid(feed_url: str) -> str:
    """podcast:guid: uuid5 of the feed URL without its scheme and trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuidlib.uuid5(PODCAST_GUID_NAMESPACE, bare))


def files_of(videos: Sequence[Video]) -> dict[int, list[VideoFile]]:
    """Every video's renditions, highest first, in one query."""
    out: dict[int, list[VideoFile]] = {v.id: [] for v in videos}
    if not out:
        return out
    rows = (
        VideoFile.select()
        .where(VideoFile.video.in_(list(out)))
        .order_by(VideoFile.video, VideoFile.resolution.desc())
    )
    for f in rows:
        out[f.video_id].append(f)
    return out


def last_modified(videos: Iterable[Video]) -> dt.datetime | None:
    """When the newest of these videos was published or last changed."""
    stamps = [_aware(t) for v in videos for t in (v.published_at, v.updated_at) if t]
    return max(stamps, default=None)  # type: ignore[type-var]


def _mime(f: VideoFile) -> str:
    return "video/mp4" if f.has_video and f.resolution else "audio/mp4"


def file_url(settings: Settings, video: Video, f: VideoFile) -> str:
    """The fragmented MP4 itself (the origin's URL for a remote video)."""
    return video_service.media_url(settings, video, f.filename)


def enclosure_url(settings: Settings, video: Video, f: VideoFile) -> str:
    """The download URL (a file name and attachment) when downloads are allowed here."""
    if video.is_local and video.download_enabled:
        return (
            f"{settings.base_url}/download/streaming-playlists/hls/videos/"
            f"{video.uuid}-{f.resolution}-fragmented.mp4"
        )
    return file_url(settings, video, f)


@dataclass
class _Head:
    """What a feed says about itself."""

    title: str
    link: str
    self_url: str
    description: str
    author: tuple[str, str]  # (name, URL)
    updated: dt.datetime

    def __post_init__(self) -> None:
        self.title = clean(self.title) or "Videos"
        self.description = clean(self.description) or self.title
        self.author = (clean(self.author[0]), self.author[1])


@dataclass
class _Item:
    """One video with everything its entry shows."""

    video: Video
    files: list[VideoFile]
    url: str
    title: str
    author: str  # the channel's name
    owner: str  # the account's name
    summary: str
    content: str
    published: dt.datetime
    updated: dt.datetime
    category: str | None
    preview: str | None
    thumbnail: str | None


def _items(settings: Settings, videos: Sequence[Video]) -> list[_Item]:
    files = files_of(videos)
    items = []
    for v in videos:
        published = _aware(v.published_at or v.created_at)
        items.append(
            _Item(
                video=v,
                files=files[v.id],
                url=watch_url(settings, v),
                title=clean(v.name),
                author=clean(v.channel.display_name),
                owner=clean(v.channel.account.display_name),
                summary=truncate(plain_text(v.description)) or "",
                content=render(clean(v.description)) if v.description else "",
                published=published,  # type: ignore[arg-type]
                updated=max(published, _aware(v.updated_at) or published),  # type: ignore[type-var]
                category=CATEGORIES.get(v.category) if v.category else None,
                preview=video_service.image_url(settings, v, "previews"),
                thumbnail=video_service.image_url(settings, v, "thumbnails"),
            )
        )
    return items


def _media_tags(settings: Settings, item: _Item) -> list[Tag]:
    """Media RSS for one video, in PeerTube's order."""
    v = item.video
    # PeerTube lists each rendition's torrent first; a remote video's are its origin's.
    peer_links = [
        tag(
            "media:peerLink",
            type="application/x-bittorrent",
            href=torrents.torrent_url(settings, v, f),
            isDefault=False,
        )
        for f in item.files
        if v.is_local and f.infohash
    ]
    contents = [
        tag(
            "media:content",
            type=_mime(f),
            medium="video" if f.has_video and f.resolution else "audio",
            height=f.height or f.resolution or None,
            fileSize=f.size or None,
            url=file_url(settings, v, f),
            framerate=round(f.fps) if f.fps else None,
            duration=v.duration or None,
            lang=v.language,
            isDefault=i == 0,
        )
        for i, f in enumerate(item.files)
    ]
    tags = [
        tag("media:community", None, tag("media:statistics", views=v.views)),
        tag("media:embed", url=f"{settings.base_url}/videos/embed/{v.uuid}"),
        tag("media:player", url=item.url),
    ]
    if contents:
        tags.append(tag("media:group", None, *peer_links, *contents))
    tags += [tag("media:thumbnail", url=u) for u in (item.preview, item.thumbnail) if u]
    tags += [
        tag("media:rating", "adult" if v.nsfw else "nonadult"),
        tag("media:title", item.title, type="plain"),
        tag("media:description", item.summary, type="plain"),
    ]
    return tags


def _new_generator(settings: Settings, head: _Head, *, rss: bool) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False)
    if rss:
        fg.register_extension("extra", _TagsExtension, _TagsEntryExtension, atom=False)
    else:  # no namespaces to declare, only entry links
        fg.register_extension("extra", BaseExtension, _TagsEntryExtension, rss=False)
    fg.id(head.link)
    fg.title(head.title)
    self_type = "application/rss+xml" if rss else "application/atom+xml"
    fg.link(href=head.self_url, rel="self", type=self_type)
    fg.link(href=head.link, rel="alternate")  # the last link is RSS's <link>
    fg.description(head.description)
    fg.generator(f"Shoal - {settings.base_url}")
    fg.author({"name": head.author[0], "uri": head.author[1]})
    fg.lastBuildDate(head.updated)
    fg.updated(head.updated)
    return fg


def _add_entry(fg: FeedGenerator, settings: Settings, item: _Item, *, rss: bool) -> Any:
    v, channel = item.video, item.video.channel
    entry = fg.add_entry(order="append")
    entry.title(item.title)
    entry.guid(item.url, permalink=True)
    entry.link(href=item.url, rel="alternate")  # Atom's default rel
    if item.summary:
        entry.summary(item.summary)
    if item.content:
        entry.content(item.content, type="CDATA" if rss else "html")
    entry.published(item.published)
    entry.updated(item.updated)
    entry.author(name=item.author, uri=channel_page(settings, channel))
    if item.category:
        entry.category(term=item.category, label=item.category)
    if item.files:
        best = item.files[0]
        url, size, mime = enclosure_url(settings, v, best), str(best.size), _mime(best)
        if rss:
            entry.enclosure(url, size, mime)
        else:
            entry.extra.atom_links.append(
                {"rel": "enclosure", "href": url, "type": mime, "length": size}
            )
    return entry


def videos_feed(
    settings: Settings,
    videos: Sequence[Video],
    *,
    title: str,
    link: str,
    self_url: str,
    description: str,
    format: str,
    author: tuple[str, str] | None = None,
    podcast_url: str | None = None,
) -> tuple[bytes, str]:
    """(body, content type) of a video feed: format is "rss", "atom" or "json".

    `author` is the feed's (name, URL), the server's by default; `podcast_url`
    links a channel's RSS feed to its podcast feed (podcast:txt, as PeerTube).
    """
    items = _items(settings, videos)
    head = _Head(
        title,
        link,
        self_url,
        description or title,
        author or (settings.instance_name, settings.base_url),
        last_modified(videos) or _now(),
    )
    if format == "json":
        return _json_feed(settings, head, items), CONTENT_TYPES["json"]
    rss = format != "atom"
    fg = _new_generator(settings, head, rss=rss)
    if podcast_url and rss:
        fg.extra.tags.append(tag("podcast:txt", podcast_url, purpose="p20url"))
    for item in items:
        entry = _add_entry(fg, settings, item, rss=rss)
        entry.dc.dc_creator(item.author)
        entry.extra.tags.extend(_media_tags(settings, item))
    if rss:
        return fg.rss_str(pretty=True), CONTENT_TYPES["rss"]
    return fg.atom_str(pretty=True), CONTENT_TYPES["atom"]


def _json_feed(settings: Settings, head: _Head, items: list[_Item]) -> bytes:
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    out = []
    for item in items:
        v, channel = item.video, item.video.channel
        entry: dict[str, Any] = {
            "id": item.url,
            "url": item.url,
            "title": item.title,
            "content_html": item.content or f"<p>{html.escape(item.title)}</p>",
            "summary": item.summary or None,
            "image": item.preview,
            "date_published": item.published.isoformat(),
            "date_modified": item.updated.isoformat(),
            "authors": [{"name": item.author, "url": channel_page(settings, channel)}],
            "tags": [item.category] if item.category else None,
            "language": v.language,
            # Renditions share the title: JSON Feed readers take them as alternates.
            "attachments": [
                {
                    "url": file_url(settings, v, f),
                    "mime_type": _mime(f),
                    "title": item.title,
                    "size_in_bytes": f.size,
                    "duration_in_seconds": v.duration,
                }
                for f in item.files
            ],
        }
        out.append({k: value for k, value in entry.items() if value is not None})
    document = {
        "version": JSON_FEED_VERSION,
        "title": head.title,
        "home_page_url": head.link,
        "feed_url": head.self_url,
        "description": head.description,
        "authors": [{"name": head.author[0], "url": head.author[1]}],
        "items": out,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


# --- the podcast feed -------------------------------------------------------------


def podcast_url(settings: Settings, channel: Channel) -> str:
    """The channel's podcast feed, in the one form used for its podcast:guid."""
    return f"{settings.base_url}/feeds/podcast/videos.xml?videoChannelId={channel.id}"


def _most_common(values: Iterable[Any]) -> Any:
    counted = Counter(v for v in values if v)
    return counted.most_common(1)[0][0] if counted else None


def _artwork(items: list[_Item]) -> str | None:
    """Cover art: the newest episode's preview (channels have no artwork of their own)."""
    for item in items:
        for url in (item.preview, item.thumbnail):
            if url and url.lower().endswith((".jpg", ".jpeg", ".png")):
                return url
    return None


def _podcast_tags(settings: Settings, item: _Item) -> list[Tag]:
    """Podcasting 2.0 tags of one episode: person, social interaction, alternates."""
    v, account = item.video, item.video.channel.account
    tags = [
        tag("podcast:person", item.owner, href=account_page(settings, account)),
        tag(
            "podcast:socialInteract",
            uri=v.ap_id or f"{settings.base_url}/videos/watch/{v.uuid}",
            protocol="activitypub",
            accountUrl=account_page(settings, account),
        ),
    ]
    for i, f in enumerate(item.files):
        label = f"{f.resolution}p" if f.resolution else "Audio"
        tags.append(
            tag(
                "podcast:alternateEnclosure",
                None,
                tag("podcast:source", uri=enclosure_url(settings, v, f)),
                type=_mime(f),
                length=f.size,
                bitrate=round(f.size * 8 / v.duration) if v.duration else None,
                height=f.height or None,
                lang=v.language,
                title=label,
                default=i == 0,
            )
        )
    if v.hls_master:
        master = video_service.media_url(settings, v, v.hls_master)
        tags.append(
            tag(
                "podcast:alternateEnclosure",
                None,
                tag("podcast:source", uri=master),
                type="application/x-mpegURL",
                lang=v.language,
                title="HLS",
                default=False,
            )
        )
    return tags


def podcast_feed(
    settings: Settings, channel: Channel, videos: Sequence[Video], *, self_url: str
) -> tuple[bytes, str]:
    """(body, content type) of a channel's podcast feed: RSS with iTunes and Podcasting 2.0
    tags, what podcast apps require (artwork, explicit, author, enclosures, guid).
    """
    items = _items(settings, videos)
    account, link = channel.account, channel_page(settings, channel)
    owner, owner_url = clean(account.display_name), account_page(settings, account)
    head = _Head(
        channel.display_name,
        link,
        self_url,
        plain_text(channel.description) or f"Videos of {channel.display_name}",
        (owner, owner_url),
        last_modified(videos) or _now(),
    )
    fg = _new_generator(settings, head, rss=True)
    fg.load_extension("podcast", atom=False)
    fg.language(_most_common(v.language for v in videos) or "en")
    artwork = _artwork(items)
    if artwork:
        fg.image(url=artwork, title=head.title, link=link)
        fg.podcast.itunes_image(artwork)
    fg.podcast.itunes_author(owner)
    fg.podcast.itunes_explicit("yes" if any(v.nsfw for v in videos) else "no")
    category = ITUNES_CATEGORIES.get(_most_common(v.category for v in videos))
    if category:
        fg.podcast.itunes_category(dict(category))
        fg.category(term=category["cat"])
    fg.podcast.itunes_type("episodic")
    fg.extra.tags.extend(
        [
            tag("podcast:guid", podcast_guid(self_url)),
            # Locked: other hosts may not import it (we cannot offer a move yet).
            tag("podcast:locked", "yes"),
            tag("podcast:medium", "video"),
            tag("podcast:person", owner, href=owner_url),
        ]
    )
    for item in items:
        entry = _add_entry(fg, settings, item, rss=True)
        entry.dc.dc_creator(owner)
        entry.podcast.itunes_duration(str(item.video.duration))
        entry.podcast.itunes_explicit("yes" if item.video.nsfw else "no")
        if artwork := _artwork([item]):
            entry.podcast.itunes_image(artwork)
        entry.extra.tags.extend(_podcast_tags(settings, item))
    return fg.rss_str(pretty=True), PODCAST_CONTENT_TYPE


# --- which videos ---------------------------------------------------------------------


def sort_order(sort: str) -> str | None:
    """A PeerTube sort name as one of app.videos.SORTS; None if unknown."""
    sort = SORT_ALIASES.get(sort, sort)
    return sort if sort in video_service.SORTS else None


def pick_videos(
    query: Any,
    *,
    sort: str = "-publishedAt",
    local_only: bool = False,
    nsfw: bool | None = None,
    count: int = COUNT,
) -> list[Video]:
    """The first `count` videos of a listed query, filtered and sorted as asked."""
    if local_only:
        query = query.where(Video.ap_id.is_null())
    if nsfw is not None:
        query = query.where(Video.nsfw == nsfw)
    order = video_service.SORTS[sort_order(sort) or "-publishedAt"]
    return list(query.order_by(*order).limit(count))
