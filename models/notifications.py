"""Notifications inside Shoal: new videos from subscriptions, new followers, processing done."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow
from models.abuses import Abuse
from models.accounts import User
from models.federation import Actor
from models.registrations import UserRegistration
from models.social import Comment
from models.videos import Video


class NotificationType(enum.IntEnum):
    """PeerTube's numbers; transcoding failure is Shoal's own (PeerTube clients skip it)."""

    NEW_VIDEO_FROM_SUBSCRIPTION = 1
    NEW_COMMENT_ON_MY_VIDEO = 2  # also a reply to my comment, as PeerTube tells it
    BLACKLIST_ON_MY_VIDEO = 4
    UNBLACKLIST_ON_MY_VIDEO = 5
    MY_VIDEO_PUBLISHED = 6
    NEW_FOLLOW = 10
    COMMENT_MENTION = 11
    VIDEO_AUTO_BLACKLIST_FOR_MODERATORS = 12
    NEW_ABUSE_FOR_MODERATORS = 3
    ABUSE_STATE_CHANGE = 15
    ABUSE_NEW_MESSAGE = 16
    NEW_USER_REGISTRATION_REQUEST = 20
    MY_VIDEO_TRANSCODING_FAILED = 101


class Notification(BaseModel):
    """One notification for one user."""

    user = peewee.ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    type = peewee.SmallIntegerField()
    read = peewee.BooleanField(default=False)
    video = peewee.ForeignKeyField(Video, null=True, on_delete="CASCADE")
    actor = peewee.ForeignKeyField(Actor, null=True, on_delete="CASCADE")
    comment = peewee.ForeignKeyField(Comment, null=True, on_delete="CASCADE")
    abuse = peewee.ForeignKeyField(Abuse, null=True, on_delete="CASCADE")
    registration = peewee.ForeignKeyField(UserRegistration, null=True, on_delete="CASCADE")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "read", "id"), False),)
