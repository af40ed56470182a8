"""The job queue: one table, claimed with leases."""

from __future__ import annotations

import enum

import peewee

from models import BaseModel, utcnow


class JobState(enum.StrEnum):
    """pending -> running -> done | failed (running with an expired lease is claimable)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(BaseModel):
    """Slow work for a worker: transcoding, deliveries, fetches, mirroring."""

    kind = peewee.CharField(max_length=32)
    payload = peewee.TextField(default="{}")
    state = peewee.CharField(max_length=10, default=JobState.PENDING)
    attempts = peewee.IntegerField(default=0)
    max_attempts = peewee.IntegerField(default=5)
    run_at = peewee.DateTimeField(default=utcnow)
    locked_until = peewee.DateTimeField(null=True)
    locked_by = peewee.CharField(max_length=100, null=True)
    last_error = peewee.TextField(default="")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("state", "run_at"), False),)
