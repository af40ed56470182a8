"""Comments and ratings over ActivityPub: what Shoal sends, and what it makes of what
it receives (Create/Update/Delete{Note}, Like, Dislike, Undo, View)."""

from __future__ import annotations

from typing import Any

# Domain events this module reacts to, registered by app/wiring.py: (event, listener).
LISTENERS: list[tuple[str, Any]] = []
