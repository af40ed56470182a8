"""Received activities: stored once, then applied by a job, idempotently.

The inbox handler verifies the HTTP signature and calls `store`; the `inbox`
job calls `apply`. Applying an activity twice changes nothing: follows are
unique per pair, objects are keyed by their ActivityPub id, and an older copy
of a video never overwrites a newer one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from app import jobs, notifications
from app.federation import actors, backfill, publish, remote
from app.federation.fetch import FetchError, fetch_json
from app.federation.objects import first_id, host_of
from app.settings import Settings
from models import db, utcnow
from models.federation import Actor, ActorType, Follow, FollowState, InboxActivity
from models.videos import Video

log = logging.getLogger(__name__)

INBOX_JOB = "inbox"
MAX_BODY = 512 * 1024


class InboxError(ValueError):
    """An activity refused at the door; the message is sent back."""


def check(activity: Any, signer: str) -> dict:
    """Shape checks before storing: an object with id, type and the signer as actor."""
    if not isinstance(activity, dict):
        raise InboxError("An activity is a JSON object.")
    if not isinstance(activity.get("type"), str) or not first_id(activity.get("id")):
        raise InboxError("The activity has no id or type.")
    actor = first_id(activity.get("actor"))
    if not actor:
        raise InboxError("The activity has no actor.")
    if actor.split("#")[0] != signer:
        # No relaying: without JSON-LD signatures, only an actor speaks for itself.
        raise InboxError("The activity's actor is not the signer.")
    if host_of(first_id(activity.get("id")) or "") != host_of(actor):
        raise InboxError("The activity's id and its actor are on different hosts.")
    return activity


def store(activity: dict, body: bytes) -> InboxActivity | None:
    """Keep an activity once (same id and same content); None if it was already here.

    PeerTube may send two different bodies under one id (an Update per finished
    rendition), so the key is the id together with the body's digest.
    """
    ap_id = first_id(activity["id"])
    digest = hashlib.sha256(json.dumps(_without_signature(activity), sort_keys=True).encode())
    key = hashlib.sha256(f"{ap_id}\n{digest.hexdigest()}".encode()).hexdigest()
    with db.atomic():
        # One statement, no read first: a replay races nobody and inserts nothing.
        inserted = list(
            InboxActivity.insert(
                key=key,
                ap_id=ap_id[:2000],
                type=activity["type"][:32],
                actor=first_id(activity["actor"])[:2000],
                body=body.decode("utf-8", "replace"),
                received_at=utcnow(),
            )
            .on_conflict_ignore()
            .returning(InboxActivity.id)
            .execute()
        )
        if not inserted:
            return None
        row_id = inserted[0][0] if isinstance(inserted[0], tuple) else inserted[0].id
        jobs.enqueue(INBOX_JOB, {"id": row_id})
    return InboxActivity.get_by_id(row_id)


def _without_signature(activity: dict) -> dict:
    # the same activity re-sent carries a new LD signature: not a new activity
    return {k: v for k, v in activity.items() if k != "signature"}


def run_job(settings: Settings, payload: dict) -> None:
    row = InboxActivity.get_or_none(InboxActivity.id == payload["id"])
    if row is None or row.state == "done":
        return
    try:
        apply(settings, json.loads(row.body))
    except (remote.RemoteError, InboxError) as err:
        InboxActivity.update(state="failed", error=str(err)).where(
            InboxActivity.id == row.id
        ).execute()
        log.info("activity %s not applied: %s", row.ap_id, err)
        return
    InboxActivity.update(state="done").where(InboxActivity.id == row.id).execute()


def _local_actor(settings: Settings, url: str | None) -> Actor | None:
    """The local actor an URL of ours names (/accounts/x, /video-channels/x)."""
    if not url or host_of(url) != settings.host:
        return None
    path = urlsplit(url).path.rstrip("/")
    for prefix, types in (
        ("/accounts/", (ActorType.PERSON, ActorType.APPLICATION)),
        ("/video-channels/", (ActorType.GROUP,)),
    ):
        if path.startswith(prefix) and "/" not in path[len(prefix) :]:
            return actors.find_local(path[len(prefix) :], types)
    return None


def apply(settings: Settings, activity: dict) -> None:
    """Apply one verified activity."""
    kind = activity.get("type")
    sender = remote.get_actor(settings, first_id(activity["actor"]))
    obj = activity.get("object")
    if kind == "Follow":
        _on_follow(settings, sender, activity)
    elif kind == "Undo":
        inner = obj if isinstance(obj, dict) else {}
        if inner.get("type") == "Follow":
            target = _local_actor(settings, first_id(inner.get("object")))
            if target is not None:
                Follow.delete().where(
                    (Follow.follower == sender) & (Follow.target == target)
                ).execute()
        elif isinstance(obj, str):  # some servers name the Follow by its id only
            Follow.delete().where((Follow.follower == sender) & (Follow.ap_id == obj)).execute()
    elif kind in ("Accept", "Reject"):
        _on_answer(settings, sender, obj, accepted=kind == "Accept")
    elif kind in ("Create", "Update"):
        _on_object(settings, sender, obj)
    elif kind == "Announce":
        _on_announce(settings, obj)
    elif kind == "Delete":
        object_id = first_id(obj)
        if object_id:
            remote.delete_remote(settings, object_id, sender)
    # Like, Dislike, View, Create{Note} and the rest are not used yet.


def _on_announce(settings: Settings, obj: Any) -> None:
    """Fetch the announced video from its origin (an embedded copy is not trusted)."""
    object_id = first_id(obj)
    if not object_id or host_of(object_id) == settings.host:
        return
    if Video.select().where(Video.ap_id == object_id).exists():
        return  # already known; its own server sends Updates
    try:
        doc = fetch_json(settings, object_id)
    except FetchError as err:
        raise remote.RemoteError(f"announced object not fetched: {err}") from None
    if doc.get("type") == "Video" and host_of(first_id(doc.get("id")) or "") == host_of(object_id):
        remote.upsert_video(settings, doc)


def _on_follow(settings: Settings, sender: Actor, activity: dict) -> None:
    target = _local_actor(settings, first_id(activity.get("object")))
    if target is None:
        raise InboxError("Follow of an actor this server does not have.")
    # Other servers following this one wait for the admin when approval is manual.
    manual = settings.followers_manual_approval and target.type == ActorType.APPLICATION
    with db.atomic():
        row = Follow.get_or_none((Follow.follower == sender) & (Follow.target == target))
        created = row is None
        if row is None:
            row = Follow.create(
                follower=sender,
                target=target,
                state=FollowState.PENDING if manual else FollowState.ACCEPTED,
                ap_id=first_id(activity["id"]),
            )
        elif row.state == FollowState.REJECTED or (row.state == FollowState.PENDING and not manual):
            Follow.update(state=FollowState.PENDING if manual else FollowState.ACCEPTED).where(
                Follow.id == row.id
            ).execute()
            row = Follow.get_by_id(row.id)
    if row.state != FollowState.ACCEPTED:
        return
    if created:
        notifications.followed(target, sender)
    # A repeated Follow gets the same Accept, naming the original follow.
    original = dict(activity)
    if row.ap_id:
        original["id"] = row.ap_id
    publish.accept(settings, row, original)


def _on_answer(settings: Settings, sender: Actor, obj: Any, *, accepted: bool) -> None:
    follow_id = first_id(obj)
    row = Follow.get_or_none(Follow.ap_id == follow_id) if follow_id else None
    if row is None and isinstance(obj, dict):
        follower = _local_actor(settings, first_id(obj.get("actor")))
        if follower is not None:
            row = Follow.get_or_none((Follow.follower == follower) & (Follow.target == sender))
    if row is None or row.target_id != sender.id:
        return
    state = FollowState.ACCEPTED if accepted else FollowState.REJECTED
    with db.atomic():
        changed = (
            Follow.update(state=state)
            .where((Follow.id == row.id) & (Follow.state != state))
            .execute()
        )
        if changed and accepted:  # a new follow: its recent videos, read from its outbox
            backfill.queue_backfill(settings, sender)


def _on_object(settings: Settings, sender: Actor, obj: Any) -> None:
    if isinstance(obj, str):
        try:
            obj = fetch_json(settings, obj)
        except FetchError as err:
            raise remote.RemoteError(f"object not fetched: {err}") from None
    if not isinstance(obj, dict):
        return
    kind = obj.get("type")
    if kind == "Video":
        remote.upsert_video(settings, obj, sender=sender)
    elif kind in remote.ACTOR_TYPES and first_id(obj) and host_of(first_id(obj)) == sender.host:
        remote.upsert_actor(settings, obj)
