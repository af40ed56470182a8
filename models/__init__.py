"""peewee models, one module per aggregate.

`db` is a proxy bound at start-up by app.db.connect(); models import nothing of
ours but models.
"""

from __future__ import annotations

import datetime as dt

import peewee

db = peewee.DatabaseProxy()


def utcnow() -> dt.datetime:
    """Naive UTC now: what every DateTimeField stores."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class BaseModel(peewee.Model):
    """Base of every model: bound to the proxy, table names in snake_case."""

    class Meta:
        database = db
        legacy_table_names = False


def all_models() -> list[type[BaseModel]]:
    """Every model in creation order (foreign keys after their targets)."""
    from models.accounts import Account, Channel, OAuthClient, OAuthToken, User
    from models.federation import Actor, Delivery, Follow, InboxActivity, OutActivity
    from models.jobs import Job
    from models.uploads import Upload
    from models.videos import Video, VideoFile

    return [
        User, Actor, Account, Channel, OAuthClient, OAuthToken, Video, VideoFile, Job, Upload,
        Follow, InboxActivity, OutActivity, Delivery,
    ]  # fmt: skip
