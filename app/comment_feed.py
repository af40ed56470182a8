"""The comments feed (/feeds/video-comments.*) in PeerTube's shape: one item per comment,
titled "<video> - <author>", linked to the watch page at its thread (`;threadId=`).

Only comments on public, published videos with comments on; deleted ones never.
Built with the same generator as the video feeds (app/feeds.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import peewee
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from app import feeds
from app.feeds import _Head, _new_generator
from app.markdown import render
from app.settings import Settings
from models.accounts import Account, Channel
from models.social import Comment
from models.videos import Privacy, State, Video

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


class _Encoded(BaseExtension):
    """Declares content: for items that carry their HTML in content:encoded alone."""

    def extend_ns(self) -> dict[str, str]:
        return {"content": CONTENT_NS}


class _EncodedEntry(BaseEntryExtension):
    """content:encoded without a description, as PeerTube's comment items (feedgen writes
    content:encoded only beside a description)."""

    def __init__(self) -> None:
        self.html = ""

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        etree.SubElement(entry, f"{{{CONTENT_NS}}}encoded").text = etree.CDATA(self.html)
        return entry


def recent(
    *,
    video: Video | None = None,
    channel: Channel | None = None,
    account: Account | None = None,
    count: int = feeds.COUNT,
) -> list[Comment]:
    """The newest comments anyone may read, optionally of one video, channel or account."""
    author = Account.alias()
    query = (
        Comment.select(Comment, Video, author)
        .join(Video)
        .join(Channel)
        .switch(Comment)
        .join(author, peewee.JOIN.LEFT_OUTER, on=(Comment.account == author.id))
        .where(Comment.deleted_at.is_null() & (Video.privacy == Privacy.PUBLIC))
        .where((Video.state == State.PUBLISHED) & Video.comments_enabled)
    )
    if video is not None:
        query = query.where(Comment.video == video)
    if channel is not None:
        query = query.where(Video.channel == channel)
    if account is not None:
        query = query.where(Channel.account == account)
    return list(query.order_by(Comment.id.desc()).limit(count))


def item_url(settings: Settings, comment: Comment) -> str:
    return f"{feeds.watch_url(settings, comment.video)};threadId={comment.thread_id or comment.id}"


def _author(comment: Comment) -> str:
    return feeds.clean(comment.account.display_name) if comment.account_id else "Someone"


def video_comments_feed(
    settings: Settings, rows: Sequence[Comment], *, format: str, **head: str
) -> tuple[bytes, str]:
    """(body, content type); `head` is the title, link, self_url and description."""
    newest = feeds._aware(rows[0].created_at) if rows else feeds._now()
    meta = _Head(
        head["title"],
        head["link"],
        head["self_url"],
        head["description"],
        (settings.instance_name, settings.base_url),
        newest,  # type: ignore[arg-type]
    )
    if format == "json":
        return _json(settings, meta, rows), feeds.CONTENT_TYPES["json"]
    rss = format != "atom"
    fg = _new_generator(settings, meta, rss=rss)
    if rss:
        fg.register_extension("encoded", _Encoded, _EncodedEntry, atom=False)
    for comment in rows:
        url, author = item_url(settings, comment), _author(comment)
        entry = fg.add_entry(order="append")
        entry.title(f"{feeds.clean(comment.video.name)} - {author}")
        entry.guid(url, permalink=True)
        entry.link(href=url, rel="alternate")
        if rss:
            entry.encoded.html = render(feeds.clean(comment.text))
        else:
            entry.content(render(feeds.clean(comment.text)), type="html")
        entry.published(feeds._aware(comment.created_at))
        entry.updated(feeds._aware(comment.updated_at))
        entry.author(name=author)
        entry.dc.dc_creator(author)
    if rss:
        return fg.rss_str(pretty=True), feeds.CONTENT_TYPES["rss"]
    return fg.atom_str(pretty=True), feeds.CONTENT_TYPES["atom"]


def _json(settings: Settings, head: _Head, rows: Sequence[Comment]) -> bytes:
    items: list[dict[str, Any]] = [
        {
            "id": item_url(settings, c),
            "url": item_url(settings, c),
            "title": f"{feeds.clean(c.video.name)} - {_author(c)}",
            "content_html": render(feeds.clean(c.text)),
            "date_published": feeds._aware(c.created_at).isoformat(),  # type: ignore[union-attr]
            "authors": [{"name": _author(c)}],
        }
        for c in rows
    ]
    document = {
        "version": feeds.JSON_FEED_VERSION,
        "title": head.title,
        "home_page_url": head.link,
        "feed_url": head.self_url,
        "description": head.description,
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()
