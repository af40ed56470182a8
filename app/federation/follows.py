"""Following: this server following other servers, users subscribing to channels.

Asking to follow something remote needs WebFinger and a fetch, so it is a
job; the follow row appears (pending, then accepted) when the job has run.
"""

from __future__ import annotations

import logging

from app import jobs, notifications
from app.federation import actors, fetch, publish, remote
from app.settings import Settings
from models import db
from models.federation import Actor, Follow, FollowState

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


def unfollow_host(settings: Settings, host: str) -> bool:
    """Stop following a server: Undo sent, local row gone."""
    rows = [r for r in server_following() if r.target.host == host]
    for row in rows:
        publish.unfollow(settings, row)
    return bool(rows)


def decide(settings: Settings, row: Follow, *, accept: bool) -> None:
    """An admin accepts or rejects a pending follower; the follower is told."""
    state = FollowState.ACCEPTED if accept else FollowState.REJECTED
    Follow.update(state=state).where(Follow.id == row.id).execute()
    if not row.follower.is_local:
        publish.accept(settings, row, kind="Accept" if accept else "Reject")
