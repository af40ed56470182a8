"""Domain events: services say what happened, listeners decide what follows.

A service calls ``emit("comment.posted", comment=...)`` inside the transaction
that made the change; every listener registered for that name runs at once, in
that transaction, so an effect that must survive a crash (a delivery, a
notification) is enqueued as a job together with the change, never after the
commit. Listeners are registered at start-up by the wiring module
(app/wiring.py), so services import neither federation nor feeds nor
notifications.

Events (keyword arguments):
- ``comment.posted`` (comment): a local or remote comment was stored.
- ``comment.deleted`` (comment): a comment became a tombstone or was removed.
- ``rating.changed`` (video, account, before, after): a like (1), a dislike (-1)
  or none (0) replaced another; ``remote`` is True when it came from another server.
- ``server.unfollowed`` (settings, host): this server stopped following a server.
- ``video.blocked`` / ``video.unblocked`` (settings, video, block): app/moderation/blocks.py.
- ``mutes.changed`` (user: None for the server's own mutes): an account or server muted
  or unmuted.
- ``user.blocked`` (user): an administrator blocked or unblocked a user.
- ``registration.requested`` (registration): someone asked to join (sign-up by approval).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Listener = Callable[..., None]
_listeners: dict[str, list[Listener]] = defaultdict(list)


def listen(name: str, listener: Listener) -> None:
    """Call ``listener(**payload)`` for every ``emit(name, **payload)``; once per function."""
    if listener not in _listeners[name]:
        _listeners[name].append(listener)


def emit(name: str, **payload: Any) -> None:
    """Run every listener of ``name``, in the order they were registered.

    A listener's error propagates: the caller's transaction is rolled back, so
    a change is never stored without what must follow from it.
    """
    for listener in list(_listeners.get(name, ())):
        listener(**payload)


def listeners(name: str) -> list[Listener]:
    """The listeners of an event (for tests and the start-up log)."""
    return list(_listeners.get(name, ()))
