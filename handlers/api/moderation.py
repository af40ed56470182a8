"""PeerTube's moderation API: video blocks (/videos/{id}/blacklist, /videos/blacklist) and
blocklists (/users/me/blocklist, /server/blocklist, /blocklist/status)."""

from __future__ import annotations

from typing import Any

from app import serialize
from app.federation import actors
from app.moderation import blocklist, blocks
from app.serialize import iso
from app.validation import Field
from handlers.api.server import actor_json
from handlers.api.videos import video_or_problem
from handlers.base import APIHandler, Problem, public
from models.accounts import Account, User
from models.moderation import Mute, VideoBlock

BLOCK = {
    "reason": Field(str, "Should have a valid reason", nullable=True, max=blocks.MAX_REASON),
    "unfederate": Field(bool, "Should have a valid unfederate boolean", nullable=True),
}
REASON = {"reason": Field(str, "Should have a valid reason", nullable=True, max=blocks.MAX_REASON)}
ACCOUNT = {"accountName": Field(str, "Should have an account name with host", required=True)}
HOST = {"host": Field(str, "Should have a valid host", required=True, max=255)}


def _moderator(handler: APIHandler) -> User:
    if not handler.user.is_moderator:
        raise Problem(403, "Only moderators and administrators may do this.")
    return handler.user


def _block_json(handler: APIHandler, row: VideoBlock) -> dict[str, Any]:
    return {
        "id": row.id,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
        "reason": row.reason or None,
        "unfederated": row.unfederated,
        "type": row.kind,
        "video": serialize.video_json(handler.shoal, row.video),
    }


class VideoBlockHandler(APIHandler):
    """POST, PUT, DELETE /api/v1/videos/{id}/blacklist (moderators)."""

    def post(self, ref: str) -> None:
        _moderator(self)
        video = video_or_problem(self, ref)
        fields = self.body_fields(BLOCK)
        try:
            blocks.block(self.shoal, video, fields.get("reason"),
                         unfederate=bool(fields.get("unfederate")))  # fmt: skip
        except blocks.BlockError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()

    def put(self, ref: str) -> None:
        _moderator(self)
        video = video_or_problem(self, ref)
        try:
            blocks.update_reason(video, self.body_fields(REASON).get("reason"))
        except blocks.BlockError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()

    def delete(self, ref: str) -> None:
        _moderator(self)
        video = video_or_problem(self, ref)
        try:
            blocks.unblock(self.shoal, video)
        except blocks.BlockError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()


class VideoBlocksHandler(APIHandler):
    """GET /api/v1/videos/blacklist?type=1|2&search=: the blocked videos (moderators)."""

    def get(self) -> None:
        _moderator(self)
        start, count, sort = self.paging({"-createdAt", "createdAt", "-id", "id"}, "-id")
        kind = self.get_argument("type", "")
        query = blocks.listing(
            int(kind) if kind.isdigit() else None, self.get_argument("search", "")
        )
        if sort in ("createdAt", "id"):
            query = query.order_by(VideoBlock.id.asc())
        rows = list(query.offset(start).limit(count))
        self.send({"total": query.count(), "data": [_block_json(self, r) for r in rows]})


def _by(handler: APIHandler, mute: Mute) -> dict[str, Any]:
    if mute.user_id is None:  # the server itself, as PeerTube's application account
        return actor_json(handler, actors.server_actor())
    return serialize.account_json(handler.shoal, Account.get(Account.user == mute.user_id))


class _Blocklist(APIHandler):
    """Shared by /users/me/blocklist (scope: the user) and /server/blocklist (the server)."""

    server = False

    def scope(self) -> User | None:
        """Whose mutes: the user's own, or the server's (for moderators)."""
        if self.server:
            _moderator(self)
            return None
        return self.user


class AccountMutesHandler(_Blocklist):
    def get(self) -> None:
        user = self.scope()
        start, count, _ = self.paging({"createdAt", "-createdAt"}, "-createdAt")
        query = blocklist.accounts(user)
        rows = list(query.offset(start).limit(count))
        data = [{"byAccount": _by(self, m),
                 "blockedAccount": serialize.account_json(self.shoal, m.account),
                 "createdAt": iso(m.created_at)} for m in rows]  # fmt: skip
        self.send({"total": query.count(), "data": data})

    def post(self) -> None:
        user = self.scope()
        try:
            account = blocklist.account_by_handle(
                self.shoal, self.body_fields(ACCOUNT)["accountName"]
            )
            blocklist.mute_account(user, account)
        except blocklist.MuteError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()


class AccountMuteHandler(_Blocklist):
    def delete(self, handle: str) -> None:
        user = self.scope()
        try:
            blocklist.unmute_account(user, blocklist.account_by_handle(self.shoal, handle))
        except blocklist.MuteError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()


class ServerMutesHandler(_Blocklist):
    def get(self) -> None:
        user = self.scope()
        start, count, _ = self.paging({"createdAt", "-createdAt"}, "-createdAt")
        query = blocklist.hosts(user)
        rows = list(query.offset(start).limit(count))
        data = [{"byAccount": _by(self, m), "blockedServer": {"host": m.host},
                 "createdAt": iso(m.created_at)} for m in rows]  # fmt: skip
        self.send({"total": query.count(), "data": data})

    def post(self) -> None:
        user = self.scope()
        try:
            host = blocklist.check_host(self.shoal, self.body_fields(HOST)["host"])
            blocklist.mute_host(user, host)
        except blocklist.MuteError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()


class ServerMuteHandler(_Blocklist):
    def delete(self, host: str) -> None:
        user = self.scope()
        try:
            blocklist.unmute_host(user, host)
        except blocklist.MuteError as err:
            raise Problem(err.status, str(err)) from None
        self.no_content()


class ServerAccountMutesHandler(AccountMutesHandler):
    server = True


class ServerAccountMuteHandler(AccountMuteHandler):
    server = True


class ServerServerMutesHandler(ServerMutesHandler):
    server = True


class ServerServerMuteHandler(ServerMuteHandler):
    server = True


class BlocklistStatusHandler(APIHandler):
    """GET /api/v1/blocklist/status?accounts=name@host&hosts=host (anyone; the user's own
    mutes when signed in)."""

    @public
    def get(self) -> None:
        names = self.get_arguments("accounts") + self.get_arguments("accounts[]")
        hosts = self.get_arguments("hosts") + self.get_arguments("hosts[]")
        found = []
        for name in names[:100]:
            try:
                found.append((name, blocklist.account_by_handle(self.shoal, name)))
            except blocklist.MuteError:
                continue  # PeerTube leaves unknown accounts out
        result = blocklist.status(self.user, found, [h.lower() for h in hosts[:100]])
        self.send(result)


_HANDLE = r"(?P<handle>[\w.@:-]{1,300})"
_HOSTNAME = r"(?P<host>[A-Za-z0-9.:-]{1,260})"
ROUTES = [
    (r"/api/v1/videos/blacklist", VideoBlocksHandler),
    (r"/api/v1/videos/(?P<ref>[^/]+)/blacklist", VideoBlockHandler),
    (r"/api/v1/users/me/blocklist/accounts", AccountMutesHandler),
    (rf"/api/v1/users/me/blocklist/accounts/{_HANDLE}", AccountMuteHandler),
    (r"/api/v1/users/me/blocklist/servers", ServerMutesHandler),
    (rf"/api/v1/users/me/blocklist/servers/{_HOSTNAME}", ServerMuteHandler),
    (r"/api/v1/server/blocklist/accounts", ServerAccountMutesHandler),
    (rf"/api/v1/server/blocklist/accounts/{_HANDLE}", ServerAccountMuteHandler),
    (r"/api/v1/server/blocklist/servers", ServerServerMutesHandler),
    (rf"/api/v1/server/blocklist/servers/{_HOSTNAME}", ServerServerMuteHandler),
    (r"/api/v1/blocklist/status", BlocklistStatusHandler),
]
