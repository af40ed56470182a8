"""Requests to join this server, when the administrator approves sign-ups (PeerTube's
UserRegistration): who asks, why, and what a moderator decided."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow
from models.accounts import User


class RegistrationState(enum.IntEnum):
    """PeerTube's numbers and labels."""

    PENDING = 1
    REJECTED = 2
    ACCEPTED = 3

    @property
    def label(self) -> str:
        return {1: "Pending", 2: "Rejected", 3: "Accepted"}[self.value]


class UserRegistration(BaseModel):
    """One request to join. The password is kept only as its hash, as a user's is.

    A request keeps its username, email and channel name reserved while it
    exists (pending, rejected or accepted), as PeerTube does; a moderator
    deletes a rejected request to free them.
    """

    state = peewee.SmallIntegerField(default=RegistrationState.PENDING)
    registration_reason = peewee.TextField()
    moderation_response = peewee.TextField(null=True)
    username = peewee.CharField(max_length=50, unique=True)
    email = peewee.CharField(max_length=254, null=True, unique=True)
    email_verified = peewee.BooleanField(null=True)
    password_hash = peewee.CharField(max_length=255)
    account_display_name = peewee.CharField(max_length=120)
    channel_handle = peewee.CharField(max_length=50, null=True, unique=True)
    channel_display_name = peewee.CharField(max_length=120, null=True)
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    processed_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "created_at"), False),)

    @property
    def state_enum(self) -> RegistrationState:
        return RegistrationState(self.state)
