"""OrderedCollections in PeerTube's shape: a head with `totalItems` (and `first` when
there is something to page through), and pages with `partOf`, `next` and `prev`.

Every collection a local actor or video names is built here, so that each URL
Shoal publishes answers in the same way (ap-video-likes*.json,
ap-channel-outbox*.json, ap-account-followers.json in the fixtures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from app.federation.actors import CONTEXT

PAGE_SIZE = 50
MAX_PAGE = 100_000


def head(url: str, total: int) -> dict[str, Any]:
    """The collection itself: PeerTube leaves `first` out of an empty one."""
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": url,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if total > 0:
        doc["first"] = f"{url}?page=1"
    return doc


def page(
    url: str, number: int, total: int, items: Callable[[int, int], Sequence[Any]]
) -> dict[str, Any]:
    """Page `number` (from 1) of the collection at `url`; `items(offset, limit)` reads it."""
    start = (number - 1) * PAGE_SIZE
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "id": f"{url}?page={number}",
        "type": "OrderedCollectionPage",
        "partOf": url,
        "orderedItems": list(items(start, PAGE_SIZE)) if start < total else [],
        "totalItems": total,
    }
    if start + PAGE_SIZE < total:
        doc["next"] = f"{url}?page={number + 1}"
    if number > 1:
        doc["prev"] = f"{url}?page={number - 1}"
    return doc


def nothing(_offset: int, _limit: int) -> list[Any]:
    """The items of a collection with nothing in it yet (likes before ratings exist)."""
    return []
