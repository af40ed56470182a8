"""Reports over ActivityPub: Flag, as PeerTube sends and reads it.

Out: a report made here about another server's video, comment or account is also
sent to that server, and only there: a Flag by the reporter's actor, id
``{base}/admin/abuses/{id}``, object the reported thing's URL (one URL: PeerTube
refuses a list), content the reason (Markdown), the predefined reasons as Hashtag
tags, startAt/endAt for a video; addressed to the reported account, delivered to its
server's shared inbox. Decisions on a report stay here (PeerTube sends nothing).

In: a Flag naming a video, comment or account of this server becomes a report by
the sender's account. A Flag naming anything else (another server's object, or
nothing this server has), or sent by an actor without an account, is refused whole,
with the reason on the inbox row, and nothing is stored.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from app import jobs
from app.federation import actors
from app.federation.delivery import queue_activity
from app.federation.objects import first_id, host_of
from app.federation.remote import RemoteError
from app.moderation import abuses, blocklist
from app.serialize import account_url, video_url
from app.settings import Settings
from app.social.comments import comment_url
from app.videos import find_video
from models import db
from models.abuses import PREDEFINED_REASONS, Abuse
from models.accounts import Account
from models.federation import Actor
from models.social import Comment
from models.videos import Video

log = logging.getLogger(__name__)

FLAG_JOB = "federate-flag"
_LOCAL = re.compile(
    r"^/(?:videos/watch/(?P<uuid>[0-9a-fA-F-]{36})(?:/comments/(?P<comment>\d{1,9}))?"
    r"|accounts/(?P<account>[A-Za-z0-9._-]{1,50}))/?$"
)


# --- out ----------------------------------------------------------------------------------


def on_abuse_created(abuse: Abuse) -> None:
    """A local reporter's report of another server's thing: its Flag goes in a job."""
    if abuse.ap_id is not None:
        return  # received as a Flag: it came from there
    flagged = Account.get_or_none(Account.id == abuse.flagged_account_id)
    if flagged is not None and not flagged.is_local and flagged.actor_id:
        jobs.enqueue(FLAG_JOB, {"abuse_id": abuse.id})


LISTENERS: list[tuple[str, Any]] = [("abuse.created", on_abuse_created)]


def flag_id(settings: Settings, abuse: Abuse) -> str:
    return f"{settings.base_url}/admin/abuses/{abuse.id}"


def _object_url(settings: Settings, abuse: Abuse) -> str | None:
    if abuse.kind == "video":
        video = Video.get_or_none(Video.id == abuse.video_id) if abuse.video_id else None
        return video_url(settings, video) if video is not None else None
    if abuse.kind == "comment":
        comment = Comment.get_or_none(Comment.id == abuse.comment_id) if abuse.comment_id else None
        return comment_url(settings.base_url, comment) if comment is not None else None
    account = Account.get_or_none(Account.id == abuse.flagged_account_id)
    return account_url(settings, account) if account is not None else None


def flag_activity(settings: Settings, abuse: Abuse, reporter: Actor, to: str) -> dict[str, Any]:
    """The Flag of a report, as PeerTube builds it."""
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "type": "Flag",
        "id": flag_id(settings, abuse),
        "actor": actors.actor_url(settings, reporter),
        "content": abuse.reason,
        "mediaType": "text/markdown",
        "object": _object_url(settings, abuse),
        "tag": [{"type": "Hashtag", "name": name} for name in abuse.reason_names],
        "to": [to],
        "cc": [],
    }
    if abuse.kind == "video":
        if abuse.start_at is not None:
            doc["startAt"] = abuse.start_at
        if abuse.end_at is not None:
            doc["endAt"] = abuse.end_at
    return doc


def run_flag_job(settings: Settings, payload: dict) -> None:
    """The `federate-flag` job: the Flag to the reported account's server, unicast."""
    abuse = Abuse.get_or_none(Abuse.id == payload["abuse_id"])
    if abuse is None or abuse.reporter_id is None:
        return
    reporter = Account.get_by_id(abuse.reporter_id)
    flagged = Account.get_or_none(Account.id == abuse.flagged_account_id)
    if flagged is None or flagged.is_local or not flagged.actor_id or not reporter.is_local:
        return
    if _object_url(settings, abuse) is None:
        return  # gone since: nothing left to name
    target = flagged.actor
    sender = actors.account_actor(reporter)
    doc = flag_activity(settings, abuse, sender, target.ap_id or "")
    queue_activity(sender, doc, {actors.inbox_of(target)})


# --- in -----------------------------------------------------------------------------------


def _local_object(settings: Settings, url: str) -> dict[str, Any]:
    """What a URL of this server names, as the keyword of abuses.report()."""
    if host_of(url) != settings.host:
        raise RemoteError(f"the Flag names {url[:300]}, which is not on this server")
    match = _LOCAL.match(urlsplit(url).path)
    found: dict[str, Any] | None = None
    if match is not None and match["uuid"]:
        video = find_video(match["uuid"])
        if video is not None and video.is_local and match["comment"]:
            comment = Comment.get_or_none(
                (Comment.id == int(match["comment"])) & (Comment.video == video)
            )
            if comment is not None and comment.is_local and not comment.is_deleted:
                found = {"comment": comment}
        elif video is not None and video.is_local:
            found = {"video": video}
    elif match is not None and match["account"]:
        account = Account.get_or_none(
            (Account.name == match["account"]) & (Account.host == "") & Account.user.is_null(False)
        )
        if account is not None:
            found = {"account": account}
    if found is None:
        raise RemoteError(f"the Flag names {url[:300]}, which this server does not have")
    return found


def receive_flag(settings: Settings, sender: Actor, activity: dict) -> list[Abuse]:
    """A Flag: one report per object named, by the sender's account (PeerTube's reading)."""
    reporter = Account.get_or_none(Account.actor == sender)
    if reporter is None:
        raise RemoteError(f"{(sender.ap_id or '')[:300]} has no account; only accounts report")
    if blocklist.refused(sender):
        raise RemoteError("a Flag from an account or server this server muted")
    raw = activity.get("object")
    objects = raw if isinstance(raw, list) else [raw]
    urls = [first_id(o) for o in objects[:20]]
    if not urls or not all(urls):
        raise RemoteError("the Flag names no object")
    targets = [_local_object(settings, url) for url in urls]  # type: ignore[arg-type]
    tags = activity.get("tag") if isinstance(activity.get("tag"), list) else []
    names = [t.get("name") for t in tags if isinstance(t, dict)]
    reasons = [n for n in names if n in PREDEFINED_REASONS]
    content = activity.get("content")
    flag = first_id(activity.get("id")) or ""
    try:
        abuses.check_report(content, reasons)
        with db.atomic():  # every object, or none
            made = _report_each(reporter, targets, activity, content, reasons, flag)
    except abuses.AbuseError as err:
        raise RemoteError(f"Flag {flag[:300]} refused: {err}") from None
    log.info("Flag %s from %s: %d report(s)", flag[:300], sender.ap_id, len(made))
    return made


def _report_each(
    reporter: Account,
    targets: list[dict[str, Any]],
    activity: dict,
    content: Any,
    reasons: list[str],
    flag: str,
) -> list[Abuse]:
    made = []
    for index, target in enumerate(targets):
        video = "video" in target
        made.append(
            abuses.report(
                reporter,
                reason=content,
                predefined=reasons,
                start_at=activity.get("startAt") if video else None,
                end_at=activity.get("endAt") if video else None,
                ap_id=flag if index == 0 else f"{flag}#object-{index}",
                **target,
            )
        )
    return made
