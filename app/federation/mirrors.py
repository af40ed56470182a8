"""Mirrors of local videos that other servers announce (PeerTube's CacheFile).

A server that copied a local video's HLS files says so with Create{CacheFile}
(object: the video's URL; url: the master playlist on the mirror; expires), extends
it with Update before it expires and withdraws it with Undo. Shoal records the
mirrors of its own videos from the servers its policy accepts (PeerTube's
remote_redundancy.videos.accept_from: nobody, anybody, or the servers it follows),
lists them in the video's REST `redundancies`, and forgets them when they expire.
It forwards them to the video's followers; a follower records a mirror of a remote
video only when that video's origin forwarded it, fetched from the mirror itself.
"""

from __future__ import annotations

import logging
from typing import Any

from app.federation import actors
from app.federation.objects import first_id, parse_datetime
from app.federation.remote import RemoteError, same_host
from app.federation.social import forward_about, local_video_of
from app.settings import Settings
from models import utcnow
from models.federation import Actor, Follow, FollowState
from models.redundancy import Mirror
from models.videos import Privacy, State, Video

log = logging.getLogger(__name__)

HLS = "application/x-mpegURL"
MAX_MIRRORS_PER_VIDEO = 20  # a flood of CacheFiles for one video stops here
MAX_MIRRORS_PER_SERVER = 10_000  # and a flood from one server, over many videos, here
MAX_URL = 2000


def accepted_from(settings: Settings, sender: Actor) -> bool:
    """Whether this server's policy takes mirrors from `sender`."""
    policy = settings.redundancy_accept_from
    if policy == "anybody":
        return True
    if policy == "nobody":
        return False
    return (
        Follow.select()
        .where(
            (Follow.follower == actors.server_actor())
            & (Follow.target == sender)
            & (Follow.state == FollowState.ACCEPTED)
        )
        .exists()
    )


def _playlist_url(obj: dict, sender: Actor) -> str:
    link = obj.get("url")
    if not isinstance(link, dict) or link.get("mediaType") != HLS:
        raise RemoteError("a CacheFile must name an HLS playlist (application/x-mpegURL)")
    href = link.get("href")
    if not isinstance(href, str) or len(href) > MAX_URL or not same_host(href, sender.ap_id or ""):
        raise RemoteError("a mirror's playlist must be on the server that announces it")
    return href


def receive(
    settings: Settings, sender: Actor, obj: dict[str, Any], forwarded_by: str | None = None
) -> Mirror | None:
    """A Create or Update{CacheFile}: record (or extend) a mirror of a local video, or of
    a remote video when that video's origin forwards it (the object then comes from the
    mirror itself: `forwarded_by` is the forwarding actor)."""
    ap_id = first_id(obj.get("id")) or ""
    if not ap_id or len(ap_id) > MAX_URL or not same_host(ap_id, sender.ap_id or ""):
        raise RemoteError("a CacheFile's id must be on the server that announces it")
    if forwarded_by:
        video = Video.get_or_none(Video.ap_id == first_id(obj.get("object")))
        if video is None or video.is_local or not same_host(video.ap_id, forwarded_by):
            raise RemoteError("a forwarded CacheFile must come from its video's server")
    else:
        if not accepted_from(settings, sender):
            log.info("mirror %s of %s not recorded: this server does not accept mirrors from "
                     "%s (SHOAL_REDUNDANCY_ACCEPT_FROM=%s)", ap_id[:300], obj.get("object"),
                     sender.ap_id, settings.redundancy_accept_from)  # fmt: skip
            return None
        video = local_video_of(settings, obj.get("object"))
        if video is None:
            raise RemoteError("a CacheFile must be about a video of this server")
    if video.privacy == Privacy.PRIVATE or video.state != State.PUBLISHED:
        raise RemoteError("this video cannot be mirrored")
    href = _playlist_url(obj, sender)
    expires = parse_datetime(obj.get("expires"))
    existing = Mirror.get_or_none(Mirror.ap_id == ap_id)
    if existing is not None:
        if existing.actor_id != sender.id:
            raise RemoteError("only the server that made a mirror updates it")
        Mirror.update(file_url=href, expires_at=expires, updated_at=utcnow()).where(
            Mirror.id == existing.id
        ).execute()
        return Mirror.get_by_id(existing.id)
    if Mirror.select().where(Mirror.video == video).count() >= MAX_MIRRORS_PER_VIDEO:
        raise RemoteError(f"this video has {MAX_MIRRORS_PER_VIDEO} mirrors already")
    if Mirror.select().where(Mirror.actor == sender).count() >= MAX_MIRRORS_PER_SERVER:
        raise RemoteError(f"this server keeps {MAX_MIRRORS_PER_SERVER} mirrors already")
    return Mirror.create(video=video, actor=sender, ap_id=ap_id, file_url=href, expires_at=expires)


def withdraw(sender: Actor, inner: Any) -> Mirror | None:
    """An Undo{CacheFile}: the mirror is gone (only its own server says so); the row
    that was removed, if any."""
    ap_id = first_id(inner.get("id") if isinstance(inner, dict) else inner)
    mirror = Mirror.get_or_none((Mirror.ap_id == ap_id) & (Mirror.actor == sender))
    if mirror is not None:
        mirror.delete_instance()
    return mirror


def forward(activity_doc: dict, mirror: Mirror, sender: Actor) -> None:
    """The origin of a video passes the news of a mirror on to the video's followers, as
    PeerTube does, so that their viewers use it too."""
    forward_about(activity_doc, Video.get_by_id(mirror.video_id), sender.host)


def sweep_expired() -> int:
    """Forget other servers' mirrors whose announcement expired (the sweep calls this)."""
    others = Actor.select(Actor.id).where(Actor.host != "")
    return (
        Mirror.delete().where((Mirror.expires_at < utcnow()) & Mirror.actor.in_(others)).execute()
    )
