"""Mutes (PeerTube's blocklists): a user mutes accounts and servers for themselves, a
moderator for the whole server.

Muted accounts' and servers' videos leave lists, search, feeds and subscriptions
(models.moderation.shown), their comments are hidden, their notifications go (the ones
already there too, as PeerTube), and, muted by the server, their comments and follows are
refused. Nothing federates: mutes are this server's own business.
"""

from __future__ import annotations

import re

import peewee

from app import events
from app.settings import Settings
from models import db
from models.accounts import Account, Channel, User
from models.federation import Actor
from models.moderation import Mute, muted_accounts, muted_hosts
from models.notifications import Notification
from models.social import Comment

_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$")


class MuteError(ValueError):
    """A mute that cannot be made or undone; `status` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def account_by_handle(settings: Settings, handle: str) -> Account:
    """The account a PeerTube `accountName` names: `name` here, or `name@host`."""
    name, _, host = handle.strip().lstrip("@").partition("@")
    host = "" if host in ("", settings.host) else host.lower()
    account = Account.get_or_none((Account.name == name) & (Account.host == host))
    if account is None:
        raise MuteError("Account not found", 404)
    return account


def check_host(settings: Settings, host: str) -> str:
    host = host.strip().lower()
    if not _HOST.match(host) or len(host) > 255:
        raise MuteError("Should have a valid host")
    if host == settings.host:
        raise MuteError("You cannot block your own server.", 409)
    return host


def mute_account(user: User | None, account: Account) -> Mute:
    """Mute `account` for `user`, or for the whole server (user None)."""
    if user is not None and account.user_id == user.id:
        raise MuteError("You cannot block yourself.", 409)
    if user is None and account.user_id:
        owner = User.get_or_none(User.id == account.user_id)
        if owner is not None and owner.is_moderator:
            raise MuteError("You cannot block a moderator or an administrator.", 409)
    with db.atomic():
        row = Mute.get_or_none((Mute.user == user) & (Mute.account == account))
        if row is None:
            try:
                with db.atomic():
                    row = Mute.create(user=user, account=account)
            except peewee.IntegrityError:  # muted at the same moment by another request
                row = Mute.get((Mute.user == user) & (Mute.account == account))
        _forget_notifications(
            user,
            Actor.select(Actor.id).where(Actor.id == account.actor_id),
            Comment.select(Comment.id).where(Comment.account == account.id),
        )
        events.emit("mutes.changed", user=user)
    return row


def mute_host(user: User | None, host: str) -> Mute:
    with db.atomic():
        row = Mute.get_or_none((Mute.user == user) & (Mute.host == host))
        if row is None:
            try:
                with db.atomic():
                    row = Mute.create(user=user, host=host)
            except peewee.IntegrityError:
                row = Mute.get((Mute.user == user) & (Mute.host == host))
        _forget_notifications(
            user,
            Actor.select(Actor.id).where(Actor.host == host),
            Comment.select(Comment.id).join(Account).where(Account.host == host),
        )
        events.emit("mutes.changed", user=user)
    return row


def _forget_notifications(
    user: User | None, actors: peewee.ModelSelect, comments: peewee.ModelSelect
) -> None:
    """Notifications caused by the muted (their actor or their comments) go, the user's
    own or everyone's (as PeerTube)."""
    query = Notification.delete().where(
        Notification.actor.in_(actors) | Notification.comment.in_(comments)
    )
    if user is not None:
        query = query.where(Notification.user == user)
    query.execute()


def unmute_account(user: User | None, account: Account) -> None:
    if not Mute.delete().where((Mute.user == user) & (Mute.account == account)).execute():
        raise MuteError("Account block not found", 404)
    events.emit("mutes.changed", user=user)


def unmute_host(user: User | None, host: str) -> None:
    if not Mute.delete().where((Mute.user == user) & (Mute.host == host.lower())).execute():
        raise MuteError("Server block not found", 404)
    events.emit("mutes.changed", user=user)


def accounts(user: User | None) -> peewee.ModelSelect:
    """Mutes of accounts by the user (or the server), newest first, with the accounts."""
    return (
        Mute.select(Mute, Account)
        .join(Account, on=Mute.account == Account.id)
        .where(Mute.user == user)
        .order_by(Mute.id.desc())
    )


def hosts(user: User | None) -> peewee.ModelSelect:
    return Mute.select().where((Mute.user == user) & (Mute.host != "")).order_by(Mute.id.desc())


def is_muted(account: Account | None, user: User | None = None) -> bool:
    """Whether the server (or `user`) muted this account or its server."""
    if account is None:
        return False
    viewer = user.id if user is not None else None
    muted = Account.id.in_(muted_accounts(viewer)) | Account.host.in_(muted_hosts(viewer))
    return Account.select().where((Account.id == account.id) & muted).exists()


def refused(actor: Actor, owner: User | None = None) -> bool:
    """Whether a remote actor's comments and follows are refused: its account or server is
    muted by the whole server, or by `owner` (the local user it addresses)."""
    scope = Mute.user.is_null() if owner is None else Mute.user.is_null() | (Mute.user == owner.id)
    muted = (Mute.host != "") & (Mute.host == actor.host)
    account = Account.get_or_none(Account.actor == actor.id)
    if account is not None:
        muted |= Mute.account == account.id
    return Mute.select().where(scope & muted).exists()


def owner_of(actor: Actor) -> User | None:
    """The local user behind a local account or channel actor."""
    account = Account.get_or_none(Account.actor == actor.id)
    if account is None:
        channel = Channel.get_or_none(Channel.actor == actor.id)
        account = Account.get_or_none(Account.id == channel.account_id) if channel else None
    return User.get_or_none(User.id == account.user_id) if account and account.user_id else None


def status(user: User | None, handles: list[tuple[str, Account]], host_names: list[str]) -> dict:
    """PeerTube's GET /api/v1/blocklist/status: for each account (by the handle asked)
    and host, whether the server and the user muted it."""

    def flags(condition) -> dict[str, bool]:
        rows = list(Mute.select(Mute.user).where(condition))
        return {
            "blockedByServer": any(r.user_id is None for r in rows),
            "blockedByUser": user is not None and any(r.user_id == user.id for r in rows),
        }

    return {
        "accounts": {h: flags(Mute.account == a.id) for h, a in handles},
        "hosts": {h: flags(Mute.host == h) for h in host_names},
    }
