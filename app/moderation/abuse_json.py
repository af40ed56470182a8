"""Reports in PeerTube's JSON: the moderators' shape (AdminAbuse), the reporter's
(UserAbuse), messages, and the `abuse` of a notification."""

from __future__ import annotations

from typing import Any

from app import serialize
from app.moderation import abuses
from app.settings import Settings
from models.abuses import Abuse, AbuseMessage
from models.accounts import Account, Channel
from models.moderation import VideoBlock
from models.social import Comment
from models.videos import Video


def _video(settings: Settings, abuse: Abuse) -> dict[str, Any] | None:
    if abuse.kind != "video":
        return None
    video = Video.get_or_none(Video.id == abuse.video_id) if abuse.video_id else None
    if video is None:  # gone since: PeerTube keeps a copy of it; Shoal knows only that
        return {"id": None, "uuid": None, "name": None, "nsfw": False,
                "startAt": abuse.start_at, "endAt": abuse.end_at, "deleted": True,
                "blacklisted": False, "thumbnailPath": None, "channel": None}  # fmt: skip
    return {
        "id": video.id,
        "uuid": str(video.uuid),
        "name": video.name,
        "nsfw": video.nsfw,
        "startAt": abuse.start_at,
        "endAt": abuse.end_at,
        "deleted": False,
        "blacklisted": VideoBlock.select().where(VideoBlock.video == video.id).exists(),
        "thumbnailPath": f"/lazy-static/thumbnails/{video.uuid}.jpg" if video.thumbnail else None,
        "channel": serialize.channel_json(settings, Channel.get_by_id(video.channel_id)),
    }


def _comment(abuse: Abuse) -> dict[str, Any] | None:
    comment = Comment.get_or_none(Comment.id == abuse.comment_id) if abuse.comment_id else None
    if comment is None:
        return None
    video = Video.get_by_id(comment.video_id)
    return {
        "id": comment.id,
        "threadId": comment.thread_id or comment.id,
        "text": comment.text or "",
        "deleted": comment.is_deleted,
        "video": {"id": video.id, "name": video.name, "uuid": str(video.uuid)},
    }


def _account(settings: Settings, account_id: int | None) -> dict[str, Any] | None:
    account = Account.get_or_none(Account.id == account_id) if account_id else None
    return serialize.account_json(settings, account) if account is not None else None


def _base(settings: Settings, abuse: Abuse, count_messages: int) -> dict[str, Any]:
    return {
        "id": abuse.id,
        "reason": abuse.reason,
        "predefinedReasons": abuse.reason_names,
        "flaggedAccount": _account(settings, abuse.flagged_account_id),
        "state": {"id": abuse.state, "label": abuse.state_enum.label},
        "countMessages": count_messages,
        "createdAt": serialize.iso(abuse.created_at),
        "updatedAt": serialize.iso(abuse.updated_at),
    }


def admin_json(settings: Settings, abuse: Abuse, counts: dict[str, dict[int, int]]) -> dict:
    """PeerTube's AdminAbuse; `counts` from abuses.counts() for the page."""
    data = _base(settings, abuse, counts["messages"].get(abuse.id, 0))
    video = _video(settings, abuse)
    if video is not None:
        video["countReports"] = counts["video"].get(abuse.video_id, 0)
        video["nthReport"] = counts["nth"].get(abuse.id, 0)
    data.update(
        {
            "video": video,
            "comment": _comment(abuse),
            "moderationComment": abuse.moderation_comment,
            "reporterAccount": _account(settings, abuse.reporter_id),
            "countReportsForReporter": counts["reporter"].get(abuse.reporter_id, 0),
            "countReportsForReportee": counts["reportee"].get(abuse.flagged_account_id, 0),
        }
    )
    return data


def user_json(settings: Settings, abuse: Abuse, counts: dict[str, dict[int, int]]) -> dict:
    """PeerTube's UserAbuse: what the reporter sees of their report (no note, no reporter)."""
    data = _base(settings, abuse, counts["messages"].get(abuse.id, 0))
    data.update({"video": _video(settings, abuse), "comment": _comment(abuse)})
    return data


def page_json(settings: Settings, rows: list[Abuse], total: int, *, admin: bool) -> dict:
    counts = abuses.counts(rows)
    shape = admin_json if admin else user_json
    return {"total": total, "data": [shape(settings, r, counts) for r in rows]}


def message_json(settings: Settings, message: AbuseMessage) -> dict[str, Any]:
    account = message.account if message.account_id else None
    return {
        "id": message.id,
        "createdAt": serialize.iso(message.created_at),
        "byModerator": message.by_moderator,
        "message": message.message,
        "account": serialize.account_summary(settings, account) if account is not None else None,
    }


def notification_abuse(settings: Settings, abuse: Abuse) -> dict[str, Any]:
    """The `abuse` of a notification, as PeerTube embeds it."""
    data: dict[str, Any] = {"id": abuse.id, "state": abuse.state}
    comment = Comment.get_or_none(Comment.id == abuse.comment_id) if abuse.comment_id else None
    video = Video.get_or_none(Video.id == abuse.video_id) if abuse.video_id else None
    if comment is not None:
        commented = Video.get_by_id(comment.video_id)
        data["comment"] = {
            "threadId": comment.thread_id or comment.id,
            "video": {
                "id": commented.id,
                "name": commented.name,
                "shortUUID": serialize.short_uuid(commented.uuid),
                "uuid": str(commented.uuid),
            },
        }
    elif video is not None:
        data["video"] = serialize.video_info_json(settings, video)
    elif abuse.flagged_account_id:
        account = Account.get_or_none(Account.id == abuse.flagged_account_id)
        if account is not None:
            data["account"] = {
                "id": account.id,
                "displayName": account.display_name,
                "name": account.name,
                "host": account.host or settings.host,
                "avatars": [],
            }
    return data
