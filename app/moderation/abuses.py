"""Abuse reports: anyone signed in reports a video, a comment or an account; moderators
decide (accepted, rejected), keep a note, and talk with the reporter in a thread.

The service says what happened with domain events, in the transaction of the change:
``abuse.created`` (abuse), ``abuse.state_changed`` (abuse), ``abuse.message_added``
(abuse, message). Federation (a Flag to the reported object's server) and notifications
listen to them; this module knows neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import peewee

from app import events
from models import db, utcnow
from models.abuses import (
    MAX_TEXT,
    MIN_TEXT,
    PREDEFINED_REASONS,
    Abuse,
    AbuseMessage,
    AbuseState,
)
from models.accounts import Account, Channel, User
from models.moderation import VideoBlock
from models.social import Comment
from models.videos import Video

KINDS = ("video", "comment", "account")
SORTS = ("id", "-id", "createdAt", "-createdAt", "state", "-state")


class AbuseError(ValueError):
    """A report, an update or a message refused: `errors` names each wrong field
    (field -> (value given, why)), for PeerTube's invalid-params and the page's forms."""

    def __init__(
        self, message: str, status: int = 400, errors: dict[str, tuple[Any, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or {}


def _text(value: Any, what: str) -> str | None:
    """The text stripped, or None when it is not between MIN_TEXT and MAX_TEXT long."""
    if not isinstance(value, str):
        return None
    value = value.strip().replace("\x00", "")
    return value if MIN_TEXT <= len(value) <= MAX_TEXT else None


def _length_message(what: str, value: Any) -> str:
    size = len(value.strip()) if isinstance(value, str) else 0
    if size == 0:
        return f"{what} cannot be empty."
    return f"{what} must be {MIN_TEXT} to {MAX_TEXT:,} characters long; it has {size:,}."


def _seconds(value: Any) -> int | None | bool:
    """A time in seconds (int >= 0), None when not given, False when wrong."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    if isinstance(value, int) and 0 <= value < 2**31:
        return value
    return False


def check_report(
    reason: Any, predefined: Any = None, start_at: Any = None, end_at: Any = None
) -> tuple[str, list[int], int | None, int | None]:
    """(reason, reason numbers, startAt, endAt) of a report; AbuseError naming every
    wrong field (PeerTube's names: reason, predefinedReasons, video.startAt, video.endAt)."""
    errors: dict[str, tuple[Any, str]] = {}
    text = _text(reason, "reason")
    if text is None:
        errors["reason"] = (reason, _length_message("The reason", reason))
    if predefined in (None, ""):
        predefined = []
    if isinstance(predefined, str):
        predefined = [predefined]
    numbers: list[int] = []
    if not isinstance(predefined, list) or not all(
        isinstance(p, str) and p in PREDEFINED_REASONS for p in predefined
    ):
        known = ", ".join(PREDEFINED_REASONS)
        errors["predefinedReasons"] = (predefined, f"Should have valid reasons ({known}).")
    else:
        numbers = sorted({PREDEFINED_REASONS[p] for p in predefined})
    start, end = _seconds(start_at), _seconds(end_at)
    if start is False:
        errors["video.startAt"] = (start_at, "Should have a valid startAt (seconds, 0 or more).")
    if end is False:
        errors["video.endAt"] = (end_at, "Should have a valid endAt (seconds, 0 or more).")
    elif end is not None and (start is None or start is False or end <= start):
        errors["video.endAt"] = (end_at, "Should have a startAt timestamp beginning before endAt")
    if errors:
        raise AbuseError("Incorrect request parameters: " + ", ".join(errors), errors=errors)
    return text, numbers, start, end  # type: ignore[return-value]


def check_message(value: Any, field: str = "message", what: str = "A message") -> str:
    text = _text(value, what)
    if text is None:
        message = _length_message(what, value)
        raise AbuseError(message, errors={field: (value, message)})
    return text


def flagged_account_of(
    video: Video | None = None, comment: Comment | None = None, account: Account | None = None
) -> Account | None:
    """Who answers for what is reported: the video's channel owner, the comment's
    author, or the account itself."""
    if video is not None:
        return Account.get_by_id(Channel.get_by_id(video.channel_id).account_id)
    if comment is not None:
        return Account.get_or_none(Account.id == comment.account_id)
    return account


def report(
    reporter: Account,
    *,
    video: Video | None = None,
    comment: Comment | None = None,
    account: Account | None = None,
    reason: Any,
    predefined: Any = None,
    start_at: Any = None,
    end_at: Any = None,
    ap_id: str | None = None,
) -> Abuse:
    """Store a report of exactly one of video, comment or account, and say so.

    The caller has checked that the reporter may see what is reported. A report
    received from another server (`ap_id`, the Flag's id) seen before is returned as it is.
    """
    if [video, comment, account].count(None) != 2:
        raise AbuseError("video id or account id or comment id is required.")
    if video is None:
        start_at = end_at = None
    text, numbers, start, end = check_report(reason, predefined, start_at, end_at)
    if comment is not None and comment.is_deleted:
        raise AbuseError("This comment is deleted.", 404)
    flagged = flagged_account_of(video, comment, account)
    if flagged is None:
        raise AbuseError("The author of this comment is gone.", 404)
    kind = "video" if video is not None else "comment" if comment is not None else "account"
    with db.atomic():
        if ap_id is not None:
            known = Abuse.get_or_none(Abuse.ap_id == ap_id)
            if known is not None:
                return known
        now = utcnow()
        try:
            abuse = Abuse.create(
                kind=kind,
                reporter=reporter,
                flagged_account=flagged,
                video=video,
                comment=comment,
                start_at=start,
                end_at=end,
                reason=text,
                predefined_reasons=",".join(str(n) for n in numbers),
                state=AbuseState.PENDING,
                ap_id=ap_id,
                created_at=now,
                updated_at=now,
            )
        except peewee.IntegrityError:  # the same Flag, stored by another worker
            return Abuse.get(Abuse.ap_id == ap_id)
        events.emit("abuse.created", abuse=abuse)
    return abuse


def update(abuse: Abuse, *, state: Any = None, moderation_comment: Any = None) -> Abuse:
    """A moderator's decision and note. A new state counts as processed and is said
    (``abuse.state_changed``); nothing goes to other servers, as PeerTube."""
    errors: dict[str, tuple[Any, str]] = {}
    new_state = None
    if state is not None:
        try:
            new_state = AbuseState(int(state))
        except (TypeError, ValueError):
            errors["state"] = (state, "Should have a valid abuse state (1, 2 or 3).")
    note = None
    if moderation_comment is not None:
        try:
            note = check_message(moderation_comment, "moderationComment", "A note")
        except AbuseError as err:
            errors.update(err.errors)
    if errors:
        raise AbuseError("Incorrect request parameters: " + ", ".join(errors), errors=errors)
    changes: dict[Any, Any] = {Abuse.updated_at: utcnow()}
    if note is not None:
        changes[Abuse.moderation_comment] = note
    if new_state is not None:
        changes[Abuse.state] = int(new_state)
        if abuse.processed_at is None:
            changes[Abuse.processed_at] = utcnow()
    with db.atomic():
        Abuse.update(changes).where(Abuse.id == abuse.id).execute()
        updated = Abuse.get_by_id(abuse.id)
        if new_state is not None and new_state != abuse.state:
            events.emit("abuse.state_changed", abuse=updated)
    return updated


def delete(abuse: Abuse) -> None:
    """Forget a report here (other servers keep theirs, as PeerTube)."""
    Abuse.delete().where(Abuse.id == abuse.id).execute()


def add_message(abuse: Abuse, user: User, text: Any) -> AbuseMessage:
    """A message in the report's thread: from a moderator unless the reporter writes."""
    text = check_message(text)
    if not is_local_report(abuse):
        raise AbuseError("This report was made on another server; its reporter is not here.")
    account = Account.get(Account.user == user)
    with db.atomic():
        message = AbuseMessage.create(
            abuse=abuse,
            account=account,
            message=text,
            by_moderator=abuse.reporter_id != account.id,
        )
        if message.by_moderator and abuse.processed_at is None:
            Abuse.update(processed_at=utcnow()).where(Abuse.id == abuse.id).execute()
        events.emit("abuse.message_added", abuse=abuse, message=message)
    return message


def delete_message(message: AbuseMessage) -> None:
    AbuseMessage.delete().where(AbuseMessage.id == message.id).execute()


def is_local_report(abuse: Abuse) -> bool:
    """Whether the reporter signs in here (a thread needs someone to read it)."""
    reporter = Account.get_or_none(Account.id == abuse.reporter_id) if abuse.reporter_id else None
    return reporter is not None and reporter.is_local


def may_read(abuse: Abuse, user: User | None) -> bool:
    """Moderators read every report; a reporter reads their own."""
    if user is None:
        return False
    if user.is_moderator:
        return True
    mine = (Account.id == abuse.reporter_id) & (Account.user == user)
    return Account.select().where(mine).exists()


def find(abuse_id: Any) -> Abuse | None:
    raw = str(abuse_id)
    return Abuse.get_or_none(Abuse.id == int(raw)) if raw.isdigit() and len(raw) < 10 else None


def messages(abuse: Abuse) -> list[AbuseMessage]:
    return list(
        AbuseMessage.select(AbuseMessage, Account)
        .join(Account, peewee.JOIN.LEFT_OUTER)
        .where(AbuseMessage.abuse == abuse)
        .order_by(AbuseMessage.id)
    )


def moderators() -> list[User]:
    """The users who handle reports: admins and moderators, not blocked."""
    return list(User.select().where(User.role.in_((0, 1)) & ~User.blocked))


# --- lists ------------------------------------------------------------------------------


def _contains(field: peewee.Field, text: str) -> peewee.Expression:
    return peewee.fn.LOWER(field).contains(text.lower())


def page(
    *,
    reporter: Account | None = None,
    start: int = 0,
    count: int = 15,
    sort: str = "-createdAt",
    filters: dict[str, Any] | None = None,
) -> tuple[int, list[Abuse]]:
    """(total, page) of reports: all of them (moderators) or one reporter's. `filters`
    are PeerTube's list filters, already checked: id, state, predefinedReason, filter
    (video|comment|account), videoIs (deleted, blacklisted), search, searchReporter,
    searchReportee, searchVideo, searchVideoChannel."""
    filters = filters or {}
    query = Abuse.select()
    if reporter is not None:
        query = query.where(Abuse.reporter == reporter)
    if filters.get("id") is not None:
        query = query.where(Abuse.id == int(filters["id"]))
    if filters.get("state") is not None:
        query = query.where(Abuse.state == int(filters["state"]))
    if filters.get("filter"):
        query = query.where(Abuse.kind == filters["filter"])
    if filters.get("predefinedReason"):
        number = str(PREDEFINED_REASONS[filters["predefinedReason"]])
        query = query.where(
            (Abuse.predefined_reasons == number)
            | Abuse.predefined_reasons.startswith(number + ",")
            | Abuse.predefined_reasons.endswith("," + number)
            | Abuse.predefined_reasons.contains("," + number + ",")
        )
    if filters.get("videoIs") == "deleted":
        query = query.where((Abuse.kind == "video") & Abuse.video.is_null())
    elif filters.get("videoIs") == "blacklisted":
        query = query.where(Abuse.video.in_(VideoBlock.select(VideoBlock.video)))
    named = Account.select(Account.id)
    videos = Video.select(Video.id)
    if filters.get("searchReporter"):
        text = filters["searchReporter"]
        query = query.where(
            Abuse.reporter.in_(
                named.where(_contains(Account.name, text) | _contains(Account.display_name, text))
            )
        )
    if filters.get("searchReportee"):
        text = filters["searchReportee"]
        query = query.where(
            Abuse.flagged_account.in_(
                named.where(_contains(Account.name, text) | _contains(Account.display_name, text))
            )
        )
    if filters.get("searchVideo"):
        named_videos = videos.where(_contains(Video.name, filters["searchVideo"]))
        query = query.where(Abuse.video.in_(named_videos))
    if filters.get("searchVideoChannel"):
        text = filters["searchVideoChannel"]
        channels = Channel.select(Channel.id).where(
            _contains(Channel.name, text) | _contains(Channel.display_name, text)
        )
        query = query.where(Abuse.video.in_(videos.where(Video.channel.in_(channels))))
    if filters.get("search"):
        text = filters["search"]
        people = named.where(_contains(Account.name, text) | _contains(Account.display_name, text))
        query = query.where(
            _contains(Abuse.reason, text)
            | Abuse.video.in_(videos.where(_contains(Video.name, text)))
            | Abuse.reporter.in_(people)
            | Abuse.flagged_account.in_(people)
        )
    column = {"id": Abuse.id, "createdAt": Abuse.id, "state": Abuse.state}[sort.lstrip("-")]
    order = [column.desc() if sort.startswith("-") else column, Abuse.id.desc()]
    return query.count(), list(query.order_by(*order).offset(start).limit(count))


def _grouped(field: peewee.Field, ids: Iterable[int]) -> dict[int, int]:
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    rows = (
        Abuse.select(field.alias("key"), peewee.fn.COUNT(Abuse.id).alias("n"))
        .where(field.in_(ids))
        .group_by(field)
        .dicts()
    )
    return {row["key"]: row["n"] for row in rows}


def counts(rows: list[Abuse]) -> dict[str, dict[int, int]]:
    """The figures PeerTube shows beside each report of a page, read in a few queries:
    reports per video, per reporter, per reported account, messages per report, and
    each video report's rank among its video's reports."""
    ids = [r.id for r in rows]
    message_rows = (
        AbuseMessage.select(AbuseMessage.abuse, peewee.fn.COUNT(AbuseMessage.id).alias("n"))
        .where(AbuseMessage.abuse.in_(ids or [0]))
        .group_by(AbuseMessage.abuse)
    )
    video_ids = [r.video_id for r in rows if r.video_id]
    nth: dict[int, int] = {}
    seen: dict[int, int] = {}
    for row in (
        Abuse.select(Abuse.id, Abuse.video)
        .where(Abuse.video.in_(video_ids or [0]))
        .order_by(Abuse.id)
    ):
        seen[row.video_id] = seen.get(row.video_id, 0) + 1
        nth[row.id] = seen[row.video_id]
    return {
        "video": _grouped(Abuse.video, video_ids),
        "reporter": _grouped(Abuse.reporter, [r.reporter_id for r in rows]),
        "reportee": _grouped(Abuse.flagged_account, [r.flagged_account_id for r in rows]),
        "messages": {m.abuse_id: m.n for m in message_rows},
        "nth": nth,
    }
