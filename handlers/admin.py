"""Administration pages: users, their roles and video quotas."""

from __future__ import annotations

from app import auth, videos
from handlers.base import PageHandler, Problem
from models.accounts import User


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


ROUTES = [
    (r"/admin/users", UsersPageHandler),
    (r"/admin/users/(?P<user_id>\d{1,9})", UserRowHandler),
]
