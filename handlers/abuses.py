"""Report pages: the report form (video, comment, account), the reporter's "My reports",
and the moderators' reports page with decisions, notes, the thread and actions.

Every form works as a plain POST answered with 303, and swaps a fragment under HTMX.
"""

from __future__ import annotations

from typing import Any

from app import auth, videos
from app.moderation import abuses, blocklist, blocks
from app.social import comments
from handlers.api.abuses import target_of
from handlers.base import PageHandler, Problem
from models.abuses import Abuse, AbuseState
from models.accounts import Account
from models.social import Comment
from models.videos import Video

REASON_LABELS = {
    "violentOrRepulsive": "Violent or repulsive",
    "hatefulOrAbusive": "Hateful or abusive",
    "spamOrMisleading": "Spam or misleading",
    "privacy": "Privacy",
    "rights": "Copyright",
    "serverRules": "Server rules",
    "thumbnails": "Thumbnails",
    "captions": "Captions",
}


def describe(abuse: Abuse) -> dict[str, Any]:
    """What a report is about, for the pages: a label and a link."""
    if abuse.kind == "video":
        video = Video.get_or_none(Video.id == abuse.video_id) if abuse.video_id else None
        if video is None:
            return {"label": "A video that is gone now", "link": None}
        return {"label": f"Video “{video.name}”", "link": f"/w/{videos.short_uuid(video.uuid)}"}
    if abuse.kind == "comment":
        comment = Comment.get_or_none(Comment.id == abuse.comment_id) if abuse.comment_id else None
        if comment is None:
            return {"label": "A comment that is gone now", "link": None}
        video = Video.get_by_id(comment.video_id)
        link = f"/w/{videos.short_uuid(video.uuid)}?thread={comment.thread_id or comment.id}"
        return {"label": f"Comment on “{video.name}”", "link": f"{link}#comment-{comment.id}",
                "text": comment.text, "deleted": comment.is_deleted}  # fmt: skip
    account = Account.get_or_none(Account.id == abuse.flagged_account_id)
    if account is None:
        return {"label": "An account that is gone now", "link": None}
    handle = account.name if account.is_local else f"{account.name}@{account.host}"
    return {"label": f"Account {account.display_name} (@{handle})", "link": f"/a/{handle}"}


class ReportHandler(PageHandler):
    """GET the form, POST the report: /report?video=<uuid> | comment=<id> | account=<id>."""

    def _target(self) -> tuple[dict[str, Any], dict[str, str]]:
        for kind in ("video", "comment", "account"):
            value = self.get_argument(kind, "")
            if value:
                return target_of(self.user, {kind: {"id": value}}), {"kind": kind, "id": value}
        raise Problem(400, "Say what you report: a video, a comment or an account.")

    def get(self) -> None:
        target, ref = self._target()
        self._form(target, ref, {}, {})

    def _form(self, target: dict, ref: dict, values: dict, errors: dict) -> None:
        context = dict(target=target, ref=ref, values=values, errors=errors, labels=REASON_LABELS)
        if self.is_htmx():
            self.render_fragment("_report.mako", "form", **context)
        else:
            self.render_page("report.mako", **context)

    def post(self) -> None:
        target, ref = self._target()
        values = {
            "reason": self.get_body_argument("reason", ""),
            "predefinedReasons": self.get_body_arguments("predefinedReasons"),
            "startAt": self.get_body_argument("startAt", "").strip(),
            "endAt": self.get_body_argument("endAt", "").strip(),
        }
        try:
            abuses.report(
                auth.account_of(self.user),
                reason=values["reason"],
                predefined=values["predefinedReasons"],
                start_at=values["startAt"] or None,
                end_at=values["endAt"] or None,
                **{k: v for k, v in target.items() if k in ("video", "comment", "account")},
            )
        except abuses.AbuseError as err:
            self.set_status(err.status)
            errors = {name.split(".")[-1]: msg for name, (_, msg) in err.errors.items()}
            self._form(target, ref, values, errors or {"reason": str(err)})
            return
        if self.is_htmx():
            self.render_fragment("_report.mako", "done")
        else:
            self.redirect_see_other("/my-abuses")


class MyAbusesHandler(PageHandler):
    """The reports this user made, their state and their threads."""

    def get(self) -> None:
        _, rows = abuses.page(reporter=auth.account_of(self.user), count=100)
        self.render_page(
            "my_abuses.mako",
            rows=[(a, describe(a), abuses.messages(a)) for a in rows],
            labels=REASON_LABELS,
        )


class MyAbuseMessageHandler(PageHandler):
    """POST /my-abuses/{id}/messages: the reporter answers the moderators."""

    def post(self, abuse_id: str) -> None:
        abuse = abuses.find(abuse_id)
        if abuse is None or abuse.reporter_id != auth.account_of(self.user).id:
            raise Problem(404, "This report does not exist, or it is not yours.")
        _post_message(self, abuse, f"/my-abuses#abuse-{abuse.id}")


def _post_message(handler: PageHandler, abuse: Abuse, back: str) -> None:
    try:
        abuses.add_message(abuse, handler.user, handler.get_body_argument("message", ""))
    except abuses.AbuseError as err:
        raise Problem(400, str(err), invalid_params=err.errors) from None
    handler.redirect_see_other(back)


class ModeratorPage(PageHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished and not self.user.is_moderator:
            raise Problem(403, "Only moderators and administrators may see reports.")

    def abuse(self, abuse_id: str) -> Abuse:
        abuse = abuses.find(abuse_id)
        if abuse is None:
            raise Problem(404, "This report does not exist (any more).")
        return abuse

    def card(self, abuse: Abuse) -> dict[str, Any]:
        video = Video.get_or_none(Video.id == abuse.video_id) if abuse.video_id else None
        flagged = Account.get_or_none(Account.id == abuse.flagged_account_id)
        return {
            "abuse": abuse,
            "about": describe(abuse),
            "reporter": Account.get_or_none(Account.id == abuse.reporter_id),
            "messages": abuses.messages(abuse) if abuses.is_local_report(abuse) else None,
            "video_blocked": video is not None and blocks.block_of(video) is not None,
            "can_block": video is not None,
            "can_mute": flagged is not None and flagged.user_id != self.user.id,
            "muted": flagged is not None and blocklist.is_muted(flagged),
        }


class AdminAbusesHandler(ModeratorPage):
    """GET /admin/abuses?state=1|2|3: the reports, newest first."""

    def get(self) -> None:
        state = self.get_argument("state", "")
        filters = {"state": state} if state in {str(int(s)) for s in AbuseState} else {}
        total, rows = abuses.page(count=100, filters=filters)
        self.render_page(
            "admin_abuses.mako",
            cards=[self.card(a) for a in rows],
            total=total,
            state=filters.get("state", ""),
            labels=REASON_LABELS,
            single=False,
        )


class AdminAbuseHandler(ModeratorPage):
    """GET one report (its thread too); POST a decision and a note."""

    def get(self, abuse_id: str) -> None:
        self.render_page(
            "admin_abuses.mako",
            cards=[self.card(self.abuse(abuse_id))],
            total=1,
            state="",
            labels=REASON_LABELS,
            single=True,
        )

    def post(self, abuse_id: str) -> None:
        abuse = self.abuse(abuse_id)
        note = self.get_body_argument("moderationComment", "").strip()
        try:
            abuse = abuses.update(
                abuse,
                state=self.get_body_argument("state", None) or None,
                moderation_comment=note or None,
            )
        except abuses.AbuseError as err:
            raise Problem(400, str(err), invalid_params=err.errors) from None
        if self.is_htmx():
            self.render_fragment(
                "admin_abuses.mako", "card", c=self.card(abuse), labels=REASON_LABELS
            )
        else:
            self.redirect_see_other(f"/admin/abuses/{abuse.id}")


class AdminAbuseMessageHandler(ModeratorPage):
    def post(self, abuse_id: str) -> None:
        abuse = self.abuse(abuse_id)
        _post_message(self, abuse, f"/admin/abuses/{abuse.id}")


class AdminAbuseActionHandler(ModeratorPage):
    """POST /admin/abuses/{id}/{action}: delete the comment, block the video, mute the
    account for the whole server; the report is marked accepted."""

    def post(self, abuse_id: str, action: str) -> None:
        abuse = self.abuse(abuse_id)
        try:
            if action == "delete-comment":
                comment = Comment.get_or_none(Comment.id == abuse.comment_id)
                if comment is None:
                    raise Problem(404, "The comment is gone already.")
                comments.delete(comment)
            elif action == "block-video":
                video = Video.get_or_none(Video.id == abuse.video_id)
                if video is None:
                    raise Problem(404, "The video is gone already.")
                blocks.block(self.shoal, video, f"Reported (report #{abuse.id})")
            elif action == "mute-account":
                account = Account.get_or_none(Account.id == abuse.flagged_account_id)
                if account is None:
                    raise Problem(404, "The account is gone.")
                blocklist.mute_account(None, account)
            else:
                raise Problem(404, "No such action.")
        except (blocks.BlockError, blocklist.MuteError) as err:
            raise Problem(getattr(err, "status", 409), str(err)) from None
        if abuse.state == AbuseState.PENDING:
            abuses.update(abuse, state=AbuseState.ACCEPTED)
        self.redirect_see_other(f"/admin/abuses/{abuse.id}")


ROUTES = [
    (r"/report", ReportHandler),
    (r"/my-abuses", MyAbusesHandler),
    (r"/my-abuses/(?P<abuse_id>\d+)/messages", MyAbuseMessageHandler),
    (r"/admin/abuses", AdminAbusesHandler),
    (r"/admin/abuses/(?P<abuse_id>\d+)", AdminAbuseHandler),
    (r"/admin/abuses/(?P<abuse_id>\d+)/messages", AdminAbuseMessageHandler),
    (
        r"/admin/abuses/(?P<abuse_id>\d+)/(?P<action>delete-comment|block-video|mute-account)",
        AdminAbuseActionHandler,
    ),
]
