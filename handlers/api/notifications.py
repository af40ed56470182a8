"""/api/v1/users/me/notifications (+ read, read-all) and notification settings."""

from __future__ import annotations

from app import notifications, serialize
from app.moderation import abuse_json
from app.validation import Field
from handlers.base import APIHandler
from models.abuses import Abuse
from models.notifications import Notification
from models.videos import Video


def notification_json(handler: APIHandler, n: Notification) -> dict:
    data = {
        "id": n.id,
        "type": n.type,
        "read": n.read,
        "createdAt": serialize.iso(n.created_at),
        "updatedAt": serialize.iso(n.updated_at),
    }
    if n.video_id:
        video = Video.get_or_none(Video.id == n.video_id)
        if video is not None:
            data["video"] = serialize.video_info_json(handler.shoal, video)
    if n.type in (notifications.NEW_COMMENT_ON_MY_VIDEO, notifications.COMMENT_MENTION):
        data["comment"] = comment_json(handler, n)
    elif n.abuse_id:
        abuse = Abuse.get_or_none(Abuse.id == n.abuse_id)
        data["abuse"] = abuse_json.notification_abuse(handler.shoal, abuse) if abuse else None
    elif n.registration_id:
        registration = n.registration
        data["registration"] = {"id": registration.id, "username": registration.username}
    elif n.actor_id:
        actor = n.actor
        data["actorFollow"] = {
            "id": n.id,
            "follower": {"name": actor.name, "host": actor.host or handler.shoal.host},
            "state": "accepted",
        }
    return data


def comment_json(handler: APIHandler, n: Notification) -> dict | None:
    """The comment of a comment notification, as PeerTube embeds it."""
    comment = notifications.comment_of(n)
    if comment is None:
        return None
    video = Video.get_by_id(comment.video_id)
    account = comment.account if comment.account_id else None
    return {
        "id": comment.id,
        "threadId": comment.thread_id or comment.id,
        "heldForReview": False,
        "account": {
            "id": account.id,
            "name": account.name,
            "displayName": account.display_name,
            "host": account.host or handler.shoal.host,
            "avatars": [],
        }
        if account is not None
        else None,
        "video": {
            "id": video.id,
            "uuid": str(video.uuid),
            "shortUUID": serialize.short_uuid(video.uuid),
            "name": video.name,
        },
    }


class NotificationsHandler(APIHandler):
    def get(self) -> None:
        total, rows = notifications.page(
            self.user,
            self.int_argument("start", 0),
            self.int_argument("count", 15, 1, 100),
            unread_only=self.get_argument("unread", "") == "true",
        )
        self.send({"total": total, "data": [notification_json(self, n) for n in rows]})


# A page of notifications at most: the ids go into one SQL IN (...).
READ = {
    "ids": Field(
        list,
        "Should have a valid array of ids",
        required=True,
        min=1,
        max=100,
        items=Field(int, min=1),
    )
}
SETTINGS = {
    name: Field(int, f"Should have a valid {name} (0 to 3)", min=0, max=3)
    for name in notifications.SETTINGS
}


class ReadHandler(APIHandler):
    def post(self) -> None:
        notifications.mark_read(self.user, self.body_fields(READ)["ids"])
        self.no_content()


class ReadAllHandler(APIHandler):
    def post(self) -> None:
        notifications.mark_read(self.user)
        self.no_content()


class SettingsHandler(APIHandler):
    def get(self) -> None:
        self.send(notifications.user_settings(self.user))

    def put(self) -> None:
        notifications.update_settings(self.user, self.body_fields(SETTINGS))
        self.no_content()


ROUTES = [
    (r"/api/v1/users/me/notifications", NotificationsHandler),
    (r"/api/v1/users/me/notifications/read", ReadHandler),
    (r"/api/v1/users/me/notifications/read-all", ReadAllHandler),
    (r"/api/v1/users/me/notification-settings", SettingsHandler),
]
