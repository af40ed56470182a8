"""/api/v1/users/me and /api/v1/users (registration, admin creation)."""

from __future__ import annotations

from app import auth, serialize, videos
from handlers.base import APIHandler, Problem, public
from models.accounts import Role


class MeHandler(APIHandler):
    def get(self) -> None:
        user = self.user
        self.send(
            serialize.user_json(self.shoal, user, auth.account_of(user), auth.channels_of(user))
        )


class MyQuotaHandler(APIHandler):
    def get(self) -> None:
        used = videos.used_quota(self.user)
        self.send({"videoQuotaUsed": used, "videoQuotaUsedDaily": used})


class MyVideosHandler(APIHandler):
    def get(self) -> None:
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        query = videos.listed_query(account=auth.account_of(self.user), viewer=self.user)
        total, rows = videos.page(query, self.get_argument("sort", "-createdAt"), start, count)
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})


def _create(handler: APIHandler, data: dict, role: Role) -> None:
    try:
        user = auth.create_user(
            handler.shoal,
            str(data.get("username", "")),
            str(data.get("password", "")),
            email=data.get("email"),
            role=role,
            display_name=data.get("displayName"),
            channel_name=data.get("channelName"),
        )
    except auth.AuthError as err:
        field = err.field or "username"
        status = 409 if "taken" in str(err) or "already" in str(err) else 400
        raise Problem(
            status, str(err), invalid_params={field: (data.get(field), str(err))}
        ) from None
    if "videoQuota" in data:
        user.video_quota = int(data["videoQuota"])
        user.save()
    handler.send({"user": {"id": user.id, "account": {"id": auth.account_of(user).id}}})


class RegisterHandler(APIHandler):
    """POST /api/v1/users/register: open sign-up, when the admin allows it."""

    def check_xsrf_cookie(self) -> None:
        pass  # anonymous JSON call: no session to ride on

    @public
    def post(self) -> None:
        if not self.shoal.registration_open:
            raise Problem(403, "User registration is not enabled.")
        _create(self, self.json_body(), Role.USER)
        self.set_status(204)


class UsersHandler(APIHandler):
    """POST /api/v1/users: an admin creates a user."""

    def post(self) -> None:
        if not self.user.is_admin:
            raise Problem(403, "User not allowed to create users.")
        data = self.json_body()
        try:
            role = Role(int(data.get("role", Role.USER)))
        except ValueError:
            raise Problem(
                400,
                "Incorrect request parameters: role",
                invalid_params={"role": (data.get("role"), "Invalid value")},
            ) from None
        _create(self, data, role)


ROUTES = [
    (r"/api/v1/users/me", MeHandler),
    (r"/api/v1/users/me/video-quota-used", MyQuotaHandler),
    (r"/api/v1/users/me/videos", MyVideosHandler),
    (r"/api/v1/users/register", RegisterHandler),
    (r"/api/v1/users", UsersHandler),
]
