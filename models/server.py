"""Settings of the server an administrator edits in the web interface (the about page)."""

from __future__ import annotations

import peewee

from models import BaseModel, utcnow


class ServerSetting(BaseModel):
    """One key and its (text) value."""

    key = peewee.CharField(max_length=64, primary_key=True)
    value = peewee.TextField(default="")
    updated_at = peewee.DateTimeField(default=utcnow)
