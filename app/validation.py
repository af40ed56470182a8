"""Checking request fields: one small field-spec mechanism for every form and API body.

A spec maps field names to `Field`s: the type a value must have, its bounds or
lengths, its choices or pattern, and the message shown when it is wrong.
`check()` applies a spec to a body before anything is written: fields the spec
does not name are dropped (so a sign-up cannot set an administrator's field),
and every wrong field is collected, as PeerTube's `invalid-params`, so a page
can show each message beside its input and the API can answer 400 with them all.

Form bodies carry only strings: a number or a boolean may come as its text
("5", "true", "on"), and an empty string stands for "no value" in a field that
is not free text (a form's empty option). JSON's types are taken as they are:
5 is not a string, "5" is a number only by that form rule, true is not 1.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.constants import CATEGORIES, LANGUAGES, LICENCES, PRIVACIES

# Every integer goes into a 64-bit column at most: one more is a client's error, not ours.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_INT_TEXT = re.compile(r"^-?\d{1,19}$")
_TRUE = frozenset({"true", "1", "on", "yes"})
_FALSE = frozenset({"false", "0", "off", "no"})


@dataclass
class ValidationError(ValueError):
    """One or more fields are wrong: {field: (value, message)}."""

    errors: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def __str__(self) -> str:
        return "Incorrect request parameters: " + ", ".join(self.errors)


class _Wrong(Exception):
    """This value does not fit its Field."""


@dataclass(frozen=True)
class Field:
    """What one field must be.

    `kind` is str, int, bool, list or dict (or a tuple of them). `min` and `max`
    bound an int's value, or a str's or a list's length. A list's elements must
    fit `items`; a dict's fields are checked against `fields` (their errors are
    named `parent.child`). `strip` trims a str before its length is checked.
    """

    kind: type | tuple[type, ...]
    message: str = "Invalid value"
    required: bool = False
    nullable: bool = False
    min: int | None = None
    max: int | None = None
    choices: Collection[Any] | None = None
    pattern: re.Pattern[str] | None = None
    items: Field | None = None
    fields: Mapping[str, Field] | None = None
    strip: bool = False

    def kinds(self) -> tuple[type, ...]:
        return self.kind if isinstance(self.kind, tuple) else (self.kind,)

    def from_text(self, value: str) -> Any:
        """A form's text for a field that is not text: its number or boolean."""
        kinds = self.kinds()
        if int in kinds and _INT_TEXT.match(value.strip()):
            return int(value)
        if bool in kinds and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise _Wrong

    def clean(self, value: Any) -> Any:
        """The value made to fit (a number from its text, a str stripped), or _Wrong."""
        kinds = self.kinds()
        if type(value) is str:
            if value == "" and (self.choices is not None or str not in kinds):
                return None  # a form's empty option
            if str not in kinds:
                value = self.from_text(value)
        if type(value) is float and int in kinds and value.is_integer():
            value = int(value)  # 5.0 from a JavaScript client is 5
        if type(value) not in kinds:  # bool is not an int here
            raise _Wrong
        if type(value) is int:
            lo = INT64_MIN if self.min is None else self.min
            hi = INT64_MAX if self.max is None else self.max
            if not lo <= value <= hi:
                raise _Wrong
        elif type(value) in (str, list):
            if type(value) is str and self.strip:
                value = value.strip()
            if (self.min is not None and len(value) < self.min) or (
                self.max is not None and len(value) > self.max
            ):
                raise _Wrong
        if type(value) is str and self.pattern is not None and not self.pattern.fullmatch(value):
            raise _Wrong
        if self.choices is not None and value not in self.choices:
            raise _Wrong
        if type(value) is list and self.items is not None:
            value = [self.items.clean(item) for item in value]
        return value


def check(data: Mapping[str, Any], spec: Mapping[str, Field], prefix: str = "") -> dict[str, Any]:
    """The fields of `data` that `spec` names, each checked and cleaned.

    Absent fields stay absent (unless required); None is kept only where the
    field is nullable. Raises ValidationError naming every wrong field.
    """
    errors: dict[str, tuple[Any, str]] = {}
    out: dict[str, Any] = {}
    for name, rule in spec.items():
        path = prefix + name
        value = data.get(name)
        if value is None:
            if name in data and rule.nullable:
                out[name] = None
            elif name in data or rule.required:
                errors[path] = (value, rule.message)
            continue
        try:
            value = rule.clean(value)
        except _Wrong:
            errors[path] = (value, rule.message)
            continue
        if value is None and not rule.nullable:
            if rule.required:
                errors[path] = (data[name], rule.message)
            continue  # a form's empty option: as if absent
        if type(value) is dict and rule.fields is not None:
            try:
                value = check(value, rule.fields, path + ".")
            except ValidationError as err:
                errors.update(err.errors)
                continue
        out[name] = value
    if errors:
        raise ValidationError(errors)
    return out


TAGS_MESSAGE = "Should have an array of up to 5 tags between 2 and 30 characters each"
VIDEO = {
    "name": Field(
        str,
        "Should have a video name between 3 and 120 characters long",
        min=3,
        max=120,
        strip=True,
    ),
    "description": Field(
        str,
        "Should have a video description between 3 and 10000 characters long",
        nullable=True,
        max=10000,
    ),
    "support": Field(
        str, "Should have a video support text of at most 1000 characters", nullable=True, max=1000
    ),
    # Page forms send one comma-separated field; the API sends a list.
    "tags": Field((list, str), TAGS_MESSAGE, nullable=True, max=1000, items=Field(str)),
    "category": Field(int, nullable=True, choices=CATEGORIES),
    "licence": Field(int, nullable=True, choices=LICENCES),
    "language": Field(str, nullable=True, choices=LANGUAGES),
    "privacy": Field(int, nullable=True, choices=PRIVACIES),
    "nsfw": Field(bool, "Should have a boolean nsfw"),
    "commentsEnabled": Field(bool, "Should have a boolean commentsEnabled"),
    "downloadEnabled": Field(bool, "Should have a boolean downloadEnabled"),
}
_NEW_VIDEO = {**VIDEO, "name": replace(VIDEO["name"], required=True)}
_VIDEO_DEFAULTS = {
    "description": "",
    "tags": [],
    "category": None,
    "licence": None,
    "language": None,
    "privacy": 1,
    "nsfw": False,
    "commentsEnabled": True,
    "downloadEnabled": True,
}


def video_fields(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Clean the video fields in `data` (already flattened: tags is a list).

    With partial=True (edits) absent fields are left out instead of defaulted;
    a field given as null is as if absent.
    """
    given = {name: value for name, value in data.items() if value is not None}
    errors: dict[str, tuple[Any, str]] = {}
    try:
        out = check(given, VIDEO if partial else _NEW_VIDEO)
    except ValidationError as err:
        out, errors = {}, err.errors
    if not partial:
        for name, value in _VIDEO_DEFAULTS.items():
            out.setdefault(name, value)
    if out.get("description", "") is None:
        out["description"] = ""
    if out.get("support", "") is None:
        out["support"] = ""
    if "privacy" in out and out["privacy"] is None:
        out["privacy"] = 1
    if "tags" in out:
        raw = out["tags"] or []
        raw = [raw] if isinstance(raw, str) else raw
        tags = [t.strip() for item in raw for t in item.split(",") if t.strip()]
        if len(tags) > 5 or any(not 2 <= len(t) <= 30 for t in tags):
            errors["tags"] = (tags, TAGS_MESSAGE)
        out["tags"] = list(dict.fromkeys(tags))
    if errors:
        raise ValidationError(errors)
    return out
