"""Following: this server following other servers, users subscribing to channels.

Asking to follow something remote needs WebFinger and a fetch, so it is a
job; the follow row appears (pending, then accepted) when the job has run.
"""

from __future__ import annotations

import logging

from app import events, jobs, notifications
from app.federation import actors, fetch, publish, remote
from app.settings import Settings
from models import db
from models.federation import Actor, Follow, FollowState
from models.jobs import Job, JobState

log = logging.getLogger(__name__)

FOLLOW_JOB = "follow"


def queue_follow(follower: Actor, target: str) -> None:
    """Follow `target` (a handle name@host or an actor URL) from a local actor, in a job."""
    jobs.enqueue(FOLLOW_JOB, {"follower": follower.id, "target": target}, max_attempts=5)


def run_job(settings: Settings, payload: dict) -> None:
    follower = Actor.get_or_none(Actor.id == payload["follower"])
    if follower is None:
        return
    target = payload["target"]
    try:
        if target.startswith(("http://", "https://")):
            actor = remote.get_actor(settings, target)
        else:
            actor = remote.resolve_handle(settings, target)
    except fetch.FetchError as err:
        if err.permanent:
            raise jobs.PermanentError(f"{target}: {err}") from None
        raise
    except remote.RemoteError as err:
        raise jobs.PermanentError(f"{target}: {err}") from None
    publish.follow(settings, follower, actor)


def follow_local(follower: Actor, target: Actor) -> Follow:
    """A follow between two actors of this server: accepted at once, no network."""
    with db.atomic():
        row, created = Follow.get_or_create(
            follower=follower, target=target, defaults={"state": FollowState.ACCEPTED}
        )
    if created:
        notifications.followed(target, follower)
    return row


def server_following() -> list[Follow]:
    """The servers this server follows (any state)."""
    me = actors.server_actor()
    return list(
        Follow.select(Follow, Actor)
        .join(Actor, on=Follow.target == Actor.id)
        .where(Follow.follower == me)
        .order_by(Follow.id.desc())
    )


def server_followers() -> list[Follow]:
    """Actors following this server (other servers' instance actors, mostly)."""
    me = actors.server_actor()
    return list(
        Follow.select(Follow, Actor)
        .join(Actor, on=Follow.follower == Actor.id)
        .where(Follow.target == me)
        .order_by(Follow.id.desc())
    )


def server_follow_requests() -> list[dict]:
    """Follows of other servers an admin asked for that were not sent yet: waiting for
    their job (WebFinger, the actor's fetch), or failed with the reason."""
    me = actors.server_actor()
    found = []
    rows = (
        Job.select()
        .where((Job.kind == FOLLOW_JOB) & (Job.state != JobState.DONE))
        .order_by(Job.id.desc())
        .limit(500)
    )
    for job in rows:
        payload = jobs.payload(job)
        if payload.get("follower") != me.id:
            continue  # a user's subscription
        found.append(
            {
                "job": job.id,
                "host": str(payload.get("target", "")).rpartition("@")[2],
                "failed": job.state == JobState.FAILED,
                "attempts": job.attempts,
                "error": job.last_error,
                "updated_at": job.updated_at,
            }
        )
    return found


def forget_follow_request(job_id: int) -> bool:
    """Drop a failed or waiting follow of a server (the admin gave up on it)."""
    me = actors.server_actor()
    job = Job.get_or_none((Job.id == job_id) & (Job.kind == FOLLOW_JOB))
    if job is None or job.state == JobState.RUNNING or jobs.payload(job).get("follower") != me.id:
        return False
    job.delete_instance()
    return True


def unfollow_host(settings: Settings, host: str) -> bool:
    """Stop following a server: Undo sent, local row gone (announces server.unfollowed:
    the copies of its videos go)."""
    rows = [r for r in server_following() if r.target.host == host]
    for row in rows:
        publish.unfollow(settings, row)
    if rows:
        events.emit("server.unfollowed", settings=settings, host=host)
    return bool(rows)


def decide(settings: Settings, row: Follow, *, accept: bool) -> None:
    """An admin accepts or rejects a pending follower; the follower is told."""
    state = FollowState.ACCEPTED if accept else FollowState.REJECTED
    Follow.update(state=state).where(Follow.id == row.id).execute()
    if not row.follower.is_local:
        publish.accept(settings, row, kind="Accept" if accept else "Reject")
