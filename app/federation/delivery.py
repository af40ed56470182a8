"""Delivering activities: one row per (activity, inbox), sent concurrently, retried.

`queue_activity` stores the activity and its Delivery rows and queues one
`deliver` job. The job POSTs every due delivery of that activity at once
(bounded concurrency), records each answer, and queues itself again for the
earliest retry. Shared inboxes mean one copy per server. Retries back off
exponentially, honour Retry-After, stop at a permanent 4xx, and give up
after three days, so a server down for hours gets its backlog when it returns.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient

from app import jobs
from app.federation import actors, fetch
from app.federation.objects import host_of
from app.settings import Settings
from models import db, utcnow
from models.federation import Actor, Delivery, DeliveryState, Follow, FollowState, OutActivity

log = logging.getLogger(__name__)

DELIVER_JOB = "deliver"
CONCURRENCY = 64
GIVE_UP_AFTER = dt.timedelta(days=3)
MAX_BACKOFF = dt.timedelta(hours=6)


def follower_inboxes(targets: list[Actor], *, exclude_host: str | None = None) -> set[str]:
    """Inboxes of the remote followers of these actors: shared inboxes where they have one."""
    ids = [t.id for t in targets]
    rows = (
        Actor.select(Actor.inbox, Actor.shared_inbox)
        .join(Follow, on=Follow.follower == Actor.id)
        .where(Follow.target.in_(ids) & (Follow.state == FollowState.ACCEPTED) & (Actor.host != ""))
        .distinct()
    )
    inboxes = {row.shared_inbox or row.inbox for row in rows}
    if exclude_host:
        inboxes = {i for i in inboxes if host_of(i) != exclude_host}
    return inboxes


def queue_activity(actor: Actor, activity: dict[str, Any], inboxes: set[str]) -> OutActivity | None:
    """Store an activity for delivery to each inbox; one job sends them all."""
    inboxes = {i for i in inboxes if i}
    if not inboxes:
        return None
    now = utcnow()
    with db.atomic():
        out = OutActivity.create(
            ap_id=activity["id"], type=activity["type"], actor=actor, body=json.dumps(activity)
        )
        Delivery.insert_many(
            [
                {
                    "activity": out.id,
                    "inbox": inbox,
                    "host": host_of(inbox),
                    "next_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for inbox in sorted(inboxes)
            ]
        ).execute()
        jobs.enqueue(DELIVER_JOB, {"activity_id": out.id}, max_attempts=1000)
    return out


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min ... capped at six hours."""
    return min(dt.timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


async def _post(
    settings: Settings, signer: Actor, inbox: str, body: bytes, checked: dict[str, asyncio.Future]
) -> tuple[int, str, float | None]:
    """POST one copy; (status, error, retry_after). status 0 when no answer came.

    `checked` holds one address check per origin for the whole round (one DNS lookup);
    the POST connects to the addresses that check approved, and to no others.
    """
    try:
        parts = urlsplit(inbox)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in checked:
            loop = asyncio.get_running_loop()
            checked[origin] = loop.run_in_executor(None, fetch.check_url, settings, inbox)
        addresses = await asyncio.shield(checked[origin])
        request = fetch.signed_request(settings, inbox, method="POST", body=body, signer=signer)
        response = await fetch.guarded_fetch(
            settings, inbox, lambda _url: request, addresses=addresses
        )
    except fetch.FetchError as err:
        return (err.status or 0), str(err), None
    except Exception as err:  # noqa: BLE001 - network errors of every kind are retried
        return 0, f"{type(err).__name__}: {err}", None
    retry_after = response.headers.get("Retry-After", "")
    return (
        response.code,
        "" if response.code < 300 else f"answered {response.code} {response.reason}",
        float(retry_after) if retry_after.isdigit() else None,
    )


def deliver_activity(settings: Settings, activity_id: int) -> dt.datetime | None:
    """Send every due delivery of an activity; return when to try the rest again."""
    out = OutActivity.get_or_none(OutActivity.id == activity_id)
    if out is None:
        return None
    signer = actors.ensure_keys(out.actor)
    body = out.body.encode()
    now = utcnow()
    due = list(
        Delivery.select().where(
            (Delivery.activity == out)
            & (Delivery.state == DeliveryState.PENDING)
            & (Delivery.next_at <= now)
        )
    )

    async def run() -> list[tuple[Delivery, tuple[int, str, float | None]]]:
        limit = asyncio.Semaphore(CONCURRENCY)
        AsyncHTTPClient.configure(None, max_clients=CONCURRENCY)
        checked: dict[str, asyncio.Future] = {}

        async def one(d: Delivery):
            async with limit:
                return d, await _post(settings, signer, d.inbox, body, checked)

        return await asyncio.gather(*(one(d) for d in due))

    results = asyncio.run(run()) if due else []
    now = utcnow()
    with db.atomic():
        for d, (status, error, retry_after) in results:
            attempts = d.attempts + 1
            if 200 <= status < 300:
                state, next_at = DeliveryState.SENT, d.next_at
            elif (400 <= status < 500 and status not in (408, 429)) or (
                now - d.created_at > GIVE_UP_AFTER
            ):
                state, next_at = DeliveryState.FAILED, d.next_at
            else:
                delay = backoff(attempts)
                if retry_after is not None:
                    delay = max(delay, dt.timedelta(seconds=retry_after))
                state, next_at = DeliveryState.PENDING, now + delay
            Delivery.update(
                state=state,
                attempts=attempts,
                next_at=next_at,
                last_status=status or None,
                last_error=error[:2000],
                updated_at=now,
            ).where(Delivery.id == d.id).execute()
    if results:
        sent = sum(1 for _, r in results if 200 <= r[0] < 300)
        log.info("activity %s: %d of %d deliveries sent", out.ap_id, sent, len(results))
    pending = (
        Delivery.select(Delivery.next_at)
        .where((Delivery.activity == out) & (Delivery.state == DeliveryState.PENDING))
        .order_by(Delivery.next_at)
        .first()
    )
    return pending.next_at if pending else None


def run_job(settings: Settings, payload: dict) -> None:
    """The `deliver` job: send what is due, then queue the next round if any is left."""
    next_at = deliver_activity(settings, int(payload["activity_id"]))
    if next_at is not None:
        delay = max((next_at - utcnow()).total_seconds(), 0)
        jobs.enqueue(DELIVER_JOB, payload, delay=delay, max_attempts=1000)


def undelivered_servers() -> list[dict[str, Any]]:
    """Per host: deliveries waiting or given up, with the last answer (for the admin page)."""
    rows = (
        Delivery.select()
        .where(Delivery.state != DeliveryState.SENT)
        .order_by(Delivery.host, Delivery.updated_at.desc())
    )
    hosts: dict[str, dict[str, Any]] = {}
    for d in rows:
        entry = hosts.setdefault(
            d.host,
            {
                "host": d.host,
                "pending": 0,
                "failed": 0,
                "last_status": d.last_status,
                "last_error": d.last_error,
                "updated_at": d.updated_at,
            },
        )
        entry["pending" if d.state == DeliveryState.PENDING else "failed"] += 1
    return list(hosts.values())
