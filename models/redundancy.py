"""Mirrors: copies of local videos that other servers keep and serve (PeerTube's
redundancy, announced with CacheFile)."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow
from models.federation import Actor
from models.videos import Video


class Mirror(BaseModel):
    """A copy of a video's HLS files on another server than its origin: another server's
    copy of a local video (a received CacheFile), or this server's copy of a remote one."""

    video = peewee.ForeignKeyField(Video, on_delete="CASCADE")
    actor = peewee.ForeignKeyField(Actor, on_delete="CASCADE")  # the mirroring server
    ap_id = peewee.CharField(max_length=2000, unique=True)  # the CacheFile's id
    file_url = peewee.CharField(max_length=2000)  # where the copy is (PeerTube: its HLS folder)
    expires_at = peewee.DateTimeField(null=True, index=True)
    # Copies made here (actor: this server's actor): "copying", "ready" or "failed".
    state = peewee.CharField(max_length=10, default="ready")
    error = peewee.TextField(default="")
    size = peewee.BigIntegerField(default=0)
    strategy = peewee.CharField(max_length=20, null=True)  # "manual"; None when received
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


def live_mirrors(video: Video) -> list[Mirror]:
    """The mirrors of a video whose announcement has not expired, oldest first."""
    now = utcnow()
    return list(
        Mirror.select()
        .where((Mirror.video == video) & (Mirror.expires_at.is_null() | (Mirror.expires_at > now)))
        .where(Mirror.state == "ready")
        .order_by(Mirror.id)
    )
