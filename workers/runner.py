"""The job runner: claims jobs from the database table and runs them.

Several runners may work on one database, on any number of machines. Each
job kind is a function of its payload, safe to run twice. SIGTERM stops the
runner after the job in hand; a runner killed outright loses its lease and
another runner takes the job up when the lease expires. Between jobs, a runner
also sweeps what uploads left behind (workers/sweep.py).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from collections.abc import Callable

from app import jobs, wiring
from app.db import dialect
from app.settings import Settings
from models import bind_context, db
from models.jobs import Job
from workers import federation, sweep, transcode

log = logging.getLogger(__name__)

Heartbeat = Callable[[], None]
KINDS: dict[str, Callable[[Settings, dict, Heartbeat], None]] = {
    transcode.KIND: transcode.run,
    **federation.KINDS,
}


# Jobs that take milliseconds: claimed in batches, with one lease for the batch, in a
# lane of their own; the other lane takes any job, one at a time (a transcode may take
# minutes; a job of a kind this version does not know fails there).
QUICK_KINDS = list(federation.KINDS)
QUICK_BATCH = 16


class Runner:
    """Claims and runs jobs until stopped."""

    def __init__(self, settings: Settings, worker_id: str | None = None) -> None:
        wiring.connect()
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.sweeper = sweep.Sweeper(settings)

    def _heartbeat(self, job: Job) -> Heartbeat:
        lease = self.settings.job_lease_seconds
        last = [time.monotonic()]

        def beat() -> None:
            now = time.monotonic()
            if now - last[0] >= lease / 4:
                last[0] = now
                jobs.heartbeat(job, lease)

        return beat

    def run_job(self, job: Job, *, propagate: bool = False) -> None:
        func = KINDS.get(job.kind)
        if func is None:
            jobs.fail(job, f"unknown job kind {job.kind!r}", permanent=True)
            return
        if job.attempts > job.max_attempts:
            jobs.fail(job, "gave up: the job's workers kept dying", permanent=True)
            return
        try:
            func(self.settings, jobs.payload(job), self._heartbeat(job))
        except jobs.PermanentError as err:
            jobs.fail(job, str(err), permanent=True)
            if propagate:
                raise
        except Exception as err:
            retried = jobs.fail(job, f"{type(err).__name__}: {err}\n{traceback.format_exc()}")
            log.warning(
                "job %s (%s) failed%s: %s", job.id, job.kind, ", will retry" if retried else "", err
            )
            if propagate:
                raise
        else:
            jobs.complete(job)

    def run_once(self, limit: int = 100) -> int:
        """Run every job due now, and the sweep; errors propagate (tests call this).
        Returns jobs run."""
        self.sweeper.run_if_due(propagate=True)
        done = 0
        while done < limit:
            claimed = jobs.claim(self.worker_id, self.settings.job_lease_seconds, limit=1)
            if not claimed:
                break
            self.run_job(claimed[0], propagate=True)
            done += 1
        return done

    def run_forever(self) -> None:
        """Run the lanes until SIGTERM/SIGINT; poll with backoff when idle.

        Quick jobs (federation) have threads of their own, claimed in batches,
        so a flood of activities never waits behind a transcode that takes
        minutes; this thread takes jobs of any kind, one at a time.
        """
        quick = self.start_quick_lanes()
        try:
            self.run_lane(None, 1)
        finally:
            self.stopping.set()
            for thread in quick:
                thread.join()

    def start_quick_lanes(self) -> list[threading.Thread]:
        """Start the threads that run federation jobs until `stopping` is set."""
        database = db.obj  # the lanes' threads bind the same database as this one
        threads = [
            threading.Thread(
                target=self._quick_lane, args=(database,), name=f"quick-jobs-{n}", daemon=True
            )
            for n in range(self.quick_threads())
        ]
        for thread in threads:
            thread.start()
        return threads

    def quick_threads(self) -> int:
        """SHOAL_FEDERATION_THREADS, else 2 on PostgreSQL (a job spends much of its time
        waiting for the database: two keep 100 activities/s applied where one did 77,
        bench/federation.py) and 1 on SQLite (one writer at a time)."""
        if self.settings.federation_threads:
            return self.settings.federation_threads
        return 2 if dialect() == "postgres" else 1

    def _quick_lane(self, database: object) -> None:
        bind_context(database)  # type: ignore[arg-type]
        try:
            self.run_lane(QUICK_KINDS, QUICK_BATCH)
        finally:
            if not db.is_closed():
                db.close()

    def run_lane(self, kinds: list[str] | None, limit: int) -> None:
        """Claim and run jobs of `kinds` (None: any), `limit` at a time, until stopped."""
        idle = 0.1
        while not self.stopping.is_set():
            if kinds is None:  # the lane that takes any job also sweeps
                self.sweeper.run_if_due()
            try:
                claimed = jobs.claim(self.worker_id, self.settings.job_lease_seconds, limit, kinds)
            except Exception:
                log.exception("claiming jobs failed; retrying")
                claimed = []
            if not claimed:
                self.stopping.wait(idle)
                idle = min(idle * 2, 2.0)
                continue
            idle = 0.1
            for job in claimed:
                if self.stopping.is_set():
                    break  # the rest go back to the queue when their lease ends
                log.debug("running job %s (%s)", job.id, job.kind)
                self.run_job(job)

    def install_signal_handlers(self) -> None:
        def stop(signum: int, _frame: object) -> None:
            log.info("signal %s: stopping after the current job", signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
