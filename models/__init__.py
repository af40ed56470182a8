"""peewee models, one module per aggregate.

`db` is a proxy bound at start-up by app.db.connect(); models import nothing of
ours but models.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

import peewee

_bound: contextvars.ContextVar[peewee.Database | None] = contextvars.ContextVar(
    "shoal_database", default=None
)


class ContextDatabaseProxy(peewee.DatabaseProxy):
    """The models' database: one per process, or one per context with `use()`.

    A context (a thread, or a task) may bind its own database, so several
    Shoal servers can run in one process (the federation tests do).
    """

    __slots__ = ("_default",)

    @property
    def obj(self) -> peewee.Database | None:  # type: ignore[override]
        return _bound.get() or self._default

    @obj.setter
    def obj(self, value: peewee.Database | None) -> None:
        object.__setattr__(self, "_default", value)

    def __setattr__(self, attr: str, value: object) -> None:
        if attr in ("obj", "_default", "_callbacks", "_Model"):
            object.__setattr__(self, attr, value)
        else:
            raise AttributeError("Cannot set attribute on proxy.")


db = ContextDatabaseProxy()


@contextlib.contextmanager
def use(database: peewee.Database) -> Iterator[peewee.Database]:
    """Bind `database` for the models in this context (thread or task)."""
    token = _bound.set(database)
    try:
        yield database
    finally:
        _bound.reset(token)


def bind_context(database: peewee.Database) -> None:
    """Bind `database` for the rest of this thread (a server thread's first call)."""
    _bound.set(database)


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
    from models.abuses import Abuse, AbuseMessage
    from models.accounts import Account, Channel, OAuthClient, OAuthToken, User
    from models.federation import Actor, Delivery, Follow, InboxActivity, OutActivity
    from models.jobs import Job
    from models.moderation import Mute, VideoBlock
    from models.notifications import Notification
    from models.redundancy import Mirror
    from models.registrations import UserRegistration
    from models.server import ServerSetting
    from models.social import Comment, Rating, Share
    from models.uploads import Upload
    from models.videos import Storyboard, Video, VideoFile, ViewDay

    return [
        User, Actor, Account, Channel, OAuthClient, OAuthToken, Video, VideoFile, Job, Upload,
        Follow, InboxActivity, OutActivity, Delivery, UserRegistration, Notification,
        ServerSetting, Storyboard, Comment, Rating, Share, Mirror, ViewDay, VideoBlock, Mute,
        Abuse, AbuseMessage,
    ]  # fmt: skip
