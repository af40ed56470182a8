"""/api/v1/abuses and /api/v1/users/me/abuses: PeerTube's reports API.

Anyone signed in reports; moderators list, decide, note and delete; a report's
thread is for its reporter and the moderators. Refusals come from
app/moderation/abuses.py (AbuseError) in PeerTube's problem JSON; nothing is stored then.
"""

from __future__ import annotations

from typing import Any

from app import auth, videos
from app.moderation import abuse_json, abuses
from handlers.base import APIHandler, Problem, query_problem
from models.abuses import PREDEFINED_REASONS, Abuse, AbuseMessage, AbuseState
from models.accounts import Account
from models.social import Comment

ADMIN_FILTERS = ("search", "searchReporter", "searchReportee", "searchVideo", "searchVideoChannel")


def problem(err: abuses.AbuseError) -> Problem:
    return Problem(err.status, str(err), invalid_params=err.errors)


def bad_id(field: str, value: Any) -> Problem:
    return Problem(
        400,
        f"Incorrect request parameters: {field}",
        invalid_params={field: (value, "Should have a valid id")},
    )


def _id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 2**31:
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 10:
        return int(value)
    return None


def target_of(user, body: dict[str, Any]) -> dict[str, Any]:
    """The video, comment or account a report names, if the user may see it; else 404
    (as PeerTube: a private video of someone else does not exist for the reporter)."""
    video, comment, account = (body.get(k) for k in ("video", "comment", "account"))
    for name, part in (("video", video), ("comment", comment), ("account", account)):
        if part is not None and not (isinstance(part, dict) and part.get("id") not in (None, "")):
            raise bad_id(f"{name}.id", part)
    if isinstance(video, dict):
        ref = str(video["id"])
        if videos.parse_ref(ref) is None:
            raise bad_id("video.id", video["id"])
        found = videos.find_video(ref)
        if found is None or not videos.can_view(found, user):
            raise Problem(404, "Video not found")
        return {"video": found, "start_at": video.get("startAt"), "end_at": video.get("endAt")}
    if isinstance(comment, dict):
        comment_id = _id(comment["id"])
        if comment_id is None:
            raise bad_id("comment.id", comment["id"])
        found = Comment.get_or_none(Comment.id == comment_id)
        video = videos.find_video(str(found.video_id)) if found is not None else None
        if found is None or found.is_deleted or not videos.can_view(video, user):
            raise Problem(404, "Video comment not found")
        return {"comment": found}
    if isinstance(account, dict):
        account_id = _id(account["id"])
        if account_id is None:
            raise bad_id("account.id", account["id"])
        found = Account.get_or_none(Account.id == account_id)
        if found is None:
            raise Problem(404, "Account not found")
        return {"account": found}
    raise Problem(400, "video id or account id or comment id is required.")


class AbuseBase(APIHandler):
    def require_moderator(self) -> None:
        if not self.user.is_moderator:
            raise Problem(403, f"User {self.user.username} does not have right to manage abuses.")

    def abuse_or_problem(self, raw_id: str) -> Abuse:
        abuse = abuses.find(raw_id)
        if abuse is None:
            raise Problem(404, "Abuse not found")
        if not abuses.may_read(abuse, self.user):
            raise Problem(
                403, f"User {self.user.username} does not have right to get abuse {abuse.id}"
            )
        return abuse

    def list_filters(self, names: tuple[str, ...]) -> dict[str, Any]:
        """PeerTube's list filters from the query; 400 naming each wrong one."""
        errors: dict[str, tuple[Any, str]] = {}
        out: dict[str, Any] = {}
        raw_id = self.get_argument("id", None)
        if raw_id not in (None, ""):
            out["id"] = _id(raw_id)
            if out["id"] is None:
                errors["id"] = (raw_id, "Should have a valid id")
        state = self.get_argument("state", None)
        if state not in (None, ""):
            if state not in {str(int(s)) for s in AbuseState}:
                errors["state"] = (state, "Should have a valid abuse state")
            out["state"] = state
        if "filter" in names and self.get_argument("filter", None):
            out["filter"] = self.get_argument("filter")
            if out["filter"] not in abuses.KINDS:
                errors["filter"] = (out["filter"], "Should have a valid filter")
        if "predefinedReason" in names and self.get_argument("predefinedReason", None):
            out["predefinedReason"] = self.get_argument("predefinedReason")
            if out["predefinedReason"] not in PREDEFINED_REASONS:
                errors["predefinedReason"] = (out["predefinedReason"], "Should have a valid reason")
        if "videoIs" in names and self.get_argument("videoIs", None):
            out["videoIs"] = self.get_argument("videoIs")
            if out["videoIs"] not in ("deleted", "blacklisted"):
                errors["videoIs"] = (out["videoIs"], "Should have a valid videoIs")
        for name in names:
            if name in ADMIN_FILTERS or name == "search":
                value = self.get_argument(name, None)
                if value:
                    out[name] = value[:200]
        if errors:
            raise query_problem(errors)
        return out


class AbusesHandler(AbuseBase):
    """GET (moderators: every report, filtered) and POST (anyone signed in) /api/v1/abuses."""

    def get(self) -> None:
        self.require_moderator()
        start, count, sort = self.paging(abuses.SORTS, "-createdAt")
        names = ("filter", "predefinedReason", "videoIs", *ADMIN_FILTERS)
        total, rows = abuses.page(
            start=start, count=count, sort=sort, filters=self.list_filters(names)
        )
        self.send(abuse_json.page_json(self.shoal, rows, total, admin=True))

    def post(self) -> None:
        body = self.json_body()
        try:  # the fields first: a bad reason is a 400 even for a video that is not there
            abuses.check_report(
                body.get("reason"),
                body.get("predefinedReasons"),
                *_range(body.get("video")),
            )
        except abuses.AbuseError as err:
            raise problem(err) from None
        target = target_of(self.user, body)
        try:
            abuse = abuses.report(
                auth.account_of(self.user),
                reason=body.get("reason"),
                predefined=body.get("predefinedReasons"),
                **target,
            )
        except abuses.AbuseError as err:
            raise problem(err) from None
        self.send({"abuse": {"id": abuse.id}})


def _range(video: Any) -> tuple[Any, Any]:
    return (video.get("startAt"), video.get("endAt")) if isinstance(video, dict) else (None, None)


class AbuseHandler(AbuseBase):
    """PUT (state, moderationComment) and DELETE /api/v1/abuses/{id}: moderators."""

    def put(self, abuse_id: str) -> None:
        self.require_moderator()
        abuse = self.abuse_or_problem(abuse_id)
        body = self.json_body()
        try:
            abuses.update(
                abuse, state=body.get("state"), moderation_comment=body.get("moderationComment")
            )
        except abuses.AbuseError as err:
            raise problem(err) from None
        self.no_content()

    def delete(self, abuse_id: str) -> None:
        self.require_moderator()
        abuses.delete(self.abuse_or_problem(abuse_id))
        self.no_content()


class MessagesBase(AbuseBase):
    def thread_or_problem(self, abuse_id: str) -> Abuse:
        abuse = self.abuse_or_problem(abuse_id)
        if not abuses.is_local_report(abuse):
            raise Problem(400, "This abuse was not created by a user of this instance.")
        return abuse


class AbuseMessagesHandler(MessagesBase):
    """GET and POST /api/v1/abuses/{id}/messages: the reporter and the moderators."""

    def get(self, abuse_id: str) -> None:
        rows = abuses.messages(self.thread_or_problem(abuse_id))
        data = [abuse_json.message_json(self.shoal, m) for m in rows]
        self.send({"total": len(data), "data": data})

    def post(self, abuse_id: str) -> None:
        abuse = self.thread_or_problem(abuse_id)
        try:
            message = abuses.add_message(abuse, self.user, self.json_body().get("message"))
        except abuses.AbuseError as err:
            raise problem(err) from None
        self.send({"abuseMessage": {"id": message.id}})


class AbuseMessageHandler(MessagesBase):
    """DELETE /api/v1/abuses/{id}/messages/{messageId}: its author or a moderator."""

    def delete(self, abuse_id: str, message_id: str) -> None:
        abuse = self.thread_or_problem(abuse_id)
        message = AbuseMessage.get_or_none(
            (AbuseMessage.id == (int(message_id) if len(message_id) < 10 else 0))
            & (AbuseMessage.abuse == abuse)
        )
        if message is None:
            raise Problem(404, "Abuse message not found")
        mine = message.account_id == auth.account_of(self.user).id
        if not (mine or self.user.is_moderator):
            raise Problem(403, "Cannot delete this abuse message")
        abuses.delete_message(message)
        self.no_content()


class MyAbusesHandler(AbuseBase):
    """GET /api/v1/users/me/abuses: the reports this user made (PeerTube's UserAbuse)."""

    def get(self) -> None:
        start, count, sort = self.paging(abuses.SORTS, "-createdAt")
        total, rows = abuses.page(
            reporter=auth.account_of(self.user),
            start=start,
            count=count,
            sort=sort,
            filters=self.list_filters(("search",)),
        )
        self.send(abuse_json.page_json(self.shoal, rows, total, admin=False))


ID = r"(?P<{}>\d+)"

ROUTES = [
    (r"/api/v1/abuses", AbusesHandler),
    (rf"/api/v1/abuses/{ID.format('abuse_id')}", AbuseHandler),
    (rf"/api/v1/abuses/{ID.format('abuse_id')}/messages", AbuseMessagesHandler),
    (
        rf"/api/v1/abuses/{ID.format('abuse_id')}/messages/{ID.format('message_id')}",
        AbuseMessageHandler,
    ),
    (r"/api/v1/users/me/abuses", MyAbusesHandler),
]
