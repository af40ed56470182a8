"""The job queue: enqueue, claim with a lease, heartbeat, complete, fail with backoff.

Workers on any number of machines claim from the same table. PostgreSQL uses
`SELECT ... FOR UPDATE SKIP LOCKED`; SQLite takes a write transaction. A job
whose worker died is claimable again once its lease (`locked_until`) expires.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from app.db import dialect
from models import db, utcnow
from models.jobs import Job, JobState

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(hours=6)


class PermanentError(Exception):
    """The job can never succeed (bad payload, gone object): do not retry it."""


def enqueue(kind: str, payload: dict[str, Any], *, delay: float = 0, max_attempts: int = 5) -> Job:
    """Add a job; it runs once a worker is free and `delay` seconds have passed."""
    now = utcnow()
    return Job.create(
        kind=kind,
        payload=json.dumps(payload, sort_keys=True),
        max_attempts=max_attempts,
        run_at=now + dt.timedelta(seconds=delay),
        created_at=now,
        updated_at=now,
    )


def payload(job: Job) -> dict[str, Any]:
    return json.loads(job.payload)


def _claimable(now: dt.datetime, kinds: list[str] | None):
    due = ((Job.state == JobState.PENDING) & (Job.run_at <= now)) | (
        (Job.state == JobState.RUNNING) & (Job.locked_until < now)
    )
    if kinds:
        due &= Job.kind.in_(kinds)
    return due


def claim(
    worker_id: str, lease_seconds: float, limit: int = 1, kinds: list[str] | None = None
) -> list[Job]:
    """Lock up to `limit` due jobs for this worker and return them."""
    now = utcnow()
    until = now + dt.timedelta(seconds=lease_seconds)
    due = Job.select(Job.id).where(_claimable(now, kinds)).order_by(Job.run_at, Job.id).limit(limit)
    if dialect() == "postgres":
        # Rows another worker is claiming are skipped, not waited for.
        due = due.for_update("FOR UPDATE SKIP LOCKED")
    # On SQLite every transaction begins IMMEDIATE (app/db.py): one writer at a time, so
    # two workers never take the same row either.
    with db.atomic():
        ids = [row.id for row in due]
        if not ids:
            return []
        Job.update(
            state=JobState.RUNNING,
            attempts=Job.attempts + 1,
            locked_by=worker_id,
            locked_until=until,
            updated_at=now,
        ).where(Job.id.in_(ids)).execute()
    return list(Job.select().where(Job.id.in_(ids)).order_by(Job.run_at, Job.id))


def heartbeat(job: Job, lease_seconds: float) -> bool:
    """Extend the lease of a running job; False if another worker took it over."""
    now = utcnow()
    updated = (
        Job.update(locked_until=now + dt.timedelta(seconds=lease_seconds), updated_at=now)
        .where((Job.id == job.id) & (Job.locked_by == job.locked_by))
        .execute()
    )
    return bool(updated)


def complete(job: Job) -> None:
    Job.update(state=JobState.DONE, locked_until=None, last_error="", updated_at=utcnow()).where(
        Job.id == job.id
    ).execute()


def backoff(attempts: int) -> dt.timedelta:
    """10 s, 20 s, 40 s ... capped at six hours."""
    return min(dt.timedelta(seconds=10 * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def fail(
    job: Job, error: str, *, permanent: bool = False, retry_after: float | None = None
) -> bool:
    """Record a failure; retry later unless permanent or out of attempts. True if retried."""
    now = utcnow()
    retry = not permanent and job.attempts < job.max_attempts
    delay = backoff(job.attempts)
    if retry_after is not None:
        delay = max(delay, dt.timedelta(seconds=retry_after))
    Job.update(
        state=JobState.PENDING if retry else JobState.FAILED,
        run_at=now + delay if retry else job.run_at,
        locked_until=None,
        last_error=error[:4000],
        updated_at=now,
    ).where(Job.id == job.id).execute()
    return retry


def pending_count(kind: str | None = None) -> int:
    query = Job.select().where(Job.state.in_([JobState.PENDING, JobState.RUNNING]))
    if kind:
        query = query.where(Job.kind == kind)
    return query.count()
