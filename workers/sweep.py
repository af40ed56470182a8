"""Housekeeping every worker does between jobs: abandoned uploads, mirrors, views history.

Not a job in the queue: each runner sweeps on its own, every INTERVAL, so there
is no chain of jobs to start, lose or duplicate. A sweep deletes by condition
(rows idle for a day, files nothing owns), so two workers sweeping at once, or
one sweeping twice, remove each thing once and nothing else.
"""

from __future__ import annotations

import logging
import time

from app import trending, uploads
from app.federation import mirroring, mirrors, redundancy
from app.settings import Settings

log = logging.getLogger(__name__)

INTERVAL = 15 * 60.0


def sweep(settings: Settings) -> None:
    """Expire idle resumable uploads, remove upload files nothing owns, forget other
    servers' expired mirrors, renew this server's mirrors before they expire, let the
    redundancy strategies choose what to mirror, forget old views history."""
    expired = uploads.expire_idle(settings)
    if expired:
        log.info("expired %d resumable uploads idle for a day", expired)
    uploads.remove_leftovers(settings)
    gone = mirrors.sweep_expired()
    if gone:
        log.info("forgot %d mirrors whose announcement expired", gone)
    renewed = mirroring.extend_due(settings)
    if renewed:
        log.info("renewed the announcement of %d mirrored videos", renewed)
    redundancy.run(settings)
    trending.forget_old()


class Sweeper:
    """Runs `sweep` when INTERVAL has passed since the last one (at once the first time)."""

    def __init__(self, settings: Settings, interval: float = INTERVAL) -> None:
        self.settings = settings
        self.interval = interval
        self.next_at = 0.0

    def run_if_due(self, *, propagate: bool = False) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + self.interval
        try:
            sweep(self.settings)
        except Exception:
            if propagate:
                raise
            log.exception("sweeping uploads failed; trying again in %ds", self.interval)
