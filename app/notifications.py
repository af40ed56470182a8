"""Notifications: who is told what, and each user's choices.

Made where the event happens (a video published, a follow accepted), in the
same process: a few inserts, no network.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from app.settings import Settings
from models import utcnow
from models.accounts import Account, Channel, User
from models.federation import Actor, Follow, FollowState
from models.notifications import Notification, NotificationType
from models.videos import Privacy, Video

log = logging.getLogger(__name__)

# PeerTube's setting names; values: 0 off, 1 shown in the web interface.
SETTINGS = {
    "newVideoFromSubscription": NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION,
    "myVideoPublished": NotificationType.MY_VIDEO_PUBLISHED,
    "newFollow": NotificationType.NEW_FOLLOW,
    "myVideoTranscodingFailed": NotificationType.MY_VIDEO_TRANSCODING_FAILED,
}
LABELS = {
    "newVideoFromSubscription": "New videos from my subscriptions",
    "myVideoPublished": "My video is ready to watch",
    "newFollow": "Someone subscribed to my channel or account",
    "myVideoTranscodingFailed": "My video could not be processed",
}


def user_settings(user: User) -> dict[str, int]:
    """Every setting with its value (on unless the user turned it off)."""
    stored = json.loads(user.notification_settings or "{}")
    return {name: int(stored.get(name, 1)) for name in SETTINGS}


def update_settings(user: User, values: dict[str, Any]) -> None:
    current = user_settings(user)
    for name in SETTINGS:
        if name in values:
            current[name] = 1 if str(values[name]) in ("1", "3", "true", "on", "True") else 0
    User.update(notification_settings=json.dumps(current)).where(User.id == user.id).execute()


def _wanted(users: list[User], kind: NotificationType) -> list[User]:
    name = next(n for n, t in SETTINGS.items() if t == kind)
    return [u for u in users if user_settings(u)[name]]


def _create(users: list[User], kind: NotificationType, **refs: Any) -> int:
    users = _wanted(users, kind)
    if not users:
        return 0
    now = utcnow()
    rows = [
        {"user": u.id, "type": int(kind), "created_at": now, "updated_at": now, **refs}
        for u in users
    ]
    Notification.insert_many(rows).execute()
    return len(rows)


def video_published(video: Video) -> None:
    """A video is watchable: tell its owner (if local) and the channel's local subscribers."""
    channel = video.channel  # no query when the caller made the video with its channel
    if video.is_local:
        owner = Account.get_by_id(channel.account_id)
        if owner.user_id:
            _create(
                [User.get_by_id(owner.user_id)], NotificationType.MY_VIDEO_PUBLISHED, video=video.id
            )
    if video.privacy != Privacy.PUBLIC or not channel.actor_id:
        return
    subscribers = list(
        User.select()
        .join(Account, on=Account.user == User.id)
        .join(Follow, on=Follow.follower == Account.actor)
        .where((Follow.target == channel.actor_id) & (Follow.state == FollowState.ACCEPTED))
    )
    _create(subscribers, NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION, video=video.id)


def video_failed(video: Video) -> None:
    owner = Account.get_by_id(Channel.get_by_id(video.channel_id).account_id)
    if owner.user_id:
        _create(
            [User.get_by_id(owner.user_id)],
            NotificationType.MY_VIDEO_TRANSCODING_FAILED,
            video=video.id,
        )


def followed(target: Actor, follower: Actor) -> None:
    """Someone (here or elsewhere) subscribed to a local channel or account."""
    account = Account.get_or_none(Account.actor == target)
    if account is None:
        channel = Channel.get_or_none(Channel.actor == target)
        account = Account.get_by_id(channel.account_id) if channel else None
    if account is None or not account.user_id or follower.id == target.id:
        return
    _create([User.get_by_id(account.user_id)], NotificationType.NEW_FOLLOW, actor=follower.id)


def unread_count(user: User) -> int:
    return Notification.select().where((Notification.user == user) & ~Notification.read).count()


def page(user: User, start: int, count: int, unread_only: bool = False):
    query = Notification.select().where(Notification.user == user)
    if unread_only:
        query = query.where(~Notification.read)
    return query.count(), list(query.order_by(Notification.id.desc()).offset(start).limit(count))


def mark_read(user: User, ids: list[int] | None = None) -> int:
    query = Notification.update(read=True, updated_at=utcnow()).where(
        (Notification.user == user) & ~Notification.read
    )
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    return query.execute()


def describe(settings: Settings, n: Notification) -> tuple[str, str]:
    """(text, link) of a notification, for the page."""
    from app.videos import short_uuid

    video = Video.get_or_none(Video.id == n.video_id) if n.video_id else None
    if n.type == NotificationType.NEW_FOLLOW and n.actor_id:
        actor = Actor.get_or_none(Actor.id == n.actor_id)
        who = f"{actor.name}@{actor.host or settings.host}" if actor else "Someone"
        return f"{who} subscribed to you", "/a/" + (actor.name if actor and not actor.host else "")
    if video is None:
        return "A video that is gone now", "/"
    link = f"/w/{short_uuid(video.uuid)}"
    if n.type == NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION:
        return f"New video from {video.channel.display_name}: {video.name}", link
    if n.type == NotificationType.MY_VIDEO_PUBLISHED:
        return f"Your video “{video.name}” is ready to watch", link
    return f"Your video “{video.name}” could not be processed", link


# Domain events this module reacts to, registered by app/wiring.py: (event, listener).
LISTENERS: list[tuple[str, Any]] = []
