"""What this server tells the network: videos published, edited, made private, deleted;
follows asked, accepted, undone.

Activity ids are deterministic, so sending the same thing twice names the
same activity. Videos go out as PeerTube sends them: Create{Video} by the
account, Announce by the channel, to the followers of the account, the channel
and the server; public videos are listed, unlisted ones federate unlisted,
private ones never leave the server (a video made private is deleted remotely).
"""

from __future__ import annotations

import logging
from typing import Any

from app import jobs
from app.federation import actors
from app.federation.delivery import follower_inboxes, queue_activity
from app.federation.objects import VIDEO_CONTEXT, activity, video_object
from app.serialize import account_url, channel_url, iso, video_url
from app.settings import Settings
from models import utcnow
from models.accounts import Account, Channel
from models.federation import Actor, Follow
from models.moderation import BlockKind, VideoBlock, hidden_video
from models.videos import Privacy, State, Storyboard, Video, VideoFile

log = logging.getLogger(__name__)

FEDERATE_JOB = "federate-video"
ACTOR_JOB = "federate-actor"


def _audience(video: Video) -> tuple[Actor, Actor, list[Actor]]:
    account = Account.get_by_id(video.channel.account_id)
    account_actor = actors.account_actor(account)
    channel_actor = actors.channel_actor(video.channel)
    return account_actor, channel_actor, [account_actor, channel_actor, actors.server_actor()]


_READ = object()  # "read it from the database" (a storyboard may be None)


def _video_doc(
    settings: Settings,
    video: Video,
    files: list[VideoFile] | None = None,
    storyboard: Storyboard | None | object = _READ,
) -> dict[str, Any]:
    # A local video's owners' URLs come from their names (the account comes with the
    # video from find_video): no actor rows to read on this hot path.
    channel = video.channel
    if files is None:
        files = list(video.files.order_by(VideoFile.resolution.desc()))
    if storyboard is _READ:
        storyboard = Storyboard.get_or_none(Storyboard.video == video)
    doc = video_object(
        settings,
        video,
        files,
        account_url=account_url(settings, channel.account),
        channel_url=channel_url(settings, channel),
        storyboard=storyboard,  # type: ignore[arg-type]
    )
    doc.pop("@context", None)
    return doc


def video_document(settings: Settings, video: Video) -> dict[str, Any]:
    """The Video object served at the video's URL (with its @context)."""
    doc = _video_doc(settings, video)
    return {"@context": VIDEO_CONTEXT, **doc}


def queue_video(video: Video, action: str) -> None:
    """Queue federation of a local video: 'create', 'update' or 'delete' (done in a job)."""
    if video.is_local:
        jobs.enqueue(FEDERATE_JOB, {"video_id": video.id, "action": action})


def _video_activity(
    settings: Settings, video: Video, kind: str, activity_id: str, **known: Any
) -> dict:
    """Create or Update of a local video, by its account, with the whole Video inside
    (`known`: its files and storyboard, when the caller read them already)."""
    doc = _video_doc(settings, video, **known)
    return activity(
        kind, doc["attributedTo"][0]["id"], doc, activity_id=activity_id, to=doc["to"], cc=doc["cc"]
    )


def create_activity(settings: Settings, video: Video) -> dict[str, Any]:
    """The Create{Video} of a local video (served at {video}/activity)."""
    return _video_activity(settings, video, "Create", f"{video_url(settings, video)}/activity")


def create_activities(settings: Settings, videos: list[Video]) -> list[dict[str, Any]]:
    """The Create{Video} of several local videos (a page of an outbox): their files and
    storyboards read in two queries, not two per video."""
    ids = [v.id for v in videos]
    files: dict[int, list[VideoFile]] = {i: [] for i in ids}
    for f in (
        VideoFile.select().where(VideoFile.video.in_(ids)).order_by(VideoFile.resolution.desc())
    ):
        files[f.video_id].append(f)
    boards = {b.video_id: b for b in Storyboard.select().where(Storyboard.video.in_(ids))}
    return [
        _video_activity(
            settings,
            v,
            "Create",
            f"{video_url(settings, v)}/activity",
            files=files[v.id],
            storyboard=boards.get(v.id),
        )  # fmt: skip
        for v in videos
    ]


def announce_activity(settings: Settings, video: Video, announcer: Actor) -> dict[str, Any]:
    """An Announce of a local video by one of its announcers (its channel, the server),
    served at {video}/announces/{announcer id} as PeerTube names it."""
    url = video_url(settings, video)
    announcer_url = actors.actor_url(settings, announcer)
    return activity(
        "Announce",
        announcer_url,
        url,
        activity_id=f"{url}/announces/{announcer.id}",
        to=[actors.PUBLIC],
        cc=[f"{announcer_url}/followers"],
    )


def announcers(video: Video) -> list[Actor]:
    """Who announces a local video: its channel and the server, for public videos only."""
    if not video.is_local or video.privacy != Privacy.PUBLIC or video.state != State.PUBLISHED:
        return []
    return [actors.channel_actor(video.channel), actors.server_actor()]


def announce_video(settings: Settings, video: Video, *, update: bool = False) -> None:
    """Create (or Update) plus the channel's Announce, to every follower involved."""
    if not video.is_local or video.state != State.PUBLISHED or video.privacy == Privacy.PRIVATE:
        return
    account_actor, _, audience = _audience(video)
    inboxes = follower_inboxes(audience)
    if update:
        update_id = f"{video_url(settings, video)}/updates/{iso(video.updated_at)}"
        body = _video_activity(settings, video, "Update", update_id)
        queue_activity(account_actor, body, inboxes)
        return
    queue_activity(account_actor, create_activity(settings, video), inboxes)
    # As PeerTube: the channel and the server itself announce the video too.
    for announcer in announcers(video):
        queue_activity(announcer, announce_activity(settings, video, announcer), inboxes)


def update_counts(settings: Settings, video: Video) -> None:
    """An Update{Video} carrying new counts (views, likes) to the video's followers.

    Its id names the moment it was sent: the video itself has not changed, and a
    server that keeps the ids it has seen must not take it for a repeat.
    """
    if not video.is_local or video.state != State.PUBLISHED or video.privacy == Privacy.PRIVATE:
        return
    account_actor, _, audience = _audience(video)
    update_id = f"{video_url(settings, video)}/updates/counts/{iso(utcnow())}"
    body = _video_activity(settings, video, "Update", update_id)
    queue_activity(account_actor, body, follower_inboxes(audience))


def delete_video(settings: Settings, video: Video) -> None:
    """Tell followers the video is gone (also used when a video becomes private)."""
    if not video.is_local:
        return
    account_actor, _, audience = _audience(video)
    url = video_url(settings, video)
    account_url = actors.actor_url(settings, account_actor)
    body = activity(
        "Delete",
        account_url,
        url,
        # The id names this deletion: a video made private, public again, then
        # deleted is deleted twice, and both must count.
        activity_id=f"{url}/delete/{iso(video.updated_at)}",
        to=[actors.PUBLIC],
        cc=[f"{account_url}/followers"],
    )
    queue_activity(account_actor, body, follower_inboxes(audience))


def run_video_job(settings: Settings, payload: dict) -> None:
    """The `federate-video` job."""
    video = (
        Video.select(Video, Channel).join(Channel).where(Video.id == payload["video_id"]).first()
    )
    if video is None:
        return
    action = payload["action"]
    if action == "delete" or (action == "update" and video.privacy == Privacy.PRIVATE):
        delete_video(settings, video)
    elif hidden_video(video):
        return  # blocked (or its owner is): not federated until unblocked
    elif action == "update":
        announce_video(settings, video, update=True)
    else:
        announce_video(settings, video)


def follow(settings: Settings, follower: Actor, target: Actor) -> Follow:
    """Ask to follow a remote actor (pending until its Accept arrives)."""
    row, _ = Follow.get_or_create(follower=follower, target=target)
    follower_url = actors.actor_url(settings, follower)
    follow_id = f"{follower_url}/follows/{row.id}"
    if row.ap_id != follow_id:
        Follow.update(ap_id=follow_id).where(Follow.id == row.id).execute()
    body = activity("Follow", follower_url, target.ap_id, activity_id=follow_id, to=[target.ap_id])
    queue_activity(follower, body, {target.inbox})
    return row


def unfollow(settings: Settings, row: Follow) -> None:
    """Undo a follow of a remote actor, and forget it."""
    follower, target = row.follower, row.target
    follower_url = actors.actor_url(settings, follower)
    follow_id = row.ap_id or f"{follower_url}/follows/{row.id}"
    inner = activity("Follow", follower_url, target.ap_id, activity_id=follow_id)
    inner.pop("@context", None)
    body = activity("Undo", follower_url, inner, activity_id=f"{follow_id}/undo", to=[target.ap_id])
    row.delete_instance()
    queue_activity(follower, body, {target.inbox})


def accept(
    settings: Settings, row: Follow, follow_activity: dict | None = None, *, kind: str = "Accept"
) -> None:
    """Accept (or Reject) a remote actor's follow of a local actor, to its own inbox."""
    target_url = actors.actor_url(settings, row.target)
    actors.ensure_keys(row.target)
    if follow_activity is None:  # decided later by an admin: rebuild the Follow
        follow_activity = {
            "type": "Follow",
            "id": row.ap_id,
            "actor": row.follower.ap_id,
            "object": target_url,
        }
    inner = dict(follow_activity)
    inner.pop("@context", None)
    inner.pop("signature", None)
    body = activity(
        kind,
        target_url,
        inner,
        activity_id=f"{target_url}/{kind.lower()}s/follows/{row.id}",
        to=[row.follower.ap_id],
    )
    queue_activity(row.target, body, {row.follower.inbox})


def queue_actor_update(actor: Actor) -> None:
    """Tell followers that a local account or channel changed (name, description)."""
    jobs.enqueue(ACTOR_JOB, {"actor_id": actor.id})


def run_actor_job(settings: Settings, payload: dict) -> None:
    """The `federate-actor` job: Update{Person|Group} with the whole actor embedded."""
    actor = Actor.get_or_none(Actor.id == payload["actor_id"])
    if actor is None or not actor.is_local:
        return
    doc = actors.actor_document(settings, actor)
    url = doc["id"]
    inner = {k: v for k, v in doc.items() if k != "@context"}
    body = activity(
        "Update",
        url,
        inner,
        activity_id=f"{url}/updates/{iso(actor.updated_at)}",
        to=[actors.PUBLIC],
        cc=[f"{url}/followers"],
        context=actors.ACTOR_CONTEXT,
    )
    queue_activity(actor, body, follower_inboxes([actor, actors.server_actor()]))


# --- listeners (registered by app/wiring.py) ----------------------------------------------


def _on_video_published(video: Video) -> None:
    if video.privacy != Privacy.PRIVATE:
        queue_video(video, "create")


def _on_video_updated(video: Video, was_private: bool) -> None:
    if not video.is_published:
        return
    if was_private and video.privacy != Privacy.PRIVATE:
        queue_video(video, "create")
    elif not was_private:
        queue_video(video, "update")  # becomes a Delete if now private


def _on_video_deleted(settings: Settings, video: Video) -> None:
    if video.is_local and video.is_published and video.privacy != Privacy.PRIVATE:
        delete_video(settings, video)


def _on_video_blocked(settings: Settings | None, video: Video, block: VideoBlock) -> None:
    """Unfederated: the other servers delete it (they get it back when it is unblocked)."""
    published = video.is_local and video.is_published and video.privacy != Privacy.PRIVATE
    if block.unfederated and published:
        queue_video(video, "delete")


def _on_video_unblocked(settings: Settings | None, video: Video, block: VideoBlock) -> None:
    """Back: a video the others deleted (or never had) is sent again, else updated."""
    if video.is_local and video.is_published and video.privacy != Privacy.PRIVATE:
        fresh = block.unfederated or block.kind == BlockKind.AUTO
        if block.unfederated:  # a new `updated`: the others took the first Create already
            Video.update(updated_at=utcnow()).where(Video.id == video.id).execute()
        queue_video(video, "create" if fresh else "update")


def _touch(actor: Actor) -> None:
    """An actor's profile changed: its followers get an Update."""
    Actor.update(updated_at=utcnow()).where(Actor.id == actor.id).execute()
    queue_actor_update(actor)


def _on_account_updated(account: Account) -> None:
    if account.actor_id:  # known to the network
        _touch(Actor.get_by_id(account.actor_id))


def _on_channel_updated(channel: Channel) -> None:
    _touch(actors.channel_actor(channel))


LISTENERS = [
    ("video.published", _on_video_published),
    ("video.updated", _on_video_updated),
    ("video.deleted", _on_video_deleted),
    ("video.blocked", _on_video_blocked),
    ("video.unblocked", _on_video_unblocked),
    ("account.updated", _on_account_updated),
    ("channel.updated", _on_channel_updated),
]
