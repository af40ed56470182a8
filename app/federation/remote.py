"""Remote actors, accounts, channels and videos: stored by their ActivityPub id.

Everything here is idempotent: storing the same document twice changes
nothing, and a newer document updates what was stored. Fetches happen in
workers, never on a page's request path.

Who may say what: a document fetched is stored only if it names itself by the URL
it was fetched from; a video's channel and account are on the video's own host; a
video is created or changed by its account or channel, an actor by itself; and an
actor's key is only ever read from its own document at its origin.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import uuid as uuidlib
from typing import Any
from urllib.parse import urlsplit

from peewee import JOIN

from app import jobs, notifications, trending
from app.federation import fetch
from app.federation.objects import RemoteVideo, first_id, host_of, parse_video
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel
from models.federation import Actor, ActorType
from models.videos import Privacy, State, Video, VideoFile, save_storyboard

log = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(days=2)
ACTOR_TYPES = {t.value for t in ActorType}
MAX_URL = 2000  # the URL columns of Actor and Video
MAX_HOST = 255


class RemoteError(ValueError):
    """A remote document that cannot be used; the message says why."""


def _str(value: Any) -> str:
    """A string, without NUL characters (PostgreSQL refuses them in text)."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _link(value: Any) -> str:
    """A URL a column can hold, else ''."""
    text = _str(value)
    return text if len(text) <= MAX_URL else ""


def check_document(doc: dict, url: str) -> None:
    """A fetched document must name itself by the URL it was fetched from: else a
    server could hand out, under its own URL, another server's actor or video."""
    named = first_id(doc.get("id"))
    if named != url:
        raise RemoteError(f"the document at {url[:300]} names itself {str(named)[:300]}")


def fetch_object(settings: Settings, url: str) -> dict:
    """GET an object at its origin and check that it is the one named (FetchError when
    the fetch fails, RemoteError when the answer is not that object)."""
    try:
        doc = fetch.fetch_json(settings, url)
    except RecursionError:  # the JSON parser's own limit: a document nested without end
        raise RemoteError(f"the document at {url[:300]} is nested too deeply") from None
    check_document(doc, url)
    return doc


def _key_of(doc: dict) -> str:
    key = doc.get("publicKey") or {}
    if isinstance(key, list):
        key = key[0] if key else {}
    return _str(key.get("publicKeyPem")) if isinstance(key, dict) else ""


def _name_of(doc: dict) -> str:
    return _str(doc.get("name")) or _str(doc.get("preferredUsername"))


def upsert_actor(
    settings: Settings, doc: dict, *, profile: bool = True, keep_key: bool = False
) -> Actor:
    """Store or refresh a remote actor from its document; link its account or channel.

    The caller vouches that `doc` comes from the actor's origin (see fetch_object), or
    passes keep_key=True: then the key stored is kept and the document's is ignored.
    profile=False stores only the actor (keys, inboxes): what an inbox needs on
    the request path, with no further fetch.
    """
    ap_id = first_id(doc)
    kind = doc.get("type")
    if not ap_id or not isinstance(kind, str) or kind not in ACTOR_TYPES:
        raise RemoteError("not an actor document")
    host = host_of(ap_id)
    if host == settings.host:
        raise RemoteError("that actor is local")
    if len(ap_id) > MAX_URL or "\x00" in ap_id or len(host) > MAX_HOST:
        raise RemoteError("the actor's id is too long")
    username = _str(doc.get("preferredUsername")) or ap_id.rstrip("/").rsplit("/", 1)[-1]
    endpoints = doc.get("endpoints") or {}
    fields = {
        "type": kind,
        "name": _str(username)[:100],
        "host": host,
        "inbox": _link(doc.get("inbox")),
        "shared_inbox": _link(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else "",
        "outbox": _link(doc.get("outbox")),
        "followers_url": _link(doc.get("followers")),
        "following_url": _link(doc.get("following")),
        "url": _link(first_id(doc.get("url"))) or ap_id,
        "public_key": _key_of(doc),
        "fetched_at": utcnow(),
        "updated_at": utcnow(),
    }
    if keep_key:
        del fields["public_key"], fields["fetched_at"]
    if not fields["inbox"]:
        raise RemoteError("the actor has no inbox")
    # A channel's owner is fetched first: no fetch waits inside the transaction, which
    # on SQLite holds the one write lock every other writer (the web) waits for.
    owner = _owner_of(settings, doc) if profile and doc["type"] == ActorType.GROUP else None
    with db.atomic():
        actor = Actor.get_or_none(Actor.ap_id == ap_id)
        if actor is None:
            actor = Actor.create(ap_id=ap_id, **{"public_key": "", **fields})
        else:
            Actor.update(**fields).where(Actor.id == actor.id).execute()
            actor = Actor.get_by_id(actor.id)
        if not profile:
            return actor
        if actor.type == ActorType.GROUP:
            _upsert_channel(actor, doc, owner)
        else:
            _upsert_account(actor, doc)
    return actor


def _unique_name(model, name: str, host: str, actor: Actor) -> str:
    """Handles are unique per host; two remote actors with one name get a suffix."""
    existing = model.get_or_none((model.name == name) & (model.host == host))
    if existing is None or existing.actor_id == actor.id:
        return name
    return f"{name}-{actor.id}"


def _upsert_account(actor: Actor, doc: dict) -> Account:
    account = Account.get_or_none(Account.actor == actor)
    values = {
        "display_name": (_name_of(doc) or actor.name)[:120],
        "description": _str(doc.get("summary"))[:5000],
        "updated_at": utcnow(),
    }
    if account is None:
        name = _unique_name(Account, actor.name[:50], actor.host, actor)
        return Account.create(name=name, host=actor.host, actor=actor, **values)
    Account.update(**values).where(Account.id == account.id).execute()
    return account


def _owner_of(settings: Settings, doc: dict) -> Account | None:
    """The account of a Group's owner (its first attributedTo, on the Group's own host),
    fetched if unknown."""
    owner_id = None
    refs = doc.get("attributedTo")
    for ref in refs if isinstance(refs, list) else [refs] if refs else []:
        if isinstance(ref, dict) and ref.get("type") == "Person" or isinstance(ref, str):
            owner_id = first_id(ref)
            break
    if not owner_id or host_of(owner_id) != host_of(first_id(doc) or ""):
        return None  # another server's person does not own a channel here
    owner_actor = Actor.get_or_none(Actor.ap_id == owner_id)
    if owner_actor is None:
        try:
            owner_actor = upsert_actor(settings, fetch_object(settings, owner_id))
        except (fetch.FetchError, RemoteError) as err:
            log.info("owner %s of %s not fetched: %s", owner_id, first_id(doc), err)
            return None
    return Account.get_or_none(Account.actor == owner_actor)


def _upsert_channel(actor: Actor, doc: dict, owner: Account | None) -> Channel:
    if owner is None:  # a group with no known owner stands for itself
        owner = _upsert_account(actor, doc)
    channel = Channel.get_or_none(Channel.actor == actor)
    values = {
        "display_name": (_name_of(doc) or actor.name)[:120],
        "description": _str(doc.get("summary"))[:5000],
        "support": _str(doc.get("support"))[:1000],
        "avatar": _image_url(doc.get("icon"), largest=True),
        "banner": _image_url(doc.get("image"), largest=True),
        "updated_at": utcnow(),
    }
    if channel is None:
        name = _unique_name(Channel, actor.name[:50], actor.host, actor)
        return Channel.create(account=owner, name=name, host=actor.host, actor=actor, **values)
    Channel.update(account=owner, **values).where(Channel.id == channel.id).execute()
    return channel


def _image_url(value: Any, largest: bool = False) -> str:
    """The URL of an Image (or the largest of a list of them); '' when none."""
    items = value if isinstance(value, list) else [value] if value else []
    found = [(i.get("width") or 0, first_id(i.get("url"))) for i in items if isinstance(i, dict)]
    found = [(w, u) for w, u in found if u and u.startswith(("http://", "https://"))]
    if not found:
        return ""
    found.sort()
    return (found[-1] if largest else found[0])[1][:2000]


def get_actor(settings: Settings, url: str, *, refresh: bool = False) -> Actor:
    """A remote actor by id, fetched when unknown, stale or asked to refresh."""
    url = url.split("#", 1)[0]
    actor = _stored_actor(url)
    fresh = actor is not None and actor.fetched_at and utcnow() - actor.fetched_at < STALE_AFTER
    if actor is not None and fresh and not refresh and _has_profile(actor):
        return actor
    try:
        return upsert_actor(settings, fetch_object(settings, url))
    except fetch.FetchError:
        if actor is not None and not refresh:
            return actor  # a server down for a while keeps its actors
        raise


def update_actor(settings: Settings, doc: dict, sender: Actor) -> Actor:
    """An Update{Person|Group}: an actor updates only itself. Its profile is read from
    the copy it sent; a key that differs from the stored one is read from the actor's
    own document at its origin instead (a server down keeps the stored key)."""
    if first_id(doc) != sender.ap_id:
        raise RemoteError("an actor may only update itself")
    key = _key_of(doc)
    if key and key != sender.public_key:
        try:
            get_actor(settings, sender.ap_id, refresh=True)
        except fetch.FetchError as err:
            log.info("key of %s not refreshed: %s", sender.ap_id, err)
    return upsert_actor(settings, doc, keep_key=True)


def _stored_actor(url: str) -> Actor | None:
    """The stored actor of `url`, with the ids of its channel and account (or None) as
    `channel_id` and `account_id`: one query, as every activity asks it twice."""
    return (
        Actor.select(Actor, Channel.id.alias("channel_id"), Account.id.alias("account_id"))
        .join(Channel, JOIN.LEFT_OUTER, on=(Channel.actor == Actor.id))
        .switch(Actor)
        .join(Account, JOIN.LEFT_OUTER, on=(Account.actor == Actor.id))
        .where(Actor.ap_id == url)
        .objects()
        .first()
    )


def _has_profile(actor: Actor) -> bool:
    """Whether the actor's channel (a Group) or account (anyone else) is stored."""
    profile = "channel_id" if actor.type == ActorType.GROUP else "account_id"
    return getattr(actor, profile, None) is not None


def resolve_handle(settings: Settings, handle: str) -> Actor:
    """`name@host` to a stored remote actor, through WebFinger."""
    return get_actor(settings, fetch.webfinger(settings, handle))


def upsert_video(
    settings: Settings,
    obj: dict,
    *,
    sender: Actor | None = None,
    notify: bool = True,
    editor: Actor | None = None,
) -> Video | None:
    """Store or update a remote video from its Video object. None if it is not ours to keep.

    The channel and account the video names must be on the video's own host.
    `sender`: the actor whose server the object came from (an outbox read, a signed
    delivery); the video must be on its host. `editor`: the actor that sent a Create or
    Update of it; it must be the video's account or channel (for a video stored here
    already: the ones stored), and stands for `sender` too. An object fetched from its
    origin (fetch_object) needs neither.
    notify=False stores a new video without telling subscribers (an old video backfilled).
    """
    try:
        remote = parse_video(obj)
    except ValueError as err:  # a malformed object will not get better: fail, no retry
        raise RemoteError(str(err)) from None
    host = host_of(remote.ap_id)
    if host == settings.host:
        return Video.get_or_none(Video.uuid == uuidlib.UUID(remote.uuid)) if remote.uuid else None
    vouching = sender or editor
    if vouching is not None and vouching.host != host:
        raise RemoteError("the video's host differs from its sender's")
    if not remote.attributed_channel:
        raise RemoteError("the video names no channel")
    for what, ref in (
        ("channel", remote.attributed_channel),
        ("account", remote.attributed_account),
    ):
        if ref and host_of(ref) != host:
            raise RemoteError(f"the video's {what} is on another host ({host_of(ref)}) than it")
    channel_actor = get_actor(settings, remote.attributed_channel)
    channel = Channel.get_or_none(Channel.actor == channel_actor)
    if channel is None:
        raise RemoteError("the video's channel is not a Group")
    return _store_video(remote, channel, notify=notify, editor=editor)


def _check_editor(
    editor: Actor, remote: RemoteVideo, video: Video | None, channel: Channel
) -> None:
    """RemoteError unless `editor` may create or change this video (see upsert_video).

    A video stored here: its stored channel or account. One whose channel's owner was
    not known (the channel stands for its own account) may also be changed by the
    account the object names, if it keeps that channel. A new video: the account or
    channel it names. (PeerTube's server actor never sends these; it is not accepted.)
    """
    if video is None:
        allowed = editor.ap_id in (remote.attributed_account, remote.attributed_channel)
    else:
        owners = (video.owner_channel_actor, video.owner_account_actor)
        stand_in = owners[0] == owners[1] and video.channel_id == channel.id
        allowed = editor.id in owners or (stand_in and editor.ap_id == remote.attributed_account)
    if not allowed:
        raise RemoteError(f"{editor.ap_id[:300]} is not the video's account or channel")


def _store_video(
    remote: RemoteVideo, channel: Channel, *, notify: bool = True, editor: Actor | None = None
) -> Video:
    privacy = Privacy.PUBLIC if remote.is_listed else Privacy.UNLISTED
    values = {
        "channel": channel,
        "name": remote.name[:120],
        "description": remote.description[:10000],
        "support": remote.support[:1000],
        "tags": remote.tags[:5],
        "category": remote.category,
        "licence": remote.licence,
        "language": (remote.language or None) and remote.language[:10],
        "privacy": privacy,
        "nsfw": remote.nsfw,
        "comments_enabled": remote.comments_enabled,
        "download_enabled": remote.download_enabled,
        "state": State.PUBLISHED if remote.master_playlist_url else State.TRANSCODING,
        "duration": remote.duration,
        "aspect_ratio": remote.aspect_ratio,
        "views": remote.views,
        "hls_master": remote.master_playlist_url or "",
        "hls_sha256": remote.segments_sha256_url or "",
        "thumbnail": remote.thumbnail_url or "",
        "preview": remote.preview_url or "",
        "published_at": remote.published or utcnow(),
        "updated_at": remote.updated or utcnow(),
        "fetched_at": utcnow(),
    }
    video_uuid = uuidlib.UUID(remote.uuid) if remote.uuid else uuidlib.uuid4()
    with db.atomic():
        # The video (by its id) with the actors that own it, and whichever video holds
        # its uuid here: one query.
        found = list(
            _with_owners(Video.select(Video))
            .where((Video.ap_id == remote.ap_id) | (Video.uuid == video_uuid))
            .objects()
        )
        video = next((v for v in found if v.ap_id == remote.ap_id), None)
        created = video is None
        if editor is not None:
            _check_editor(editor, remote, video, channel)
        if video is None:
            if found:
                video_uuid = uuidlib.uuid4()  # a remote uuid must not shadow another video
            video = Video.create(uuid=video_uuid, ap_id=remote.ap_id, **values)
            if video.state == State.PUBLISHED and notify:
                notifications.video_published(video)
        elif remote.updated and video.updated_at and remote.updated < video.updated_at:
            return video  # an older copy arrived late
        else:
            Video.update(**values).where(Video.id == video.id).execute()
            trending.record({video.id: remote.views - video.views})  # the origin's growth
            video = Video.get_by_id(video.id)
            VideoFile.delete().where(VideoFile.video == video).execute()
        by_height = {}  # one rendition per height (the column is unique per video)
        for f in remote.files:
            by_height.setdefault(f.height, f)
        files = [
            {
                "video": video.id,
                "resolution": f.height,
                "width": f.width,
                "height": f.height,
                "fps": f.fps,
                "size": f.size,
                "filename": f.url,
                "playlist": f.playlist_url or "",
            }
            for f in by_height.values()
        ]
        if files:
            VideoFile.insert_many(files).execute()
        board = (
            remote.storyboard
            if remote.storyboard and len(remote.storyboard.url) <= MAX_URL
            else None
        )
        save_storyboard(video, board, board.url if board else "", replace=not created)
    return video


def _with_owners(query):
    """A Video query that also reads the ids of the actors owning each video, as
    `owner_channel_actor` and `owner_account_actor`."""
    return (
        query.select_extend(
            Channel.actor.alias("owner_channel_actor"), Account.actor.alias("owner_account_actor")
        )
        .join(Channel)
        .join(Account)
        .switch(Video)
    )


def delete_remote(settings: Settings, object_id: str, sender: Actor) -> bool:
    """Delete a remote video (sent by its account or channel) or actor (sent by itself).

    A Delete of a video from another actor of its server is applied only if the origin
    confirms the video is gone (its owner may have changed since it was stored here).
    """
    if host_of(object_id) != sender.host:
        raise RemoteError("a server may only delete its own objects")
    video = _with_owners(Video.select(Video)).where(Video.ap_id == object_id).objects().first()
    if video is not None:
        if sender.id not in (video.owner_channel_actor, video.owner_account_actor):
            _confirm_gone(settings, object_id, sender)
        video.delete_instance(recursive=True)
        shutil.rmtree(settings.media_dir / "hls" / str(video.uuid), ignore_errors=True)
        return True
    actor = Actor.get_or_none(Actor.ap_id == object_id)
    if actor is not None:
        if actor.id != sender.id:
            raise RemoteError("an actor may only delete itself")
        Account.delete().where(Account.actor == actor).execute()
        Channel.delete().where(Channel.actor == actor).execute()
        actor.delete_instance(recursive=True)
        return True
    return False


def _confirm_gone(settings: Settings, object_id: str, sender: Actor) -> None:
    confirm_gone(settings, object_id, f"{sender.ap_id[:300]} is not the video's account or channel")


def confirm_gone(settings: Settings, object_id: str, refused: str) -> None:
    """Return if the origin answers 404 or 410 for the object; RemoteError (saying
    `refused` and what the origin did) if it has it or refuses; FetchError (the job
    tries again) if it does not answer now."""
    try:
        fetch_object(settings, object_id)
    except fetch.FetchError as err:
        if err.status in (404, 410):
            return
        if not err.permanent:
            raise
        raise RemoteError(f"{refused}, and its origin answers: {err}") from None
    raise RemoteError(f"{refused}, and its origin still has it")


def same_host(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()


REFRESH_JOB = "refresh-video"
VIDEO_STALE_AFTER = dt.timedelta(days=1)


def queue_refresh_if_stale(video: Video) -> bool:
    """Queue a refetch of a remote video last fetched long ago (once, however many views)."""
    if video.is_local or (video.fetched_at and utcnow() - video.fetched_at < VIDEO_STALE_AFTER):
        return False
    claimed = (
        Video.update(fetched_at=utcnow())
        .where(
            (Video.id == video.id)
            & (
                Video.fetched_at.is_null()
                if video.fetched_at is None
                else Video.fetched_at == video.fetched_at
            )
        )
        .execute()
    )
    if claimed:
        jobs.enqueue(REFRESH_JOB, {"video_id": video.id}, max_attempts=3)
    return bool(claimed)


def refresh_video(settings: Settings, payload: dict) -> None:
    """The `refresh-video` job: refetch from the origin; a server that is down keeps its
    videos listed, and only an explicit 410 Gone removes one."""
    video = Video.get_or_none(Video.id == payload["video_id"])
    if video is None or video.is_local:
        return
    try:
        doc = fetch_object(settings, video.ap_id)
    except fetch.FetchError as err:
        if err.status == 410:
            video.delete_instance(recursive=True)
        else:
            log.info("refresh of %s failed, keeping it: %s", video.ap_id, err)
        return
    except RemoteError as err:
        log.info("refresh of %s refused, keeping it: %s", video.ap_id, err)
        return
    if doc.get("type") == "Video":
        upsert_video(settings, doc)
