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

import peewee

from app import jobs, notifications
from app.federation import (
    actors,
    backfill,
    flags,
    follow_policy,
    mirrors,
    publish,
    remote,
    social,
)
from app.federation.fetch import FetchError
from app.federation.objects import first_id, host_of
from app.moderation import blocklist
from app.settings import Settings
from models import db, utcnow
from models.federation import Actor, ActorType, Follow, FollowState, InboxActivity
from models.redundancy import Mirror
from models.social import Comment
from models.videos import Video

log = logging.getLogger(__name__)

INBOX_JOB = "inbox"
MAX_BODY = 512 * 1024
# PeerTube's deepest activity (an Update{Video}: object, url, Link, tag, Link, attachment)
# nests about eight levels; anything far deeper is an attack on the parser, not data.
MAX_DEPTH = 32
# Errors that pass: the job is retried (a server down for a while, a database busy).
TRANSIENT = (FetchError, peewee.OperationalError, peewee.InterfaceError)


# Who forwarded an activity (see `check`): set by this server on what it keeps.
FORWARDED = "shoal:forwardedBy"
FORWARDABLE = frozenset({"Create", "Update", "Delete", "Undo"})


class InboxError(ValueError):
    """An activity refused at the door; the message is sent back."""


def parse(body: bytes) -> Any:
    """The JSON of a body; InboxError if it is not JSON or nests without end."""
    try:
        return json.loads(body)
    except RecursionError:  # json gives up past the interpreter's recursion limit
        raise InboxError("The activity is nested too deeply.") from None
    except ValueError:
        raise InboxError("The body is not JSON.") from None


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON `value` nests deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in children)
    return False


def check(activity: Any, signer: str) -> dict:
    """Shape checks before storing: an object with id, type and the signer as actor."""
    if not isinstance(activity, dict):
        raise InboxError("An activity is a JSON object.")
    if too_deep(activity):
        raise InboxError("The activity is nested too deeply.")
    if not isinstance(activity.get("type"), str) or not first_id(activity.get("id")):
        raise InboxError("The activity has no id or type.")
    actor = first_id(activity.get("actor"))
    if not actor:
        raise InboxError("The activity has no actor.")
    if actor.split("#")[0] != signer:
        # Without JSON-LD signatures only an actor speaks for itself; what another
        # server forwards (a video's origin forwards the comments and mirrors of it) is
        # checked with the object's own server instead.
        if activity["type"] not in FORWARDABLE:
            raise InboxError("The activity's actor is not the signer.")
        activity = _forwarded(activity, signer)
    if host_of(first_id(activity.get("id")) or "") != host_of(actor):
        raise InboxError("The activity's id and its actor are on different hosts.")
    return activity


def _forwarded(activity: dict, signer: str) -> dict:
    """A forwarded activity, reduced to what it names: the job fetches the object from
    its own server (or, for a Delete, checks that it is gone there) and trusts nothing
    else of the body."""
    object_id = first_id(activity.get("object"))
    if not object_id:
        raise InboxError("A forwarded activity must name its object.")
    return {
        "id": first_id(activity["id"]),
        "type": activity["type"],
        "actor": first_id(activity["actor"]),
        "object": object_id,
        FORWARDED: signer,
    }


def body_of(activity: dict, raw: bytes) -> bytes:
    """What to keep of a received body: the reduced activity when it was forwarded."""
    return json.dumps(activity).encode() if FORWARDED in activity else raw


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
    """The `inbox` job: apply one stored activity. Its row ends 'done', or 'failed' with
    the reason: at once for an activity that will never apply, and also while a
    passing error (a server down) is retried, so no row waits unexplained."""
    row = InboxActivity.get_or_none(InboxActivity.id == payload["id"])
    if row is None or row.state == "done":
        return
    try:
        apply(settings, json.loads(row.body))
    except (remote.RemoteError, InboxError) as err:
        _failed(row, str(err))
        log.info("activity %s not applied: %s", row.ap_id, err)
        return
    except TRANSIENT as err:
        if isinstance(err, FetchError) and err.permanent:
            _failed(row, str(err))
            log.info("activity %s not applied: %s", row.ap_id, err)
            return
        _failed(row, f"{err} (the job tries again, a few times)")
        raise
    except Exception as err:
        # A bug or a value nothing expected: retrying will not help; say so on the row.
        _failed(row, f"{type(err).__name__}: {err}")
        log.exception("activity %s could not be applied", row.ap_id)
        return
    InboxActivity.update(state="done", error="").where(InboxActivity.id == row.id).execute()


def _failed(row: InboxActivity, reason: str) -> None:
    InboxActivity.update(state="failed", error=reason[:4000]).where(
        InboxActivity.id == row.id
    ).execute()


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
    elif kind in ("Like", "Dislike"):
        social.receive_rating(settings, sender, activity)
    elif kind == "Flag":
        flags.receive_flag(settings, sender, activity)
    elif kind == "View":
        social.receive_view(settings, obj)
    elif kind == "Undo":
        inner = obj if isinstance(obj, dict) else {}
        if inner.get("type") in ("Like", "Dislike"):
            social.receive_undo_rating(settings, sender, inner)
        elif inner.get("type") == "Announce":
            social.receive_undo_share(sender, inner)
        elif inner.get("type") in ("CacheFile", "Create"):  # PeerTube: Undo{Create{CacheFile}}
            cache_file = inner if inner.get("type") == "CacheFile" else inner.get("object")
            mirror = mirrors.withdraw(sender, cache_file)
            if mirror is not None:
                mirrors.forward(activity, mirror, sender)
        elif FORWARDED in activity:  # only a mirror's end is taken from a forwarder
            remote.confirm_gone(settings, first_id(obj), "a forwarded Undo of a live mirror")
            mirrors.withdraw(sender, obj)
        elif inner.get("type") == "Follow":
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
        kept = _on_object(settings, sender, obj, update=kind == "Update",
                          forwarded_by=activity.get(FORWARDED))  # fmt: skip
        if isinstance(kept, Comment) and kind == "Create" and FORWARDED not in activity:
            social.forward(settings, activity, kept)
        elif isinstance(kept, Mirror) and FORWARDED not in activity:
            mirrors.forward(activity, kept, sender)
    elif kind == "Announce":
        if not social.receive_share(settings, sender, activity):
            _on_announce(settings, obj)
    elif kind == "Delete":
        object_id = first_id(obj)
        if object_id and FORWARDED in activity:
            remote.confirm_gone(settings, object_id, "a forwarded Delete of an object that exists")
        if object_id and not social.receive_delete(settings, sender, object_id):
            remote.delete_remote(settings, object_id, sender)


def _on_announce(settings: Settings, obj: Any) -> None:
    """Fetch the announced video from its origin: an embedded copy comes from whoever
    announces it, who may be anyone, so it is not read at all."""
    object_id = first_id(obj)
    if not object_id or host_of(object_id) == settings.host:
        return
    if Video.select().where(Video.ap_id == object_id).exists():
        return  # already known; its own server sends Updates
    try:
        doc = remote.fetch_object(settings, object_id)
    except FetchError as err:
        raise remote.RemoteError(f"announced object not fetched: {err}") from None
    if doc.get("type") == "Video":
        # The document is the origin's own (its id is the URL fetched); upsert_video
        # checks that the channel and account it names are on that origin too.
        remote.upsert_video(settings, doc)


def _on_follow(settings: Settings, sender: Actor, activity: dict) -> None:
    target = _local_actor(settings, first_id(activity.get("object")))
    if target is None:
        raise InboxError("Follow of an actor this server does not have.")
    # Other servers following this one: accepted, left to the admin, or refused, as the
    # admin chose (app/federation/follow_policy.py); people's subscriptions always pass.
    policy = follow_policy.AUTO
    if target.type == ActorType.APPLICATION:
        policy = follow_policy.decision(settings, sender)
    if blocklist.refused(sender, blocklist.owner_of(target)):
        policy = follow_policy.REFUSE  # muted by the server, or by the user followed
    manual, refused = policy == follow_policy.MANUAL, policy == follow_policy.REFUSE
    state = (
        FollowState.REJECTED if refused else FollowState.PENDING if manual else FollowState.ACCEPTED
    )
    with db.atomic():
        row = Follow.get_or_none((Follow.follower == sender) & (Follow.target == target))
        created = row is None
        if row is None:
            row = Follow.create(
                follower=sender, target=target, state=state, ap_id=first_id(activity["id"])
            )
        elif row.state == FollowState.REJECTED or (row.state == FollowState.PENDING and not manual):
            Follow.update(state=state).where(Follow.id == row.id).execute()
            row = Follow.get_by_id(row.id)
    if refused and row.state == FollowState.REJECTED:
        log.info("follow of this server by %s refused", sender.ap_id)
        publish.accept(settings, row, _named_as_first(activity, row), kind="Reject")
        return
    if row.state != FollowState.ACCEPTED:
        return
    if created:
        notifications.followed(target, sender)
    publish.accept(settings, row, _named_as_first(activity, row))


def _named_as_first(activity: dict, row: Follow) -> dict:
    """A repeated Follow gets the same answer, naming the original follow."""
    original = dict(activity)
    if row.ap_id:
        original["id"] = row.ap_id
    return original


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


def _on_object(
    settings: Settings,
    sender: Actor,
    obj: Any,
    *,
    update: bool = False,
    forwarded_by: str | None = None,
) -> Comment | Mirror | None:
    """Create or Update: of a video by its account or channel, of an actor by itself, of a
    comment by its author, of a mirror by its server; the comment or mirror kept."""
    if isinstance(obj, str):
        try:
            obj = remote.fetch_object(settings, obj)
        except FetchError as err:
            raise remote.RemoteError(f"object not fetched: {err}") from None
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    if kind == "Video":
        remote.upsert_video(settings, obj, editor=sender)
    elif kind in remote.ACTOR_TYPES:
        remote.update_actor(settings, obj, sender)
    elif kind == "Note":
        return social.receive_note(settings, sender, obj, update=update)
    elif kind == "CacheFile":
        return mirrors.receive(settings, sender, obj, forwarded_by)
    return None
