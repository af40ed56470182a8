"""Settings of the server an administrator edits in the web interface (the about page)."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow


class ServerSetting(BaseModel):
    """One key and its (text) value."""

    key = peewee.CharField(max_length=64, primary_key=True)
    value = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(default=utcnow)


def get_setting(key: str, default: str = "") -> str:
    row = ServerSetting.get_or_none(ServerSetting.key == key)
    return row.value if row is not None else default


def put_setting(key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    now = utcnow()
    ServerSetting.insert(key=key, value=value, updated_at=now).on_conflict(
        conflict_target=[ServerSetting.key],
        update={ServerSetting.value: value, ServerSetting.updated_at: now},
    ).execute()
