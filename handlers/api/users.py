"""/api/v1/users/me and /api/v1/users (registration, admin creation)."""

from __future__ import annotations

from app import auth, p2p, serialize, videos
from handlers.base import APIHandler, Problem, public
from models.accounts import Role, User


class MeHandler(APIHandler):
    def get(self) -> None:
        user = self.user
        self.send(
            serialize.user_json(self.shoal, user, auth.account_of(user), auth.channels_of(user))
        )

    def put(self) -> None:
        """PeerTube's PUT /api/v1/users/me; of its fields, Shoal keeps `p2pEnabled`."""
        data = self.json_body()
        if "p2pEnabled" in data:
            value = data["p2pEnabled"]
            if isinstance(value, str) and value.lower() in ("true", "false"):
                value = value.lower() == "true"  # form-encoded bodies
            if not isinstance(value, bool):
                raise Problem(
                    400,
                    "Incorrect request parameters: p2pEnabled",
                    invalid_params={"p2pEnabled": (data["p2pEnabled"], "Should be a boolean")},
                )
            p2p.set_user_enabled(self.user, value)
        self.no_content()


class MyQuotaHandler(APIHandler):
    def get(self) -> None:
        used = videos.used_quota(self.user)
        self.send({"videoQuotaUsed": used, "videoQuotaUsedDaily": used})


class MyVideosHandler(APIHandler):
    def get(self) -> None:
        query = videos.listed_query(account=auth.account_of(self.user), viewer=self.user)
        self.send_videos(query, default_sort="-createdAt")


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


def admin_user_json(handler: APIHandler, user) -> dict:
    data = serialize.user_json(handler.shoal, user, auth.account_of(user), auth.channels_of(user))
    return data


class UsersHandler(APIHandler):
    """GET /api/v1/users (list) and POST (create): administrators only."""

    def prepare(self) -> None:
        super().prepare()
        if not self.user.is_admin:
            raise Problem(403, "User not allowed to manage users.")

    def get(self) -> None:
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        query = User.select().order_by(User.id)
        rows = list(query.offset(start).limit(count))
        self.send({"total": query.count(), "data": [admin_user_json(self, u) for u in rows]})

    def post(self) -> None:
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


class UserHandler(APIHandler):
    """GET, PUT (quota, role, blocked) and DELETE /api/v1/users/{id}: administrators only."""

    def prepare(self) -> None:
        super().prepare()
        if not self.user.is_admin:
            raise Problem(403, "User not allowed to manage users.")

    def _target(self, user_id: str) -> User:
        target = User.get_or_none(User.id == int(user_id))
        if target is None:
            raise Problem(404, "User not found")
        return target

    def get(self, user_id: str) -> None:
        self.send(admin_user_json(self, self._target(user_id)))

    def put(self, user_id: str) -> None:
        target = self._target(user_id)
        try:
            auth.update_user(target, self.json_body())
        except auth.AuthError as err:
            field = err.field or "body"
            raise Problem(400, str(err), invalid_params={field: (None, str(err))}) from None
        self.no_content()

    def delete(self, user_id: str) -> None:
        target = self._target(user_id)
        if target.id == self.user.id:
            raise Problem(400, "You cannot delete yourself.")
        for video in videos.videos_of(target):
            videos.delete_video(self.shoal, video)
        target.delete_instance(recursive=True)
        self.no_content()


ROUTES = [
    (r"/api/v1/users/me", MeHandler),
    (r"/api/v1/users/me/video-quota-used", MyQuotaHandler),
    (r"/api/v1/users/me/videos", MyVideosHandler),
    (r"/api/v1/users/register", RegisterHandler),
    (r"/api/v1/users", UsersHandler),
    (r"/api/v1/users/(?P<user_id>\d{1,9})", UserHandler),
]
