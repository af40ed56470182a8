"""Notifications: who is told what, and each user's choices.

Made where the event happens (a video published, a follow accepted), in the
same process: a few inserts, no network.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from app.settings import Settings
from app.social import mentions
from app.videos import short_uuid
from models import utcnow
from models.abuses import Abuse
from models.accounts import Account, Channel, Role, User
from models.federation import Actor, Follow, FollowState
from models.moderation import Mute, hidden_video
from models.notifications import Notification, NotificationType
from models.registrations import UserRegistration
from models.social import Comment
from models.videos import Privacy, Video

log = logging.getLogger(__name__)

NEW_COMMENT_ON_MY_VIDEO = NotificationType.NEW_COMMENT_ON_MY_VIDEO
COMMENT_MENTION = NotificationType.COMMENT_MENTION

# PeerTube's setting names; values: 0 off, 1 shown in the web interface.
SETTINGS = {
    "newVideoFromSubscription": NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION,
    "myVideoPublished": NotificationType.MY_VIDEO_PUBLISHED,
    "newFollow": NotificationType.NEW_FOLLOW,
    "myVideoTranscodingFailed": NotificationType.MY_VIDEO_TRANSCODING_FAILED,
    "newCommentOnMyVideo": NEW_COMMENT_ON_MY_VIDEO,
    "commentMention": COMMENT_MENTION,
    "abuseAsModerator": NotificationType.NEW_ABUSE_FOR_MODERATORS,
    "abuseStateChange": NotificationType.ABUSE_STATE_CHANGE,
    "abuseNewMessage": NotificationType.ABUSE_NEW_MESSAGE,
    "newUserRegistration": NotificationType.NEW_USER_REGISTRATION_REQUEST,
    "blacklistOnMyVideo": NotificationType.BLACKLIST_ON_MY_VIDEO,
    "videoAutoBlacklistAsModerator": NotificationType.VIDEO_AUTO_BLACKLIST_FOR_MODERATORS,
}
# Kinds that follow another kind's setting (PeerTube: one setting for block and unblock).
SAME_SETTING = {NotificationType.UNBLACKLIST_ON_MY_VIDEO: NotificationType.BLACKLIST_ON_MY_VIDEO}
LABELS = {
    "newVideoFromSubscription": "New videos from my subscriptions",
    "myVideoPublished": "My video is ready to watch",
    "newFollow": "Someone subscribed to my channel or account",
    "myVideoTranscodingFailed": "My video could not be processed",
    "newCommentOnMyVideo": "Someone commented on my video or replied to my comment",
    "commentMention": "Someone mentioned me in a comment",
    "abuseAsModerator": "Someone reported a video, a comment or an account (moderators)",
    "abuseStateChange": "A moderator decided on my report",
    "abuseNewMessage": "A new message about a report",
    "newUserRegistration": "Someone asks to join this server (moderators)",
    "blacklistOnMyVideo": "A moderator blocked or unblocked my video",
    "videoAutoBlacklistAsModerator": "A new video waits for a moderator (moderators)",
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
    kind = SAME_SETTING.get(kind, kind)
    name = next(n for n, t in SETTINGS.items() if t == kind)
    return [u for u in users if user_settings(u)[name]]


def _create(users: list[User], kind: NotificationType, **refs: Any) -> int:
    users = _wanted(users, kind)
    if users and (refs.get("actor") or refs.get("comment")):
        users = _not_muting(users, refs.get("actor"), refs.get("comment"))
    if not users:
        return 0
    now = utcnow()
    rows = [
        {"user": u.id, "type": int(kind), "created_at": now, "updated_at": now, **refs}
        for u in users
    ]
    Notification.insert_many(rows).execute()
    return len(rows)


def _not_muting(users: list[User], actor_id: int | None, comment_id: int | None) -> list[User]:
    """Those of `users` who did not mute the account or server the notification comes
    from (its actor, or its comment's author); nobody when the server muted it."""
    account = None
    if actor_id:
        account = Account.get_or_none(Account.actor == actor_id)
    if account is None and comment_id:
        comment = Comment.get_or_none(Comment.id == comment_id)
        account = Account.get_or_none(Account.id == comment.account_id) if comment else None
    actor = Actor.get_or_none(Actor.id == actor_id) if actor_id else None
    host = actor.host if actor is not None else account.host if account is not None else ""
    muted = (Mute.host != "") & (Mute.host == host)
    if account is not None:
        muted |= Mute.account == account.id
    muting = {m.user_id for m in Mute.select(Mute.user).where(muted)}
    if None in muting:
        return []
    return [u for u in users if u.id not in muting]


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
    if video.is_local and hidden_video(video):  # held by the auto-block (a new remote one
        return  # cannot be blocked yet)
    tell_subscribers(video)


def tell_subscribers(video: Video) -> None:
    """The local subscribers of the video's channel hear of it."""
    channel = video.channel
    subscribers = list(
        User.select()
        .join(Account, on=Account.user == User.id)
        .join(Follow, on=Follow.follower == Account.actor)
        .where((Follow.target == channel.actor_id) & (Follow.state == FollowState.ACCEPTED))
    )
    _create(subscribers, NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION, video=video.id)


def tell(users: list[User], kind: NotificationType, **refs: Any) -> int:
    """Notify these users (those who want this kind), with what it refers to."""
    return _create(users, kind, **refs)


def moderators() -> list[User]:
    return list(User.select().where(User.role.in_([Role.ADMIN, Role.MODERATOR])))


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
    video = Video.get_or_none(Video.id == n.video_id) if n.video_id else None
    if n.type == NotificationType.NEW_FOLLOW and n.actor_id:
        actor = Actor.get_or_none(Actor.id == n.actor_id)
        who = f"{actor.name}@{actor.host or settings.host}" if actor else "Someone"
        return f"{who} subscribed to you", "/a/" + (actor.name if actor and not actor.host else "")
    if n.type == NotificationType.NEW_USER_REGISTRATION_REQUEST:
        registration = UserRegistration.get_or_none(UserRegistration.id == n.registration_id)
        who = registration.username if registration else "Someone"
        return f"{who} asks to join this server", "/admin/registrations"
    if n.type in ABUSE_TYPES:
        return _describe_abuse(n)
    if video is None:
        return "A video that is gone now", "/"
    link = f"/w/{short_uuid(video.uuid)}"
    if n.type in (NEW_COMMENT_ON_MY_VIDEO, COMMENT_MENTION):
        return _describe_comment(n, video, link)
    if n.type == NotificationType.NEW_VIDEO_FROM_SUBSCRIPTION:
        return f"New video from {video.channel.display_name}: {video.name}", link
    if n.type == NotificationType.MY_VIDEO_PUBLISHED:
        return f"Your video “{video.name}” is ready to watch", link
    if n.type == NotificationType.BLACKLIST_ON_MY_VIDEO:
        return f"Your video “{video.name}” was blocked by the moderators", link
    if n.type == NotificationType.UNBLACKLIST_ON_MY_VIDEO:
        return f"Your video “{video.name}” is no longer blocked", link
    if n.type == NotificationType.VIDEO_AUTO_BLACKLIST_FOR_MODERATORS:
        return f"A new video waits for a moderator: “{video.name}”", "/admin/moderation"
    return f"Your video “{video.name}” could not be processed", link


ABUSE_TYPES = (
    NotificationType.NEW_ABUSE_FOR_MODERATORS,
    NotificationType.ABUSE_STATE_CHANGE,
    NotificationType.ABUSE_NEW_MESSAGE,
)


def _describe_abuse(n: Notification) -> tuple[str, str]:
    abuse = Abuse.get_or_none(Abuse.id == n.abuse_id) if n.abuse_id else None
    if abuse is None:
        return "A report that is gone now", "/"
    reporter = Account.get_or_none(Account.id == abuse.reporter_id) if abuse.reporter_id else None
    mine = reporter is not None and reporter.user_id == n.user_id
    link = f"/my-abuses#abuse-{abuse.id}" if mine else f"/admin/abuses/{abuse.id}"
    if n.type == NotificationType.NEW_ABUSE_FOR_MODERATORS:
        return f"New report #{abuse.id} ({abuse.kind})", link
    if n.type == NotificationType.ABUSE_STATE_CHANGE:
        return f"Your report #{abuse.id} is now {abuse.state_enum.label.lower()}", link
    return f"New message about report #{abuse.id}", link


def _describe_comment(n: Notification, video: Video, link: str) -> tuple[str, str]:
    comment = comment_of(n)
    if comment is None:
        return f"A comment on “{video.name}” that is gone now", link
    author = comment.account.display_name if comment.account_id else "Someone"
    anchor = f"{link}?thread={comment.thread_id or comment.id}#comment-{comment.id}"
    if n.type == COMMENT_MENTION:
        return f"{author} mentioned you in a comment on “{video.name}”", anchor
    parent = comment.parent if comment.parent_id else None
    if parent is not None and parent.account_id and parent.account.user_id == n.user_id:
        return f"{author} replied to your comment on “{video.name}”", anchor
    return f"{author} commented on your video “{video.name}”", anchor


def comment_of(n: Notification) -> Comment | None:
    """The comment a comment notification is about."""
    return Comment.get_or_none(Comment.id == n.comment_id) if n.comment_id else None


def comment_posted(comment: Comment) -> None:
    """A comment here or from elsewhere: tell the video's owner, the author replied to and
    the local users mentioned, each once, never the comment's own author."""
    author = Account.get_or_none(Account.id == comment.account_id)
    video = Video.get_by_id(comment.video_id)
    told = {author.user_id} if author is not None and author.user_id else set()
    refs = {
        "video": video.id,
        "actor": author.actor_id if author is not None else None,
        "comment": comment.id,
    }
    owner = Account.get_by_id(Channel.get_by_id(video.channel_id).account_id).user_id
    parent = Comment.get_or_none(Comment.id == comment.parent_id) if comment.parent_id else None
    replied = Account.get_or_none(Account.id == parent.account_id) if parent else None
    for user_id in (owner, replied.user_id if replied is not None else None):
        if user_id and user_id not in told:
            told.add(user_id)
            _create([User.get_by_id(user_id)], NEW_COMMENT_ON_MY_VIDEO, **refs)
    mentioned = [
        a.user_id for a in mentions.local_accounts_anywhere(comment.text) if a.user_id not in told
    ]
    if mentioned:
        _create(list(User.select().where(User.id.in_(mentioned))), COMMENT_MENTION, **refs)


def registration_requested(registration: UserRegistration) -> None:
    """Someone asks to join: tell the moderators and administrators."""
    moderators = list(
        User.select().where(User.role.in_([Role.ADMIN, Role.MODERATOR]) & ~User.blocked)
    )
    _create(
        moderators, NotificationType.NEW_USER_REGISTRATION_REQUEST, registration=registration.id
    )


# Domain events this module reacts to, registered by app/wiring.py: (event, listener).
LISTENERS: list[tuple[str, Any]] = [
    ("video.published", video_published),
    ("video.failed", video_failed),
    ("comment.posted", comment_posted),
    ("registration.requested", registration_requested),
]
