"""Accounts and channels by handle (`name`, `name@host`), and local channels: create,
customize (texts, links, avatar, banner, hidden back catalogue), delete.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import peewee

from app import events, images
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel
from models.federation import Actor, ActorType, Follow, FollowState


def split_handle(handle: str, local_host: str) -> tuple[str, str]:
    """(name, host) with host '' for local; a leading @ is allowed."""
    handle = handle.lstrip("@")
    name, _, host = handle.partition("@")
    if host == local_host:
        host = ""
    return name, host


def find_channel(handle: str, local_host: str) -> Channel | None:
    name, host = split_handle(handle, local_host)
    return (
        Channel.select(Channel, Account)
        .join(Account)
        .where((Channel.name == name) & (Channel.host == host))
        .first()
    )


def find_account(handle: str, local_host: str) -> Account | None:
    name, host = split_handle(handle, local_host)
    return Account.get_or_none((Account.name == name) & (Account.host == host))


def follow_counts(actor_ids: Iterable[int | None]) -> dict[int, tuple[int, int]]:
    """(followers, following) of each actor, counted as its ActivityPub collections count:
    accepted follows, local subscriptions included (they are accepted follows too).

    One query for a whole page of accounts and channels; actors without follows are absent.
    """
    ids = sorted({i for i in actor_ids if i})
    if not ids:
        return {}
    accepted = Follow.state == FollowState.ACCEPTED
    followers = (
        Follow.select(Follow.target, peewee.SQL("0"), peewee.fn.COUNT(Follow.id))
        .where(accepted & Follow.target.in_(ids))
        .group_by(Follow.target)
    )
    following = (
        Follow.select(Follow.follower, peewee.SQL("1"), peewee.fn.COUNT(Follow.id))
        .where(accepted & Follow.follower.in_(ids))
        .group_by(Follow.follower)
    )
    out: dict[int, list[int]] = {}
    for actor_id, side, count in followers.union_all(following).tuples():
        out.setdefault(actor_id, [0, 0])[int(side)] = count
    return {actor_id: (pair[0], pair[1]) for actor_id, pair in out.items()}


def listed_channels_query():
    """The channels GET /api/v1/video-channels lists, as PeerTube does: this server's own,
    and those of the servers it follows."""
    server, target = Actor.alias(), Actor.alias()
    followed_hosts = (
        Follow.select(target.host)
        .join(server, on=Follow.follower == server.id)
        .switch(Follow)
        .join(target, on=Follow.target == target.id)
        .where(
            (server.type == ActorType.APPLICATION)
            & (server.host == "")
            & (Follow.state == FollowState.ACCEPTED)
        )
    )
    return (
        Channel.select(Channel, Account)
        .join(Account)
        .where((Channel.host == "") | Channel.host.in_(followed_hosts))
    )


CHANNEL_SORTS = {
    "id": (Channel.id.asc(),),
    "-id": (Channel.id.desc(),),
    "name": (Channel.name.asc(), Channel.id.asc()),
    "-name": (Channel.name.desc(), Channel.id.desc()),
    "createdAt": (Channel.created_at.asc(), Channel.id.asc()),
    "-createdAt": (Channel.created_at.desc(), Channel.id.desc()),
    "updatedAt": (Channel.updated_at.asc(), Channel.id.asc()),
    "-updatedAt": (Channel.updated_at.desc(), Channel.id.desc()),
}
ACCOUNT_SORTS = {
    "createdAt": (Account.created_at.asc(), Account.id.asc()),
    "-createdAt": (Account.created_at.desc(), Account.id.desc()),
}


MAX_CHANNELS = 20
MAX_LINKS = 8
CATALOGUE_WINDOW_DAYS = 7
_NAME = re.compile(r"^[a-z0-9][a-z0-9._]{0,48}$")


class ChannelError(ValueError):
    """A channel change that cannot be made; `field` names the input."""

    def __init__(self, message: str, field: str = "name") -> None:
        super().__init__(message)
        self.field = field


def parse_links(raw: object) -> list[dict[str, str]]:
    """Links as [{label, url}]: from a list, or text with one `label url` per line."""
    items: list[dict[str, str]] = []
    if isinstance(raw, str):
        for line in raw.splitlines():
            parts = line.strip().rsplit(None, 1)
            if not parts:
                continue
            label, url = (parts[0], parts[1]) if len(parts) == 2 else (parts[0], parts[0])
            items.append({"label": label, "url": url})
    elif isinstance(raw, list):
        items = [
            {"label": str(i.get("label") or i.get("url", "")), "url": str(i.get("url", ""))}
            for i in raw
            if isinstance(i, dict)
        ]
    if len(items) > MAX_LINKS:
        raise ChannelError(f"At most {MAX_LINKS} links.", "links")
    for item in items:
        parts = urlsplit(item["url"])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ChannelError(f"Not a web address: {item['url'][:100]}", "links")
        item["label"] = item["label"][:100]
    return items


def links_of(channel: Channel) -> list[dict[str, str]]:
    try:
        return json.loads(channel.links or "[]")
    except ValueError:
        return []


def _check_text(display_name: str, description: str, support: str) -> None:
    if not 1 <= len(display_name.strip()) <= 120:
        raise ChannelError("A display name is 1 to 120 characters long.", "displayName")
    if len(description) > 5000:
        raise ChannelError("A description is at most 5000 characters long.", "description")
    if len(support) > 1000:
        raise ChannelError("The support text is at most 1000 characters long.", "support")


def create_channel(
    account: Account, name: str, display_name: str, description: str = "", support: str = ""
) -> Channel:
    name = name.strip().lower()
    if not _NAME.match(name):
        raise ChannelError("A channel name is lowercase letters, digits, dots or underscores.")
    _check_text(display_name, description, support)
    if Channel.select().where(Channel.account == account).count() >= MAX_CHANNELS:
        raise ChannelError(f"At most {MAX_CHANNELS} channels per account.")
    taken = Channel.select().where((Channel.name == name) & (Channel.host == "")).exists()
    if taken or Account.select().where((Account.name == name) & (Account.host == "")).exists():
        raise ChannelError("That name is taken.")
    return Channel.create(
        account=account,
        name=name,
        display_name=display_name.strip(),
        description=description,
        support=support,
    )


def update_channel(channel: Channel, data: dict) -> Channel:
    """Apply an owner's changes (PeerTube's field names); followers hear of them."""
    display_name = str(data.get("displayName", channel.display_name))
    description = str(data.get("description", channel.description) or "")
    support = str(data.get("support", channel.support) or "")
    _check_text(display_name, description, support)
    values = {
        "display_name": display_name.strip(),
        "description": description,
        "support": support,
        "updated_at": utcnow(),
    }
    if "links" in data:
        values["links"] = json.dumps(parse_links(data["links"]))
    if "hideCatalogue" in data:
        values["hide_catalogue"] = str(data["hideCatalogue"]).lower() in ("1", "true", "on")
    Channel.update(**values).where(Channel.id == channel.id).execute()
    changed = Channel.get_by_id(channel.id)
    _federate(changed)
    return changed


def _federate(channel: Channel) -> None:
    events.emit("channel.updated", channel=channel)


def images_dir(settings: Settings) -> Path:
    return settings.media_dir / "images"


async def store_image(settings: Settings, channel: Channel, kind: str, data: bytes) -> str:
    """Decode, crop and write a new avatar or banner in its sizes, off the IOLoop; its
    stem (ImageError for bad files). Nothing changes for visitors until `adopt_image`."""
    sizes = images.AVATAR_SIZES if kind == "avatar" else images.BANNER_SIZES
    stem = f"{kind}-{channel.id}-{utcnow().strftime('%Y%m%d%H%M%S%f')}"
    stored = await images.store_async(data, images_dir(settings), stem, sizes)
    if not stored:
        raise images.ImageError("The image is too small.")
    return stem


def adopt_image(settings: Settings, channel: Channel, kind: str, stem: str) -> Channel:
    """Make a stored image (`store_image`) the channel's avatar or banner; followers hear."""
    old = getattr(Channel.get_by_id(channel.id), kind)
    Channel.update({kind: stem, "updated_at": utcnow()}).where(Channel.id == channel.id).execute()
    if old and not old.startswith("http"):
        images.remove(images_dir(settings), old)
    changed = Channel.get_by_id(channel.id)
    _federate(changed)
    return changed


def clear_image(settings: Settings, channel: Channel, kind: str) -> None:
    stem = getattr(channel, kind)
    Channel.update({kind: "", "updated_at": utcnow()}).where(Channel.id == channel.id).execute()
    if stem and not stem.startswith("http"):
        images.remove(images_dir(settings), stem)
    _federate(Channel.get_by_id(channel.id))


def remote_key(url: str) -> str:
    """A short digest naming a remote image in the cache (changes when the URL does)."""
    return hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:12]


def image_urls(settings: Settings, channel: Channel, kind: str) -> list[dict]:
    """[{path, width, height, fileUrl}] of a channel's avatar or banner sizes."""
    stem = getattr(channel, kind)
    if not stem:
        return []
    if stem.startswith("http"):  # remote: the origin's image, through our cache
        path = f"/lazy-static/remote-{kind}s/{channel.id}-{remote_key(stem)}.jpg"
        return [{"path": path, "width": 0, "height": 0, "fileUrl": stem}]
    sizes = images.AVATAR_SIZES if kind == "avatar" else images.BANNER_SIZES
    out = []
    for width, height in sizes:
        name = f"{stem}-{width}x{height}.jpg"
        if (images_dir(settings) / name).exists():
            path = f"/lazy-static/{kind}s/{name}"
            out.append(
                {
                    "path": path,
                    "width": width,
                    "height": height,
                    "fileUrl": settings.base_url + path,
                }
            )
    return out


def check_deletable(channel: Channel) -> None:
    """ChannelError if this is its account's last channel (an account keeps one)."""
    if Channel.select().where(Channel.account == channel.account_id).count() <= 1:
        raise ChannelError("An account keeps at least one channel.", "channel")


def delete_channel(settings: Settings, channel: Channel) -> None:
    """Delete a channel and its videos (`channel.deleting` takes them); an account keeps
    at least one channel."""
    check_deletable(channel)
    events.emit("channel.deleting", settings=settings, channel=channel)
    with db.atomic():
        for kind in ("avatar", "banner"):
            stem = getattr(channel, kind)
            if stem and not stem.startswith("http"):
                images.remove(images_dir(settings), stem)
        channel.delete_instance(recursive=True)
