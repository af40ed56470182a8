"""Who hears of reports (PeerTube's rules): moderators of a new report (unless a
moderator made it), the reporter of a decision and of a moderator's message, the
moderators of the reporter's message. Listeners of app/moderation/abuses.py's events."""

from __future__ import annotations

from typing import Any

from app import notifications
from app.moderation import abuses
from models import utcnow
from models.abuses import Abuse, AbuseMessage
from models.accounts import Account, User
from models.notifications import Notification, NotificationType


def _tell(users: list[User], kind: NotificationType, abuse: Abuse) -> None:
    name = next(n for n, t in notifications.SETTINGS.items() if t == kind)
    wanted = [u for u in users if notifications.user_settings(u)[name]]
    if not wanted:
        return
    now = utcnow()
    Notification.insert_many(
        [
            {
                "user": u.id,
                "type": int(kind),
                "abuse": abuse.id,
                "created_at": now,
                "updated_at": now,
            }
            for u in wanted
        ]  # fmt: skip
    ).execute()


def _reporter(abuse: Abuse) -> User | None:
    account = Account.get_or_none(Account.id == abuse.reporter_id) if abuse.reporter_id else None
    if account is None or not account.user_id:
        return None
    return User.get_or_none(User.id == account.user_id)


def on_abuse_created(abuse: Abuse) -> None:
    reporter = _reporter(abuse)
    if reporter is not None and reporter.is_moderator:
        return  # PeerTube: a moderator's own report tells nobody
    _tell(abuses.moderators(), NotificationType.NEW_ABUSE_FOR_MODERATORS, abuse)


def on_abuse_state_changed(abuse: Abuse) -> None:
    reporter = _reporter(abuse)
    if reporter is not None:
        _tell([reporter], NotificationType.ABUSE_STATE_CHANGE, abuse)


def on_abuse_message(abuse: Abuse, message: AbuseMessage) -> None:
    reporter = _reporter(abuse)
    author = Account.get_or_none(Account.id == message.account_id) if message.account_id else None
    author_user = author.user_id if author is not None else None
    if message.by_moderator:
        if reporter is not None and reporter.id != author_user:
            _tell([reporter], NotificationType.ABUSE_NEW_MESSAGE, abuse)
        return
    others = [u for u in abuses.moderators() if u.id != author_user]
    _tell(others, NotificationType.ABUSE_NEW_MESSAGE, abuse)


LISTENERS: list[tuple[str, Any]] = [
    ("abuse.created", on_abuse_created),
    ("abuse.state_changed", on_abuse_state_changed),
    ("abuse.message_added", on_abuse_message),
]
