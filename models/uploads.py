"""Resumable uploads in progress (PeerTube's upload-resumable protocol)."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow
from models.accounts import User


class Upload(BaseModel):
    """Bytes arriving in chunks into uploads/<upload_id>; survives restarts."""

    upload_id = peewee.CharField(max_length=64, unique=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE")
    filename = peewee.CharField(max_length=255)
    mime_type = peewee.CharField(max_length=100, default="")
    size = peewee.BigIntegerField()
    received = peewee.BigIntegerField(default=0)
    metadata = peewee.TextField(default="{}")  # the video fields sent with the first request
    video_id = peewee.IntegerField(null=True)  # set once complete: answers retries of the last PUT
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
