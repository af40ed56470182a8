"""Moderation pages: blocking a video from its page, the moderators' page (blocked videos,
auto-block, the server's mutes) and each user's own mutes. Plain forms: they work
without JavaScript."""

from __future__ import annotations

from app import videos
from app.moderation import blocklist, blocks
from handlers.base import PageHandler, Problem
from handlers.videos import visible_video
from models.moderation import Mute


class ModeratorMixin(PageHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished and not self.user.is_moderator:
            raise Problem(403, "Only moderators and administrators may see this page.")


def _watch(video) -> str:
    return f"/w/{videos.short_uuid(video.uuid)}"


class BlockVideoHandler(ModeratorMixin):
    """POST /videos/{ref}/block (reason, unfederate) and /videos/{ref}/unblock."""

    def post(self, ref: str, action: str) -> None:
        video = visible_video(self, ref)
        try:
            if action == "block":
                reason = self.get_body_argument("reason", "")
                unfederate = self.get_body_argument("unfederate", "") == "on"
                blocks.block(self.shoal, video, reason, unfederate=unfederate)
            else:
                blocks.unblock(self.shoal, video)
        except blocks.BlockError as err:
            raise Problem(err.status, str(err)) from None
        self.redirect_see_other(_watch(video) + ("#blocked" if action == "block" else ""))


def _mute_from_form(handler: PageHandler, scope) -> None:
    """The mute forms of both pages: mute an account (name, or name@host), a server
    (host), or undo a mute."""
    action = handler.get_body_argument("action", "")
    try:
        if action == "mute_account":
            handle = handler.get_body_argument("account", "")
            blocklist.mute_account(scope, blocklist.account_by_handle(handler.shoal, handle))
        elif action == "mute_host":
            host = handler.get_body_argument("host", "")
            blocklist.mute_host(scope, blocklist.check_host(handler.shoal, host))
        elif action == "unmute":
            raw = handler.get_body_argument("mute", "")
            row = Mute.get_or_none(Mute.id == int(raw)) if raw.isdigit() else None
            if row is None or row.user_id != (scope.id if scope else None):
                raise blocklist.MuteError("No such mute.", 404)
            if row.account_id:
                blocklist.unmute_account(scope, row.account)
            else:
                blocklist.unmute_host(scope, row.host)
        else:
            raise blocklist.MuteError("Unknown action.")
    except blocklist.MuteError as err:
        raise Problem(err.status, str(err)) from None


class ModerationPageHandler(ModeratorMixin):
    """/admin/moderation: blocked videos, auto-block, and the server's mutes."""

    def get(self) -> None:
        self.render_page(
            "admin_moderation.mako",
            blocked=list(blocks.listing().limit(200)),
            auto_block=blocks.auto_block_enabled(),
            accounts=list(blocklist.accounts(None)),
            hosts=list(blocklist.hosts(None)),
            saved=self.get_query_argument("saved", "") == "1",
        )

    def post(self) -> None:
        if self.get_body_argument("action", "") == "auto_block":
            if not self.user.is_admin:
                raise Problem(403, "Only administrators change this.")
            blocks.set_auto_block(self.get_body_argument("enabled", "") == "on")
        else:
            _mute_from_form(self, None)
        self.redirect_see_other("/admin/moderation?saved=1")


class MyMutesHandler(PageHandler):
    """/my-mutes: the accounts and servers the user muted for themselves."""

    def get(self) -> None:
        self.render_page(
            "my_mutes.mako",
            accounts=list(blocklist.accounts(self.user)),
            hosts=list(blocklist.hosts(self.user)),
            saved=self.get_query_argument("saved", "") == "1",
        )

    def post(self) -> None:
        _mute_from_form(self, self.user)
        self.redirect_see_other("/my-mutes?saved=1")


ROUTES = [
    (r"/videos/(?P<ref>[^/]+)/(?P<action>block|unblock)", BlockVideoHandler),
    (r"/admin/moderation", ModerationPageHandler),
    (r"/my-mutes", MyMutesHandler),
]
