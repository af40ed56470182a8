"""Moderation: videos blocked by moderators, and accounts and servers muted by a user or by
the whole server (PeerTube's video blacklist and blocklists)."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow
from models.accounts import Account, Channel, User
from models.videos import Video


class BlockKind(enum.IntEnum):
    """PeerTube's VideoBlacklistType."""

    MANUAL = 1
    AUTO = 2  # a new video of a user not trusted, waiting for a moderator


class VideoBlock(BaseModel):
    """A video taken off every public surface by the server's moderators."""

    video = peewee.ForeignKeyField(Video, unique=True, on_delete="CASCADE")
    reason = peewee.TextField(default="")
    unfederated = peewee.BooleanField(default=False)  # other servers were told to delete it
    kind = peewee.SmallIntegerField(default=BlockKind.MANUAL)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class Mute(BaseModel):
    """An account or a whole server (host) muted by a user, or by the server (user None):
    their videos and comments leave lists, search, feeds and notifications."""

    user = peewee.ForeignKeyField(User, null=True, on_delete="CASCADE")  # None: the server
    account = peewee.ForeignKeyField(Account, null=True, on_delete="CASCADE")
    host = peewee.CharField(max_length=255, default="")  # a muted server, when no account
    created_at = peewee.DateTimeField(default=utcnow)


def _scope(viewer_id: int | None) -> peewee.Expression:
    """Mutes by the server, and by the viewer if there is one."""
    server = Mute.user.is_null()
    return server if viewer_id is None else server | (Mute.user == viewer_id)


def muted_accounts(viewer_id: int | None = None) -> peewee.ModelSelect:
    """Ids of the accounts muted by the server (and by the viewer, if any)."""
    scope = _scope(viewer_id)
    return Mute.select(Mute.account).where(scope & Mute.account.is_null(False))


def muted_hosts(viewer_id: int | None = None) -> peewee.ModelSelect:
    """Hosts of the servers muted by the server (and by the viewer, if any)."""
    scope = _scope(viewer_id)
    return Mute.select(Mute.host).where(scope & (Mute.host != ""))


def unblocked_videos() -> peewee.Expression:
    """Videos not blocked, whose owner is not blocked (a Video query)."""
    blocked_users = User.select(User.id).where(User.blocked == True)  # noqa: E712
    owners = Account.select(Account.id).where(Account.user.in_(blocked_users))
    return Video.id.not_in(VideoBlock.select(VideoBlock.video)) & Video.channel.not_in(
        Channel.select(Channel.id).where(Channel.account.in_(owners))
    )


def shown(viewer_id: int | None = None) -> peewee.Expression:
    """Videos fit for public surfaces (a query joining Video, Channel and Account): not
    blocked, owner not blocked, account and server not muted by the server or the viewer.
    Written against the joined Account (flatter than unblocked_videos(): peewee's time to
    build a list query's SQL grows with its subqueries)."""
    blocked_users = User.select(User.id).where(User.blocked == True)  # noqa: E712
    return (
        Video.id.not_in(VideoBlock.select(VideoBlock.video))
        & (Account.user.is_null() | Account.user.not_in(blocked_users))
        & Account.id.not_in(muted_accounts(viewer_id))
        & Account.host.not_in(muted_hosts(viewer_id))
    )


def hidden_video(video: Video) -> bool:
    """Whether a video is off public surfaces: blocked, or its owner is blocked."""
    return not Video.select(Video.id).where((Video.id == video.id) & unblocked_videos()).exists()
