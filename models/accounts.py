"""Users (people who sign in here), accounts and channels (local or remote), OAuth."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow
from models.federation import Actor


class Role(enum.IntEnum):
    """PeerTube's role numbers."""

    ADMIN = 0
    MODERATOR = 1
    USER = 2

    @property
    def label(self) -> str:
        return {0: "Administrator", 1: "Moderator", 2: "User"}[self.value]


class User(BaseModel):
    """Someone who signs in on this server. Owns exactly one Account."""

    username = peewee.CharField(max_length=50, unique=True)
    email = peewee.CharField(max_length=254, null=True, unique=True)
    password_hash = peewee.CharField(max_length=255)
    role = peewee.SmallIntegerField(default=Role.USER)
    video_quota = peewee.BigIntegerField(default=-1)
    video_quota_daily = peewee.BigIntegerField(default=-1)
    blocked = peewee.BooleanField(default=False)
    # PeerTube's adminFlags: 1 = trusted, new videos skip the auto-block (see app/moderation)
    admin_flags = peewee.IntegerField(default=0)
    # Bumped on password change and "sign out everywhere": old cookies stop working.
    session_version = peewee.IntegerField(default=1)
    nsfw_policy = peewee.CharField(max_length=10, default="blur")
    feed_token = peewee.CharField(max_length=64, default="")
    # {"newVideoFromSubscription": 1, ...}: PeerTube's names; 0 off, 1 in the web interface
    notification_settings = peewee.TextField(default="{}")
    # Trade video segments with other viewers over WebRTC (they see each other's IP address).
    p2p_enabled = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.ADMIN, Role.MODERATOR)


class Account(BaseModel):
    """A Person actor: the public face of a User here, or of someone elsewhere."""

    user = peewee.ForeignKeyField(
        User, null=True, unique=True, backref="accounts", on_delete="CASCADE"
    )
    name = peewee.CharField(max_length=50)
    host = peewee.CharField(max_length=255, default="")  # "": local (so name+host is unique)
    display_name = peewee.CharField(max_length=120)
    description = peewee.TextField(default="")
    actor = peewee.ForeignKeyField(Actor, null=True, unique=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("name", "host"), True),)

    @property
    def is_local(self) -> bool:
        return self.host == ""


class Channel(BaseModel):
    """A Group actor: videos are published in a channel."""

    account = peewee.ForeignKeyField(Account, backref="channels", on_delete="CASCADE")
    name = peewee.CharField(max_length=50)
    host = peewee.CharField(max_length=255, default="")
    display_name = peewee.CharField(max_length=120)
    description = peewee.TextField(default="")
    support = peewee.TextField(default="")
    links = peewee.TextField(default="[]")  # JSON [{"label": ..., "url": ...}]
    # Visitors see no back catalogue; new videos still reach followers (see app/videos.py).
    hide_catalogue = peewee.BooleanField(default=False)
    avatar = peewee.CharField(max_length=2000, default="")  # image stem, or a remote URL
    banner = peewee.CharField(max_length=2000, default="")
    actor = peewee.ForeignKeyField(Actor, null=True, unique=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("name", "host"), True),)

    @property
    def is_local(self) -> bool:
        return self.host == ""


class OAuthClient(BaseModel):
    """The client id/secret pair that PeerTube clients fetch before signing in."""

    client_id = peewee.CharField(max_length=64, unique=True)
    client_secret = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField(default=utcnow)


class OAuthToken(BaseModel):
    """A Bearer access token and its refresh token. Only hashes are stored."""

    user = peewee.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    client = peewee.ForeignKeyField(OAuthClient, on_delete="CASCADE")
    access_hash = peewee.CharField(max_length=64, unique=True)
    refresh_hash = peewee.CharField(max_length=64, unique=True)
    access_expires_at = peewee.DateTimeField()
    refresh_expires_at = peewee.DateTimeField()
    created_at = peewee.DateTimeField(default=utcnow)
