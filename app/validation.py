"""Checking the fields of a video (upload and edit), shared by pages and the API.

Errors are collected per field, as PeerTube's `invalid-params`, so a page can
show each message beside its input and the API can answer 400 with them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.constants import CATEGORIES, LANGUAGES, LICENCES, PRIVACIES


@dataclass
class ValidationError(Exception):
    """One or more fields are wrong: {field: (value, message)}."""

    errors: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "Incorrect request parameters: " + ", ".join(self.errors)


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "on", "yes")


def video_fields(data: dict[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean the video fields in `data` (already flattened: tags is a list).

    With partial=True (edits) absent fields are left out instead of defaulted.
    """
    errors: dict[str, tuple[Any, str]] = {}
    out: dict[str, Any] = {}

    def present(name: str) -> bool:
        return name in data and data[name] is not None

    if present("name") or not partial:
        name = str(data.get("name") or "").strip()
        if not 3 <= len(name) <= 120:
            errors["name"] = (
                data.get("name", ""),
                "Should have a video name between 3 and 120 characters long",
            )
        out["name"] = name
    if present("description") or not partial:
        description = str(data.get("description") or "")
        if len(description) > 10000:
            errors["description"] = (
                description[:50],
                "Should have a video description between 3 and 10000 characters long",
            )
        out["description"] = description
    if present("support"):
        out["support"] = str(data["support"])[:1000]
    if present("tags") or not partial:
        raw = data.get("tags") or []
        if isinstance(raw, str):
            raw = [raw]
        # Page forms send one comma-separated field; the API sends a list.
        tags = [t.strip() for item in raw for t in str(item).split(",") if t.strip()]
        if len(tags) > 5 or any(not 2 <= len(t) <= 30 for t in tags):
            errors["tags"] = (
                tags,
                "Should have an array of up to 5 tags between 2 and 30 characters each",
            )
        out["tags"] = list(dict.fromkeys(tags))
    for name, table in (("category", CATEGORIES), ("licence", LICENCES)):
        if present(name) or not partial:
            try:
                value = _int_or_none(data.get(name))
            except (TypeError, ValueError):
                value = -1
            if value is not None and value not in table:
                errors[name] = (data.get(name), "Invalid value")
            out[name] = value
    if present("language") or not partial:
        language = data.get("language") or None
        if language is not None and language not in LANGUAGES:
            errors["language"] = (language, "Invalid value")
        out["language"] = language
    if present("privacy") or not partial:
        try:
            privacy = _int_or_none(data.get("privacy"))
        except (TypeError, ValueError):
            privacy = -1
        if privacy is None:
            privacy = 1
        if privacy not in PRIVACIES:
            errors["privacy"] = (data.get("privacy"), "Invalid value")
        out["privacy"] = privacy
    for name in ("nsfw", "commentsEnabled", "downloadEnabled"):
        if present(name):
            out[name] = _bool(data[name])
        elif not partial:
            out[name] = name != "nsfw"
    if errors:
        raise ValidationError(errors)
    return out
