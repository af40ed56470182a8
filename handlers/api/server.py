"""/api/v1/server/following and /followers: which servers this one follows, and who follows it."""

from __future__ import annotations

import re

from app.federation import actors, follows, redundancy
from app.serialize import iso
from app.validation import Field
from handlers.base import APIHandler, Problem, public
from models.federation import Actor, Follow

_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$")
_HANDLE = re.compile(r"^@?[\w.:-]{1,100}@[A-Za-z0-9.-]{1,253}(:\d{1,5})?$")
MAX_FOLLOWS = 100  # per request: each is a job, and an admin's list is short

# PeerTube's POST /api/v1/server/following: lists of hosts and of name@host handles.
FOLLOW = {
    "hosts": Field(
        list,
        "Should have an array of unique hosts",
        nullable=True,
        max=MAX_FOLLOWS,
        items=Field(str, pattern=_HOST),
    ),
    "handles": Field(
        list,
        "Should have an array of handles (name@host)",
        nullable=True,
        max=MAX_FOLLOWS,
        items=Field(str, pattern=_HANDLE),
    ),
}


def actor_json(handler: APIHandler, actor: Actor, mirrored: tuple[str, ...] = ()) -> dict:
    return {
        "url": actors.actor_url(handler.shoal, actor),
        "name": actor.name,
        "host": actor.host or handler.shoal.host,
        "avatars": [],
        "id": actor.id,
        "hostRedundancyAllowed": bool(actor.host) and actor.host in mirrored,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso(actor.created_at),
        "banners": [],
    }


def _follow_json(handler: APIHandler, row: Follow, mirrored: tuple[str, ...] = ()) -> dict:
    return {
        "id": row.id,
        "follower": actor_json(handler, row.follower, mirrored),
        "following": actor_json(handler, row.target, mirrored),
        "score": 40,
        "state": row.state,
        "createdAt": iso(row.created_at),
        "updatedAt": iso(row.updated_at),
    }


class AdminOnly(APIHandler):
    def require_admin(self) -> None:
        if not self.user.is_admin:
            raise Problem(403, "Only administrators manage the server's follows.")


class FollowingHandler(AdminOnly):
    @public
    def get(self) -> None:
        rows = follows.server_following()
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        page = rows[start : start + count]
        mirrored = redundancy.get().hosts
        self.send({"total": len(rows), "data": [_follow_json(self, r, mirrored) for r in page]})

    def post(self) -> None:
        """Follow servers by host; each follow is asked in a job (WebFinger, fetch, Follow)."""
        self.require_admin()
        data = self.body_fields(FOLLOW)
        hosts, handles = data.get("hosts") or [], data.get("handles") or []
        if not (hosts or handles):
            raise Problem(
                400,
                "Incorrect request parameters: hosts",
                invalid_params={"hosts": (hosts, FOLLOW["hosts"].message)},
            )
        if self.shoal.host in hosts:
            raise Problem(400, "A server cannot follow itself.")
        me = actors.server_actor()
        for host in dict.fromkeys(hosts):
            follows.queue_follow(me, f"{actors.SERVER_ACTOR}@{host}")
        for handle in dict.fromkeys(h.removeprefix("@") for h in handles):
            follows.queue_follow(me, handle)
        self.no_content()


class FollowingHostHandler(AdminOnly):
    def delete(self, host: str) -> None:
        self.require_admin()
        if not follows.unfollow_host(self.shoal, host):
            raise Problem(404, "This server is not followed.")
        self.no_content()


class FollowersHandler(AdminOnly):
    @public
    def get(self) -> None:
        rows = follows.server_followers()
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        page = rows[start : start + count]
        mirrored = redundancy.get().hosts
        self.send({"total": len(rows), "data": [_follow_json(self, r, mirrored) for r in page]})


def _follower(handler: AdminOnly, handle: str) -> Follow:
    """The follow of this server by `handle` (name@host); 403 for non-admins, 404 if none."""
    handler.require_admin()
    name, _, host = handle.partition("@")
    me = actors.server_actor()
    row = (
        Follow.select(Follow, Actor)
        .join(Actor, on=Follow.follower == Actor.id)
        .where((Follow.target == me) & (Actor.name == name) & (Actor.host == host))
        .first()
    )
    if row is None:
        raise Problem(404, "Follower not found")
    return row


class FollowerHandler(AdminOnly):
    """DELETE /api/v1/server/followers/{handle}: remove a follower of this server."""

    def delete(self, handle: str) -> None:
        _follower(self, handle).delete_instance()
        self.no_content()


class FollowerDecisionHandler(AdminOnly):
    """POST /api/v1/server/followers/{handle}/accept|reject: a pending follower (manual
    approval)."""

    def post(self, handle: str, decision: str) -> None:
        follows.decide(self.shoal, _follower(self, handle), accept=decision == "accept")
        self.no_content()


ROUTES = [
    (r"/api/v1/server/following", FollowingHandler),
    (r"/api/v1/server/following/(?P<host>[A-Za-z0-9.:-]+)", FollowingHostHandler),
    (r"/api/v1/server/followers", FollowersHandler),
    (
        r"/api/v1/server/followers/(?P<handle>[^/]+)/(?P<decision>accept|reject)",
        FollowerDecisionHandler,
    ),
    (r"/api/v1/server/followers/(?P<handle>[^/]+)", FollowerHandler),
]
