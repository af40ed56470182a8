"""Administration pages: users (roles, video quotas), federation, peer-to-peer."""

from __future__ import annotations

import re
from dataclasses import replace

from app import auth, p2p, videos
from app.federation import actors, delivery, follows
from handlers.base import PageHandler, Problem
from models.accounts import User
from models.federation import Follow


class AdminMixin(PageHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished and not self.user.is_admin:
            raise Problem(403, "Only administrators may see this page.")


def _row(user: User) -> dict:
    return {"user": user, "used": videos.used_quota(user)}


class UsersPageHandler(AdminMixin):
    def get(self) -> None:
        users = [_row(u) for u in User.select().order_by(User.id)]
        self.render_page("admin_users.mako", rows=users)


class UserRowHandler(AdminMixin):
    """Change one user's quota, role or blocked state (a form, or an HTMX row swap)."""

    def post(self, user_id: str) -> None:
        target = User.get_or_none(User.id == int(user_id))
        if target is None:
            raise Problem(404, "No such user.")
        quota_mb = self.get_body_argument("quota_mb", "").strip()
        changes = {
            "role": self.get_body_argument("role", str(target.role)),
            "blocked": self.get_body_argument("blocked", "") == "on" and target.id != self.user.id,
        }
        error = None
        try:
            changes["videoQuota"] = -1 if quota_mb in ("", "-1") else int(float(quota_mb) * 1024**2)
            if target.id == self.user.id and int(changes["role"]) != target.role:
                raise auth.AuthError("You cannot change your own role.")
            auth.update_user(target, changes)
        except (ValueError, auth.AuthError) as err:
            error = str(err) if isinstance(err, auth.AuthError) else "The quota is a number of MB."
            self.set_status(400)
        if self.is_htmx():
            self.render_fragment("admin_users.mako", "row", row=_row(target), error=error)
        elif error:
            raise Problem(400, error)
        else:
            self.redirect_see_other("/admin/users")


class FederationPageHandler(AdminMixin):
    """Servers followed and following, pending approvals, and servers not receiving."""

    def get(self) -> None:
        self._render(error=None, host="")

    def _render(self, error: str | None, host: str) -> None:
        self.render_page(
            "admin_federation.mako",
            following=follows.server_following(),
            requests=follows.server_follow_requests(),
            followers=follows.server_followers(),
            undelivered=delivery.undelivered_servers(),
            manual=self.shoal.followers_manual_approval,
            error=error,
            host=host,
        )

    def post(self) -> None:
        action = self.get_body_argument("action", "")
        host = self.get_body_argument("host", "").strip().lower()
        if action == "follow":
            error = self._host_error(host)
            if error:
                self.set_status(400)
                self._render(error=error, host=host)
                return
            follows.queue_follow(actors.server_actor(), f"{actors.SERVER_ACTOR}@{host}")
        elif action == "forget":
            if not follows.forget_follow_request(self.int_argument_body("job")):
                raise Problem(404, "No such follow request.")
        elif action == "unfollow":
            follows.unfollow_host(self.shoal, host)
        elif action in ("accept", "reject", "remove"):
            row = Follow.get_or_none(Follow.id == self.int_argument_body("follow"))
            if row is None or row.target_id != actors.server_actor().id:
                raise Problem(404, "No such follower.")
            if action == "remove":
                row.delete_instance()
            else:
                follows.decide(self.shoal, row, accept=action == "accept")
        else:
            raise Problem(400, "Unknown action.")
        self.redirect_see_other("/admin/federation")

    def _host_error(self, host: str) -> str | None:
        """Why `host` cannot be followed, or None."""
        match = re.fullmatch(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)"
                             r"(:(\d{1,5}))?", host)  # fmt: skip
        if not match or (match.group(6) and not 0 < int(match.group(6)) < 65536):
            return "Give the other server's host, such as video.example.org (a port may follow)."
        if host == self.shoal.host:
            return "That is this server."
        if any(f.target.host == host for f in follows.server_following()):
            return f"This server already follows {host}."
        return None

    def int_argument_body(self, name: str) -> int:
        raw = self.get_body_argument(name, "")
        return int(raw) if raw.isdigit() else 0


class P2PPageHandler(AdminMixin):
    """Whether viewers share segments peer to peer, and the STUN/TURN servers they use.

    The TURN password and secret are never sent back: their fields stay empty,
    and an empty field keeps what is stored ("forget_turn" removes them).
    """

    def get(self) -> None:
        current = p2p.get()
        self._render(current, "\n".join(current.ice_servers), error=None)

    def _render(self, current: p2p.P2PSettings, ice_servers: str, error: p2p.P2PError | None):
        saved = self.get_query_argument("saved", "") == "1" and error is None
        self.render_page(
            "admin_p2p.mako",
            enabled=current.enabled,
            ice_servers=ice_servers,
            turn_username=current.turn_username,
            has_password=bool(current.turn_password),
            has_secret=bool(current.turn_secret),
            error=str(error) if error else None,
            error_field=error.field if error else None,
            saved=saved,
        )

    def post(self) -> None:
        enabled = self.get_body_argument("enabled", "") == "on"
        ice_servers = self.get_body_argument("ice_servers", "")
        turn_username = self.get_body_argument("turn_username", "")
        if self.get_body_argument("forget_turn", "") == "on":
            turn = {"turn_username": "", "turn_password": "", "turn_secret": ""}
        else:
            turn = {
                "turn_username": turn_username,
                "turn_password": self.get_body_argument("turn_password", "") or None,
                "turn_secret": self.get_body_argument("turn_secret", "") or None,
            }
        try:
            p2p.update(enabled, ice_servers, **turn)
        except p2p.P2PError as err:
            self.set_status(400)
            current = replace(p2p.get(), enabled=enabled, turn_username=turn_username)
            self._render(current, ice_servers, error=err)
            return
        self.redirect_see_other("/admin/p2p?saved=1")


ROUTES = [
    (r"/admin/users", UsersPageHandler),
    (r"/admin/users/(?P<user_id>\d{1,9})", UserRowHandler),
    (r"/admin/federation", FederationPageHandler),
    (r"/admin/p2p", P2PPageHandler),
]
