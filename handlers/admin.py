"""Administration pages: users (roles, video quotas), federation, peer-to-peer, mirrors."""

from __future__ import annotations

import re
from dataclasses import replace

from app import auth, p2p, videos
from app.federation import actors, delivery, follow_policy, follows, mirroring, redundancy
from handlers.base import PageHandler, Problem
from models.accounts import User
from models.federation import Follow
from models.redundancy import Mirror
from models.videos import Video


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
            "adminFlags": 1 if self.get_body_argument("trusted", "") == "on" else 0,
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
            policy=follow_policy.get(self.shoal),
            policies=follow_policy.POLICIES,
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
        elif action == "policy":
            try:
                follow_policy.update(self.get_body_argument("policy", ""))
            except follow_policy.FollowPolicyError as err:
                self.set_status(400)
                self._render(error=str(err), host="")
                return
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


def _gb(raw: str, what: str, field: str) -> int:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        raise redundancy.RedundancyError(f"{what} is a number of GB.", field) from None
    if not 0 <= value < 1024**2:
        raise redundancy.RedundancyError(f"{what} is a number of GB.", field)
    return int(value * 1024**3)


def _whole(raw: str, what: str, field: str) -> int:
    if not raw.strip().isdigit():
        raise redundancy.RedundancyError(f"{what} is a whole number.", field)
    return int(raw.strip())


class RedundancyPageHandler(AdminMixin):
    """Mirrors: which followed servers may be mirrored, the strategies and their budgets,
    mirroring one video by hand, this server's copies and other servers' copies."""

    def get(self) -> None:
        self._render(redundancy.get(), error=None)

    def _render(self, policy: redundancy.Policy, error: redundancy.RedundancyError | None):
        copies = mirroring.copies()
        received = mirroring.of_remote_servers()
        ids = {m.video_id for m in copies + received}
        titles = {v.id: v for v in Video.select().where(Video.id.in_(list(ids)))}
        self.render_page(
            "admin_redundancy.mako",
            policy=policy,
            names=redundancy.STRATEGIES,
            usage=redundancy.usage(redundancy.get()),
            free=redundancy.free_space(self.shoal),
            hosts=redundancy.followed_hosts(),
            copies=copies,
            received=received,
            videos=titles,
            last_run=redundancy.last_run(),
            error=str(error) if error else None,
            error_field=error.field if error else None,
            saved=self.get_query_argument("saved", "") == "1" and error is None,
        )

    def post(self) -> None:
        action = self.get_body_argument("action", "")
        policy = redundancy.get()
        try:
            if action == "strategies":
                policy = self._policy_from_form(policy)
                redundancy.save(policy)
            elif action in ("allow", "forbid"):
                host = self.get_body_argument("host", "")
                if host not in redundancy.followed_hosts():
                    raise Problem(404, "This server does not follow that server.")
                redundancy.allow_host(self.shoal, host, action == "allow")
            elif action == "mirror":
                self._mirror(self.get_body_argument("video", "").strip())
            elif action == "remove":
                raw = self.get_body_argument("mirror", "")
                mirror = Mirror.get_or_none(Mirror.id == int(raw)) if raw.isdigit() else None
                if mirror is None or mirror.actor_id != actors.server_actor().id:
                    raise Problem(404, "No such copy.")
                mirroring.remove(self.shoal, mirror)
            else:
                raise Problem(400, "Unknown action.")
        except redundancy.RedundancyError as err:
            self.set_status(400)
            self._render(policy, error=err)
            return
        self.redirect_see_other("/admin/redundancy?saved=1")

    def _policy_from_form(self, current: redundancy.Policy) -> redundancy.Policy:
        arg = self.get_body_argument
        strategies = []
        for name in redundancy.STRATEGIES:
            if arg(f"{name}.enabled", "") != "on":
                continue
            size = _gb(arg(f"{name}.size", ""), "The budget", name)
            hours = _whole(arg(f"{name}.lifetime", ""), "The minimum lifetime (hours)", name)
            views = _whole(arg(f"{name}.views", "0") or "0", "The minimum of views", name)
            strategies.append(redundancy.Strategy(name, size, hours * 3600, views))
        floor = _gb(arg("free_floor", ""), "The free-space floor", "free_floor")
        return redundancy.check(replace(current, strategies=tuple(strategies), free_floor=floor))

    def _mirror(self, ref: str) -> None:
        """A remote video named by its URL on its server, its URL here, its id or UUID."""
        tail = ref.rstrip("/").rsplit("/", 1)[-1]
        video = Video.get_or_none(Video.ap_id == ref) or videos.find_video(tail)
        if video is None:
            raise redundancy.RedundancyError("No video known here has that address.", "video")
        try:
            mirroring.request(self.shoal, video)
        except mirroring.MirrorError as err:
            raise redundancy.RedundancyError(str(err), "video") from None


ROUTES = [
    (r"/admin/users", UsersPageHandler),
    (r"/admin/users/(?P<user_id>\d{1,9})", UserRowHandler),
    (r"/admin/federation", FederationPageHandler),
    (r"/admin/p2p", P2PPageHandler),
    (r"/admin/redundancy", RedundancyPageHandler),
]
