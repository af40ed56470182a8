"""Start-up wiring: every listener of a domain event is registered here, once.

The web application (app/web.py) and the worker (workers/runner.py) call
``connect()`` before they serve anything; registering twice changes nothing.
"""

from __future__ import annotations

from app import events, notifications, videos
from app.federation import flags, publish, redundancy
from app.federation import social as federation_social
from app.moderation import abuse_notices, blocks, notices


def connect() -> None:
    """Register every listener of app/events.py."""
    for name, listener in (
        *blocks.LISTENERS,  # first: auto-block a new video before anyone hears of it
        *videos.LISTENERS,
        *publish.LISTENERS,
        *federation_social.LISTENERS,
        *notifications.LISTENERS,
        *redundancy.LISTENERS,
        *notices.LISTENERS,
        *abuse_notices.LISTENERS,
        *flags.LISTENERS,
    ):
        events.listen(name, listener)
