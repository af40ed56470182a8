"""/api/v1/users/me and /api/v1/users (admin creation); sign-up is handlers/api/registrations.py."""

from __future__ import annotations

from dataclasses import replace

from app import auth, p2p, serialize, videos
from app.validation import Field, ValidationError
from handlers.base import APIHandler, Problem, invalid
from models.accounts import Role, User

UPDATE_ME = {"p2pEnabled": Field(bool, "Should have a valid p2p enabled boolean")}


class MeHandler(APIHandler):
    def get(self) -> None:
        user = self.user
        self.send(
            serialize.user_json(self.shoal, user, auth.account_of(user), auth.channels_of(user))
        )

    def put(self) -> None:
        """PeerTube's PUT /api/v1/users/me; of its fields, Shoal keeps `p2pEnabled`."""
        data = self.body_fields(UPDATE_ME)
        if "p2pEnabled" in data:
            p2p.set_user_enabled(self.user, data["p2pEnabled"])
        self.no_content()


class MyQuotaHandler(APIHandler):
    def get(self) -> None:
        used = videos.used_quota(self.user)
        self.send({"videoQuotaUsed": used, "videoQuotaUsedDaily": used})


class MyVideosHandler(APIHandler):
    def get(self) -> None:
        query = videos.listed_query(account=auth.account_of(self.user), viewer=self.user)
        self.send_videos(query, default_sort="-createdAt")


_USERNAME = Field(
    str,
    "Should have a valid username (lowercase alphanumeric characters)",
    required=True,
    min=1,
    max=50,
)
_PASSWORD = Field(
    str, "Should have a valid password (6 to 255 characters)", required=True, min=6, max=255
)
_EMAIL = auth.USER_UPDATE["email"]
_CHANNEL_NAME = Field(str, "Should have a valid channel name", pattern=auth.USERNAME_RE)
_DISPLAY_NAME = "Should have a valid display name (1 to 120 characters)"

# PeerTube's RegisterUser: nothing else of a sign-up is read (no quota, no role).
REGISTER = {
    "username": _USERNAME,
    "password": _PASSWORD,
    "email": _EMAIL,
    "displayName": Field(str, _DISPLAY_NAME, nullable=True, min=1, max=120, strip=True),
    "channel": Field(
        dict,
        "Should have a channel with a name and a display name",
        nullable=True,
        fields={
            "name": replace(_CHANNEL_NAME, required=True),
            "displayName": Field(str, _DISPLAY_NAME, required=True, min=1, max=120, strip=True),
        },
    ),
}

# PeerTube's AddUser, for administrators (the role is a user's when not given).
ADD_USER = {
    "username": _USERNAME,
    "password": _PASSWORD,
    "email": _EMAIL,
    "channelName": _CHANNEL_NAME,
    "videoQuota": auth.USER_UPDATE["videoQuota"],
    "videoQuotaDaily": auth.USER_UPDATE["videoQuotaDaily"],
    "role": auth.USER_UPDATE["role"],
}


def _create(handler: APIHandler, data: dict, role: Role, channel_field: str) -> User:
    """Make the user of checked fields; AuthError (taken, reserved) as PeerTube's 400 or 409."""
    try:
        return auth.create_user(
            handler.shoal,
            data["username"],
            data["password"],
            email=data.get("email"),
            role=role,
            display_name=data.get("displayName"),
            channel_name=data.get("channelName"),
            channel_display_name=data.get("channelDisplayName"),
            video_quota=data.get("videoQuota"),
            video_quota_daily=data.get("videoQuotaDaily", -1),
        )
    except auth.AuthError as err:
        field = {"channelName": channel_field, "display_name": "displayName"}.get(
            err.field or "username", err.field or "username"
        )
        status = 409 if "taken" in str(err) or "already" in str(err) else 400
        raise Problem(status, str(err), invalid_params={field: (None, str(err))}) from None


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
        data = self.body_fields(ADD_USER)
        user = _create(self, data, Role(data.get("role", Role.USER)), "channelName")
        self.send({"user": {"id": user.id, "account": {"id": auth.account_of(user).id}}})


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
        changes = self.body_fields(auth.USER_UPDATE)
        if target.id == self.user.id:
            # as on the admin page: no administrator locks themselves out by mistake
            if changes.get("role", target.role) != target.role:
                raise Problem(400, "You cannot change your own role.")
            if changes.get("blocked"):
                raise Problem(400, "You cannot block yourself.")
        try:
            auth.update_user(target, changes)
        except ValidationError as err:
            raise invalid(err) from None
        except auth.AuthError as err:
            field = err.field or "email"
            raise Problem(409, str(err), invalid_params={field: (None, str(err))}) from None
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
    (r"/api/v1/users", UsersHandler),
    (r"/api/v1/users/(?P<user_id>\d{1,9})", UserHandler),
]
