"""Mirrors: copies of local videos that other servers keep and serve (PeerTube's
redundancy, announced with CacheFile)."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow
from models.federation import Actor
from models.videos import Video


class Mirror(BaseModel):
    """Another server's copy of a local video's HLS files (a received CacheFile)."""

    video = peewee.ForeignKeyField(Video, on_delete="CASCADE")
    actor = peewee.ForeignKeyField(Actor, on_delete="CASCADE")  # the mirroring server
    ap_id = peewee.CharField(max_length=2000, unique=True)  # the CacheFile's id
    file_url = peewee.CharField(max_length=2000)  # where the copy is (PeerTube: its HLS folder)
    expires_at = peewee.DateTimeField(null=True, index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


def live_mirrors(video: Video) -> list[Mirror]:
    """The mirrors of a video whose announcement has not expired, oldest first."""
    now = utcnow()
    return list(
        Mirror.select()
        .where((Mirror.video == video) & (Mirror.expires_at.is_null() | (Mirror.expires_at > now)))
        .order_by(Mirror.id)
    )
