"""Backfill: the recent public videos of an actor this server starts to follow.

When a follow of a remote channel, account or server is accepted, a job reads
the target's outbox (paged, newest first, as PeerTube does on its side) and
imports up to `settings.backfill_videos` of its public videos, so a new
subscriber sees the channel's past videos and not only what comes next.

A hostile outbox is bounded: at most MAX_PAGES pages, each on the actor's own
host and none twice (no loops), at most `examined_limit` items looked at, and
every response size-limited by the fetch. Items are refused one by one (an
object on another host, not a Video, unreadable) without stopping the rest.
Old videos arrive silently: subscribers are not notified about them. Imported
videos are ordinary remote videos, refreshed like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from app import jobs
from app.federation import fetch, remote
from app.federation.objects import first_id, host_of, parse_video
from app.settings import Settings
from models.federation import Actor
from models.videos import Video

log = logging.getLogger(__name__)

BACKFILL_JOB = "backfill-outbox"
MAX_PAGES = 20


@dataclass
class Outcome:
    """What one backfill did: videos imported, already known, items refused (with why)."""

    imported: list[str] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    examined: int = 0

    @property
    def videos(self) -> int:
        return len(self.imported) + len(self.known)


def examined_limit(settings: Settings) -> int:
    """How many outbox items one backfill looks at, at most (Notes, Likes... are skipped)."""
    return max(4 * settings.backfill_videos, 100)


def queue_backfill(settings: Settings, actor: Actor) -> None:
    """Read `actor`'s outbox in a job (a remote actor this server now follows)."""
    if settings.backfill_videos > 0 and not actor.is_local and actor.outbox:
        jobs.enqueue(BACKFILL_JOB, {"actor_id": actor.id}, max_attempts=3)


def run_job(settings: Settings, payload: dict) -> None:
    """The `backfill-outbox` job."""
    actor = Actor.get_or_none(Actor.id == payload["actor_id"])
    if actor is None or actor.is_local or not actor.outbox:
        return
    outcome = backfill(settings, actor)
    log.info(
        "backfill of %s: %d imported, %d known, %d refused of %d items",
        actor.ap_id,
        len(outcome.imported),
        len(outcome.known),
        len(outcome.refused),
        outcome.examined,
    )
    for reason in outcome.refused[:10]:
        log.info("backfill of %s refused %s", actor.ap_id, reason)


def backfill(settings: Settings, actor: Actor) -> Outcome:
    """Import up to settings.backfill_videos recent public videos from `actor`'s outbox."""
    outcome = Outcome()
    if settings.backfill_videos <= 0:
        return outcome
    try:
        for item in _items(settings, actor, outcome):
            if outcome.examined >= examined_limit(settings):
                outcome.refused.append("the rest of the outbox: too many items looked at")
                break
            outcome.examined += 1
            try:
                _take(settings, actor, item, outcome)
            except RecursionError:  # the JSON parser's own limit
                outcome.refused.append(f"{_ref(item)}: nested too deeply")
            except (fetch.FetchError, remote.RemoteError, ValueError) as err:
                outcome.refused.append(f"{_ref(item)}: {err}")
            if outcome.videos >= settings.backfill_videos:
                break  # before the next page is fetched
    except fetch.FetchError as err:
        if not outcome.examined:
            if err.permanent:
                raise jobs.PermanentError(f"outbox of {actor.ap_id}: {err}") from None
            raise  # the server may be back later: the job is retried
        outcome.refused.append(f"the rest of the outbox: {err}")
    return outcome


def _ref(item: Any) -> str:
    """What an item names, for a refusal: its object's id, else its own."""
    named = first_id(item.get("object")) if isinstance(item, dict) else None
    return (named or first_id(item) or "an item without id")[:300]


def _items(settings: Settings, actor: Actor, outcome: Outcome) -> Iterator[Any]:
    """The outbox's items in its order (newest first), page after page, within bounds."""
    doc = fetch.fetch_json(settings, actor.outbox)
    _same_host(actor, first_id(doc.get("id")) or actor.outbox, "the outbox")
    yield from _page_items(doc)
    page: Any = doc.get("first")
    seen = {first_id(doc.get("id")) or actor.outbox}
    for _ in range(MAX_PAGES):
        url = first_id(page)
        if not url or url in seen:
            return  # the end, or a loop
        _same_host(actor, url, "an outbox page")
        seen.add(url)
        doc = (
            page
            if isinstance(page, dict) and _page_items(page)
            else fetch.fetch_json(settings, url)
        )
        yield from _page_items(doc)
        page = doc.get("next")
    outcome.refused.append(f"the rest of the outbox: more than {MAX_PAGES} pages")


def _page_items(doc: dict) -> list:
    items = doc.get("orderedItems", doc.get("items"))
    return items if isinstance(items, list) else []


def _same_host(actor: Actor, url: str, what: str) -> None:
    if host_of(url) != actor.host:
        raise fetch.FetchError(f"{what} is on another host ({host_of(url)})", 400)


def _take(settings: Settings, actor: Actor, item: Any, outcome: Outcome) -> None:
    """One outbox item: an Announce or a Create of a Video of the actor's own server."""
    if isinstance(item, str):  # an activity named by its id
        _check_host(actor, item)
        item = fetch.fetch_json(settings, item)
    if not isinstance(item, dict):
        raise ValueError("not an activity")
    kind = item.get("type")
    if kind not in ("Announce", "Create"):
        return  # Notes, Likes and the rest are not videos
    obj = item.get("object")
    if isinstance(obj, dict) and obj.get("type") != "Video":
        return
    ref = first_id(obj)
    if not ref:
        raise ValueError(f"{kind} without an object")
    _check_host(actor, ref)
    if Video.select().where(Video.ap_id == ref).exists():
        outcome.known.append(ref)
        return
    # A Create's embedded object comes from the outbox, fetched from the actor's own
    # server; an Announce names its object, which is fetched from there too.
    doc = obj if kind == "Create" and isinstance(obj, dict) else fetch.fetch_json(settings, ref)
    if first_id(doc.get("id")) != ref:
        raise ValueError("the object fetched is not the one named")
    if doc.get("type") != "Video":
        return
    if not parse_video(doc).is_listed:
        raise ValueError("not a public video")
    video = remote.upsert_video(settings, doc, sender=actor, notify=False)
    if video is not None:
        outcome.imported.append(ref)


def _check_host(actor: Actor, url: str) -> None:
    if host_of(url) != actor.host:
        raise remote.RemoteError(f"on another host than {actor.host}")
