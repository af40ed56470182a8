"""The server's about page: what the administrator says about it.

Stored in server_setting; the name defaults to SHOAL_NAME. Shown on /about,
through /api/v1/config/about and in NodeInfo.
"""

from __future__ import annotations

from app.settings import Settings
from models import db
from models.server import ServerSetting, put_setting

FIELDS = {
    "name": ("Name", 50),
    "shortDescription": ("Short description", 250),
    "description": ("Description (Markdown)", 10000),
    "terms": ("Terms (Markdown)", 20000),
    "codeOfConduct": ("Rules / code of conduct (Markdown)", 10000),
    "moderationInformation": ("How moderation works (Markdown)", 5000),
    "administrator": ("Who runs this server", 5000),
    "contact": ("Contact address (email or URL)", 200),
}
DEFAULT_SHORT = "A Shoal server: federated video, shared peer to peer."


class AboutError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def get(settings: Settings) -> dict[str, str]:
    values = {k: "" for k in FIELDS}
    values["name"] = settings.instance_name
    values["shortDescription"] = DEFAULT_SHORT
    for row in ServerSetting.select().where(ServerSetting.key.startswith("about.")):
        key = row.key[len("about.") :]
        if key in FIELDS and row.value:
            values[key] = row.value
    return values


def update(values: dict[str, str]) -> None:
    for key, value in values.items():
        if key not in FIELDS:
            continue
        label, limit = FIELDS[key]
        value = str(value or "").strip()
        if len(value) > limit:
            raise AboutError(f"{label}: at most {limit} characters.", key)
        if key == "name" and not value:
            raise AboutError("The server needs a name.", key)
    with db.atomic():
        for key, value in values.items():
            if key in FIELDS:
                put_setting(f"about.{key}", str(value or "").strip())
