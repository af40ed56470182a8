"""Comments and ratings on videos."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow
from models.accounts import Account
from models.federation import Actor
from models.videos import Video

MAX_COMMENT = 10_000  # characters, as PeerTube


class Comment(BaseModel):
    """A comment on a video: a thread (no parent) or a reply to another comment.

    A deleted comment that has replies stays as a tombstone (`deleted_at` set,
    text emptied), as PeerTube shows it. Remote comments keep their ActivityPub
    id; local ones have none (their URL follows from the video's).
    """

    video = peewee.ForeignKeyField(Video, backref="comments", on_delete="CASCADE")
    account = peewee.ForeignKeyField(Account, null=True, on_delete="SET NULL")
    parent = peewee.ForeignKeyField("self", null=True, backref="replies", on_delete="CASCADE")
    thread = peewee.ForeignKeyField("self", null=True, on_delete="CASCADE")  # None for a thread
    text = peewee.TextField(default="")  # Markdown
    ap_id = peewee.CharField(max_length=2000, null=True, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    deleted_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("video", "thread", "id"), False),)

    @property
    def is_local(self) -> bool:
        return self.ap_id is None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Rating(BaseModel):
    """One account's like (1) or dislike (-1) of a video."""

    video = peewee.ForeignKeyField(Video, on_delete="CASCADE")
    account = peewee.ForeignKeyField(Account, on_delete="CASCADE")
    value = peewee.SmallIntegerField()
    ap_id = peewee.CharField(max_length=2000, null=True)  # the remote Like/Dislike's id
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("video", "account"), True),)


class Share(BaseModel):
    """An Announce of a local video by an actor of another server (a boost, a share)."""

    video = peewee.ForeignKeyField(Video, on_delete="CASCADE")
    actor = peewee.ForeignKeyField(Actor, on_delete="CASCADE")
    ap_id = peewee.CharField(max_length=2000, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("video", "actor"), True),)
