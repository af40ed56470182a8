"""ActivityPub actors, follows, received activities and outgoing deliveries."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow


class ActorType(enum.StrEnum):
    PERSON = "Person"
    GROUP = "Group"
    APPLICATION = "Application"
    SERVICE = "Service"
    ORGANIZATION = "Organization"


class Actor(BaseModel):
    """An ActivityPub actor: an account (Person), a channel (Group) or a server (Application).

    Local actors have ap_id NULL: their URLs follow from the server's host. Keys
    of local actors are made on first use (RSA 2048).
    """

    type = peewee.CharField(max_length=16)
    name = peewee.CharField(max_length=100)  # preferredUsername
    host = peewee.CharField(max_length=255, default="")  # "": local
    ap_id = peewee.CharField(max_length=2000, null=True, unique=True)
    inbox = peewee.CharField(max_length=2000, default="")
    shared_inbox = peewee.CharField(max_length=2000, default="")
    outbox = peewee.CharField(max_length=2000, default="")
    followers_url = peewee.CharField(max_length=2000, default="")
    following_url = peewee.CharField(max_length=2000, default="")
    url = peewee.CharField(max_length=2000, default="")  # the HTML page
    public_key = peewee.TextField(default="")
    private_key = peewee.TextField(default="")
    fetched_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("name", "host"), False),)

    @property
    def is_local(self) -> bool:
        return self.host == ""


class FollowState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Follow(BaseModel):
    """`follower` follows `target` (a server, a channel or an account)."""

    follower = peewee.ForeignKeyField(Actor, backref="following", on_delete="CASCADE")
    target = peewee.ForeignKeyField(Actor, backref="followers", on_delete="CASCADE")
    state = peewee.CharField(max_length=10, default=FollowState.PENDING)
    ap_id = peewee.CharField(max_length=2000, null=True, unique=True)  # the Follow activity
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("follower", "target"), True), (("target", "state"), False))


class InboxActivity(BaseModel):
    """An activity received in an inbox, stored once (by id and content) and applied by a job."""

    key = peewee.CharField(max_length=64, unique=True)  # sha256 of id + body digest
    ap_id = peewee.CharField(max_length=2000)
    type = peewee.CharField(max_length=32)
    actor = peewee.CharField(max_length=2000)
    body = peewee.TextField()
    state = peewee.CharField(max_length=10, default="pending")  # pending | done | failed
    error = peewee.TextField(default="")
    received_at = peewee.DateTimeField(default=utcnow)


class OutActivity(BaseModel):
    """An activity this server sends; one Delivery row per destination inbox."""

    ap_id = peewee.CharField(max_length=2000)
    type = peewee.CharField(max_length=32)
    actor = peewee.ForeignKeyField(Actor, on_delete="CASCADE")
    body = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Delivery(BaseModel):
    """One activity to one inbox: pending -> sent | failed, with the last answer kept."""

    activity = peewee.ForeignKeyField(OutActivity, backref="deliveries", on_delete="CASCADE")
    inbox = peewee.CharField(max_length=2000)
    host = peewee.CharField(max_length=255, index=True)
    state = peewee.CharField(max_length=10, default=DeliveryState.PENDING)
    attempts = peewee.IntegerField(default=0)
    next_at = peewee.DateTimeField(default=utcnow)
    last_status = peewee.IntegerField(null=True)
    last_error = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "next_at"), False),)
