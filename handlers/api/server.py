"""/api/v1/server/following and /followers: which servers this one follows, and who follows it."""

from __future__ import annotations

import re

from app.federation import actors, follows
from app.serialize import iso
from handlers.base import APIHandler, Problem, public
from models.federation import Actor, Follow

_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")


def _actor_json(handler: APIHandler, actor: Actor) -> dict:
    return {
        "url": actors.actor_url(handler.shoal, actor),
        "name": actor.name,
        "host": actor.host or handler.shoal.host,
        "avatars": [],
        "id": actor.id,
        "hostRedundancyAllowed": False,
        "followingCount": 0,
        "followersCount": 0,
        "createdAt": iso(actor.created_at),
        "banners": [],
    }


def _follow_json(handler: APIHandler, row: Follow) -> dict:
    return {
        "id": row.id,
        "follower": _actor_json(handler, row.follower),
        "following": _actor_json(handler, row.target),
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
        self.send({"total": len(rows), "data": [_follow_json(self, r) for r in page]})

    def post(self) -> None:
        """Follow servers by host; each follow is asked in a job (WebFinger, fetch, Follow)."""
        self.require_admin()
        data = self.json_body()
        hosts = data.get("hosts") or []
        handles = data.get("handles") or []
        if isinstance(hosts, str):
            hosts = [hosts]
        bad = [h for h in hosts if not isinstance(h, str) or not _HOST.match(h)]
        if bad or not (hosts or handles):
            raise Problem(
                400,
                "Incorrect request parameters: hosts",
                invalid_params={"hosts": (hosts, "Should have an array of unique hosts")},
            )
        if self.shoal.host in hosts:
            raise Problem(400, "A server cannot follow itself.")
        me = actors.server_actor()
        for host in dict.fromkeys(hosts):
            follows.queue_follow(me, f"{actors.SERVER_ACTOR}@{host}")
        for handle in handles:
            follows.queue_follow(me, str(handle))
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
        self.send({"total": len(rows), "data": [_follow_json(self, r) for r in page]})


class FollowerDecisionHandler(AdminOnly):
    """Accept or reject a pending follower (manual approval), or remove one."""

    def _row(self, handle: str) -> Follow:
        self.require_admin()
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

    def post(self, handle: str, decision: str) -> None:
        follows.decide(self.shoal, self._row(handle), accept=decision == "accept")
        self.no_content()

    def delete(self, handle: str, decision: str | None = None) -> None:
        self._row(handle).delete_instance()
        self.no_content()


ROUTES = [
    (r"/api/v1/server/following", FollowingHandler),
    (r"/api/v1/server/following/(?P<host>[A-Za-z0-9.:-]+)", FollowingHostHandler),
    (r"/api/v1/server/followers", FollowersHandler),
    (
        r"/api/v1/server/followers/(?P<handle>[^/]+)/(?P<decision>accept|reject)",
        FollowerDecisionHandler,
    ),
    (r"/api/v1/server/followers/(?P<handle>[^/]+)", FollowerDecisionHandler),
]
