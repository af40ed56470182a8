"""Share links that start at a moment: PeerTube's `?start=1m30s` form, read and written."""

from __future__ import annotations

import re

_START = re.compile(r"^(?:(\d{1,4})h)?(?:(\d{1,5})m)?(?:(\d{1,6})s?)?$")


def parse_start(raw: str | None) -> int:
    """Seconds from `1m30s`, `90s`, `90` or `1h2m3s`; 0 for anything else."""
    m = _START.match((raw or "").strip())
    if not m:
        return 0
    h, mins, s = (int(x) if x else 0 for x in m.groups())
    return h * 3600 + mins * 60 + s


def format_start(seconds: int) -> str:
    """`1m30s`, `45s`, `1h2m3s`: as PeerTube writes the start of a share link."""
    h, rest = divmod(max(0, seconds), 3600)
    mins, s = divmod(rest, 60)
    return (f"{h}h" if h else "") + (f"{mins}m" if mins or h else "") + f"{s}s"


def start_of(ticked: str, raw: str) -> str:
    """The share box's start (like 1m30s) when its checkbox is ticked, else ''."""
    seconds = parse_start(raw) if ticked else 0
    return format_start(seconds) if seconds else ""
