"""The job queue: claims, leases, heartbeats, retries with backoff, concurrency."""

from __future__ import annotations

import datetime as dt
import threading

from app import jobs
from models import db, utcnow
from models.jobs import Job, JobState


def test_due_jobs_are_claimed_once_in_order(settings):
    first = jobs.enqueue("noop", {"n": 1})
    second = jobs.enqueue("noop", {"n": 2})
    jobs.enqueue("noop", {"n": 3}, delay=3600)  # not due yet
    claimed = jobs.claim("w1", lease_seconds=60, limit=10)
    assert [j.id for j in claimed] == [first.id, second.id]
    assert all(j.state == JobState.RUNNING and j.attempts == 1 for j in claimed)
    assert jobs.claim("w2", lease_seconds=60, limit=10) == []
    assert jobs.payload(claimed[0]) == {"n": 1}


def test_an_expired_lease_makes_the_job_claimable_again(settings):
    job = jobs.enqueue("noop", {})
    (claimed,) = jobs.claim("dead-worker", lease_seconds=60)
    assert jobs.claim("w2", lease_seconds=60) == []
    Job.update(locked_until=utcnow() - dt.timedelta(seconds=1)).where(Job.id == job.id).execute()
    (again,) = jobs.claim("w2", lease_seconds=60)
    assert again.id == job.id and again.locked_by == "w2" and again.attempts == 2
    # the dead worker's heartbeat no longer extends a lease it lost
    assert not jobs.heartbeat(claimed, 60)
    assert jobs.heartbeat(again, 60)


def test_failures_retry_with_growing_backoff_then_give_up(settings):
    job = jobs.enqueue("noop", {}, max_attempts=3)
    delays = []
    for _ in range(3):
        Job.update(run_at=utcnow()).where(Job.id == job.id).execute()
        (claimed,) = jobs.claim("w", lease_seconds=60)
        before = utcnow()
        retried = jobs.fail(claimed, "boom")
        row = Job.get_by_id(job.id)
        delays.append((row.run_at - before).total_seconds())
    assert not retried
    row = Job.get_by_id(job.id)
    assert row.state == JobState.FAILED and row.last_error == "boom" and row.attempts == 3
    assert 9 < delays[0] < 11 and 19 < delays[1] < 21


def test_retry_after_and_permanent_errors(settings):
    job = jobs.enqueue("noop", {})
    (claimed,) = jobs.claim("w", lease_seconds=60)
    jobs.fail(claimed, "slow down", retry_after=3600)
    assert (Job.get_by_id(job.id).run_at - utcnow()).total_seconds() > 3500
    Job.update(run_at=utcnow()).where(Job.id == job.id).execute()
    (claimed,) = jobs.claim("w", lease_seconds=60)
    assert not jobs.fail(claimed, "gone", permanent=True)
    assert Job.get_by_id(job.id).state == JobState.FAILED


def test_concurrent_workers_never_claim_the_same_job(settings):
    for i in range(40):
        jobs.enqueue("noop", {"i": i})
    taken: list[int] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        db.connect(reuse_if_open=True)
        try:
            while claimed := jobs.claim(name, lease_seconds=60, limit=3):
                with lock:
                    taken.extend(j.id for j in claimed)
        finally:
            db.close()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 40 and len(set(taken)) == 40
