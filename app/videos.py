"""Videos: lookup, visibility, quota, creation from an upload, edits, deletion,
and the transcoding step a worker runs.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import shutil
import uuid as uuidlib
from collections.abc import Callable
from pathlib import Path

from peewee import JOIN, fn

from app import events, jobs, originals, torrents, trending
from app.channels import CATALOGUE_WINDOW_DAYS
from app.media.probe import MediaError
from app.media.transcode import transcode
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel, User
from models.moderation import VideoBlock, hidden_video, shown
from models.uploads import Upload
from models.videos import Privacy, State, Storyboard, Video, VideoFile, save_storyboard

log = logging.getLogger(__name__)

_B58 = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_SHORT_RE = re.compile(rf"^[{_B58}]{{16,22}}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")

TRANSCODE_JOB = "transcode"


class QuotaError(Exception):
    """The upload would take the user over their video quota."""


def short_uuid(value: uuidlib.UUID) -> str:
    """PeerTube's shortUUID: the UUID's integer in Flickr base58."""
    n, out = value.int, ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return out or _B58[0]


def uuid_from_short(short: str) -> uuidlib.UUID | None:
    n = 0
    for ch in short:
        n = n * 58 + _B58.index(ch)
    if n >= 1 << 128:
        return None
    return uuidlib.UUID(int=n)


def parse_ref(ref: str) -> int | uuidlib.UUID | None:
    """An id, a UUID or a shortUUID as PeerTube accepts them; None if none of these."""
    if ref.isdigit() and len(ref) < 10:
        return int(ref)
    if _UUID_RE.match(ref):
        return uuidlib.UUID(ref)
    if _SHORT_RE.match(ref):
        return uuid_from_short(ref)
    return None


def find_video(ref: str) -> Video | None:
    """The video an id, UUID or shortUUID names, with its channel and account, and in the
    same query whether it is blocked or its owner is (`hidden_here`, read by can_view)."""
    key = parse_ref(ref)
    if key is None:
        return None
    query = (
        Video.select(
            Video,
            Channel,
            Account,
            VideoBlock.id.alias("block_id"),
            User.id,
            User.blocked.alias("owner_blocked"),
        )
        .join(Channel)
        .join(Account)
        .join(User, JOIN.LEFT_OUTER, on=(Account.user == User.id))
        .switch(Video)
        .join(VideoBlock, JOIN.LEFT_OUTER, on=(VideoBlock.video == Video.id))
        .where(Video.id == key if isinstance(key, int) else Video.uuid == key)
    )
    video = query.first()
    if video is not None:  # peewee puts each joined column on its model's instance
        block = getattr(video, "videoblock", None)
        owner = video.channel.account.__rel__.get("user")
        video.hidden_here = getattr(block, "block_id", None) is not None or bool(
            getattr(owner, "owner_blocked", False)
        )
    return video


def owner_id(video: Video) -> int | None:
    return video.channel.account.user_id


def can_manage(video: Video, user: User | None) -> bool:
    """The owner, a moderator or an admin may edit, delete or retry a video."""
    if user is None:
        return False
    return owner_id(video) == user.id or user.is_moderator


def can_view(video: Video, user: User | None) -> bool:
    """Private videos, blocked ones and those of blocked users are for their owner and the
    server's moderators only."""
    hidden = getattr(video, "hidden_here", None)  # known when find_video read it
    if hidden is None:
        hidden = hidden_video(video)
    if video.privacy != Privacy.PRIVATE and not hidden:
        return True
    return can_manage(video, user)


def listed_query(
    *, channel: Channel | None = None, account: Account | None = None, viewer: User | None = None
):
    """Videos a viewer sees in lists: published and public, plus their own on their pages."""
    query = Video.select(Video, Channel, Account).join(Channel).join(Account)
    if channel is not None:
        query = query.where(Video.channel == channel)
    if account is not None:
        query = query.where(Channel.account == account)
    public = (Video.privacy == Privacy.PUBLIC) & (Video.state == State.PUBLISHED)
    if viewer is not None and account is not None and account.user_id == viewer.id:
        return query  # an owner sees all their videos on their own pages, in any state
    # Not blocked, owner not blocked, not muted by the server or the viewer.
    return query.where(public & ~back_catalogue() & shown(viewer.id if viewer else None))


def back_catalogue():
    """Videos of channels that hide their back catalogue, older than the fresh window.

    Such a channel lists only new videos (to visitors, feeds, outboxes), so
    followers and feed readers still get each new video while it is new; a
    shared link to any single video still plays.
    """
    cutoff = utcnow() - dt.timedelta(days=CATALOGUE_WINDOW_DAYS)
    return Channel.hide_catalogue & (Video.published_at < cutoff)


SORTS = {
    "-publishedAt": (Video.published_at.desc(nulls="LAST"), Video.id.desc()),
    "publishedAt": (Video.published_at.asc(nulls="LAST"), Video.id.asc()),
    "-createdAt": (Video.created_at.desc(), Video.id.desc()),
    "createdAt": (Video.created_at.asc(), Video.id.asc()),
    "-views": (Video.views.desc(), Video.id.desc()),
    "views": (Video.views.asc(), Video.id.asc()),
    "name": (Video.name.asc(), Video.id.asc()),
    "-name": (Video.name.desc(), Video.id.desc()),
    "-likes": (Video.likes.desc(), Video.id.desc()),
    "duration": (Video.duration.asc(), Video.id.asc()),
    "-duration": (Video.duration.desc(), Video.id.desc()),
}


# PeerTube's trending orders: the most views over the last days (app/trending.py). "hot"
# and "best" (which PeerTube computes from likes, comments and the viewer's languages)
# are taken as trending.
TRENDING_SORTS = frozenset({"-trending", "-hot", "-best"})


def known_sort(sort: str) -> bool:
    return sort in SORTS or sort in TRENDING_SORTS


def page(query, sort: str, start: int, count: int) -> tuple[int, list[Video]]:
    """(total, one page) of a video query in a PeerTube sort order.

    The page is read with LIMIT, in the order of an index (migration 0022), so its cost
    does not grow with the library; the total is counted apart, and only when the page
    does not already tell it (a first page with room to spare is everything).
    """
    if sort in TRENDING_SORTS:
        recent = trending.recent_views().alias("recent_views")
        query = query.join_from(Video, recent, JOIN.LEFT_OUTER, on=(recent.c.video_id == Video.id))
        order = (fn.COALESCE(recent.c.recent, 0).desc(), Video.views.desc(), Video.id.desc())
    else:
        order = SORTS.get(sort, SORTS["-publishedAt"])
    rows = list(query.order_by(*order).offset(start).limit(count))
    if start == 0 and len(rows) < count:
        return len(rows), rows
    return query.order_by().select(Video.id).count(), rows  # one column: quicker to build


def videos_of(user: User) -> list[Video]:
    return list(Video.select().join(Channel).join(Account).where(Account.user == user))


def used_quota(user: User) -> int:
    total = (
        Video.select(fn.COALESCE(fn.SUM(Video.original_size), 0))
        .join(Channel)
        .join(Account)
        .where(Account.user == user)
        .scalar()
    )
    return int(total or 0)


def reserved_quota(user: User) -> int:
    """Bytes announced by the user's resumable uploads still arriving: each will be a video.

    A session whose bytes have all arrived is no longer counted here: it is becoming a
    video, which create_video counts (so a finished upload is never counted twice).
    """
    total = (
        Upload.select(fn.COALESCE(fn.SUM(Upload.size), 0))
        .where((Upload.user == user) & Upload.video_id.is_null() & (Upload.received < Upload.size))
        .scalar()
    )
    return int(total or 0)


def check_quota(user: User, size: int) -> None:
    """Raise QuotaError if `size` more bytes would exceed the user's quota, counting the
    videos stored and the resumable uploads still open (abandoned ones hold their bytes
    on disk until they expire)."""
    if user.video_quota < 0:
        return
    if used_quota(user) + reserved_quota(user) + size > user.video_quota:
        raise QuotaError("The user video quota is exceeded with this video.")


def quota_summary(user: User) -> dict[str, int]:
    """What the user's videos (and uploads under way) take, of their quota (-1: none), and
    what is left (-1: no limit): for the upload page and settings."""
    used = used_quota(user) + reserved_quota(user)
    total = user.video_quota
    return {"used": used, "total": total, "left": -1 if total < 0 else max(0, total - used)}


def create_video(
    settings: Settings,
    user: User,
    channel: Channel,
    fields: dict,
    source: Path,
    filename: str,
) -> Video:
    """Adopt an uploaded file as a new video and queue its transcoding."""
    size = source.stat().st_size
    check_quota(user, size)
    video_uuid = uuidlib.uuid4()
    settings.originals_dir.mkdir(parents=True, exist_ok=True)
    suffix = Path(filename).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,7}", suffix):
        suffix = ""
    stored = f"{video_uuid}{suffix}"
    os.replace(source, settings.originals_dir / stored)
    with db.atomic():
        video = Video.create(
            uuid=video_uuid,
            channel=channel,
            name=fields["name"],
            description=fields.get("description", ""),
            support=fields.get("support", ""),
            tags=fields.get("tags", []),
            category=fields.get("category"),
            licence=fields.get("licence"),
            language=fields.get("language"),
            privacy=fields.get("privacy", Privacy.PUBLIC),
            nsfw=fields.get("nsfw", False),
            comments_enabled=fields.get("commentsEnabled", True),
            download_enabled=fields.get("downloadEnabled", True),
            original_path=stored,
            original_filename=filename[:255],
            original_size=size,
        )
        jobs.enqueue(TRANSCODE_JOB, {"video_id": video.id}, max_attempts=3)
    return video


_FIELD_COLUMNS = {
    "name": "name",
    "description": "description",
    "support": "support",
    "tags": "tags",
    "category": "category",
    "licence": "licence",
    "language": "language",
    "privacy": "privacy",
    "nsfw": "nsfw",
    "commentsEnabled": "comments_enabled",
    "downloadEnabled": "download_enabled",
}


def update_video(video: Video, fields: dict) -> Video:
    """Apply an owner's edits and announce them (`video.updated`)."""
    was_private = video.privacy == Privacy.PRIVATE
    for key, value in fields.items():
        column = _FIELD_COLUMNS.get(key)
        if column:
            setattr(video, column, value)
    video.updated_at = utcnow()
    with db.atomic():
        video.save()
        events.emit("video.updated", video=video, was_private=was_private)
    return video


def media_url(settings: Settings, video: Video, name: str) -> str:
    """Absolute URL of one of the video's HLS files; remote videos keep their origin's URLs."""
    if not video.is_local:
        return name
    return f"{settings.base_url}/static/streaming-playlists/hls/{video.uuid}/{name}"


def image_url(settings: Settings, video: Video, kind: str) -> str | None:
    """Thumbnail or preview URL: our own for local videos, the origin's for remote ones."""
    stored = video.thumbnail if kind == "thumbnails" else video.preview
    if not stored:
        return None
    if not video.is_local:
        return stored
    return f"{settings.base_url}/lazy-static/{kind}/{video.uuid}.jpg"


def storyboard_of(video: Video) -> Storyboard | None:
    return Storyboard.get_or_none(Storyboard.video == video)


def storyboard_json(video: Video, board: Storyboard) -> dict:
    """A storyboard in PeerTube's REST shape (GET /api/v1/videos/{id}/storyboards)."""
    return {
        "storagePath": f"/lazy-static/storyboards/{video.uuid}.jpg",
        "totalHeight": board.height,
        "totalWidth": board.width,
        "spriteHeight": board.tile_height,
        "spriteWidth": board.tile_width,
        "spriteDuration": board.tile_duration,
    }


def hls_dir(settings: Settings, video: Video) -> Path:
    return settings.media_dir / "hls" / str(video.uuid)


def delete_video(settings: Settings, video: Video) -> None:
    """Remove the video, its renditions and its original file. `video.deleted` is announced
    in the same transaction, before the rows go, so listeners can still read them."""
    with db.atomic():
        events.emit("video.deleted", settings=settings, video=video)
        video.delete_instance(recursive=True)
    shutil.rmtree(hls_dir(settings, video), ignore_errors=True)
    if video.original_path:
        (settings.originals_dir / video.original_path).unlink(missing_ok=True)
        originals.forget(settings, video)


def retry_video(video: Video) -> None:
    """Queue a failed video's transcoding again (its original was kept)."""
    with db.atomic():
        Video.update(state=State.UPLOADED, state_error="", progress=0).where(
            Video.id == video.id
        ).execute()
        jobs.enqueue(TRANSCODE_JOB, {"video_id": video.id}, max_attempts=3)


def transcode_video(
    settings: Settings, video_id: int, on_progress: Callable[[float], None] | None = None
) -> None:
    """Turn a video's original into HLS renditions and publish it.

    Safe to run twice: output goes to a temporary folder renamed into place
    when complete, and a published video is left alone. Bad input marks the
    video failed with a message for its owner; the original is kept.
    """
    video = Video.get_or_none(Video.id == video_id)
    if video is None or video.state == State.PUBLISHED:
        return
    Video.update(state=State.TRANSCODING, progress=0, state_error="").where(
        Video.id == video.id
    ).execute()
    hls_root = settings.media_dir / "hls"
    hls_root.mkdir(parents=True, exist_ok=True)
    for stale in hls_root.glob(f".tmp-{video.uuid}-*"):  # left by a killed worker
        shutil.rmtree(stale, ignore_errors=True)
    tmp = hls_root / f".tmp-{video.uuid}-{secrets.token_hex(4)}"
    tmp.mkdir()
    last = [-1]

    def progress(percent: float) -> None:
        value = int(percent)
        if value != last[0]:
            last[0] = value
            Video.update(progress=min(value, 99)).where(Video.id == video.id).execute()
        if on_progress:
            on_progress(percent)

    try:
        result = transcode(
            str(settings.originals_dir / video.original_path),
            str(tmp),
            settings.ladder,
            progress=progress,
        )
    except MediaError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        Video.update(state=State.FAILED, state_error=str(err), progress=0).where(
            Video.id == video.id
        ).execute()
        log.info("video %s failed: %s", video.uuid, err)
        events.emit("video.failed", video=video)
        return
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # Torrents' info dictionaries, from the finished files (still in the temporary folder).
    try:
        torrent_infos = {
            r.height: torrents.hash_file(tmp / r.filename, torrents.file_name(video.name, r.height))
            for r in result.renditions
        }
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    final = hls_dir(settings, video)
    if final.exists():
        shutil.rmtree(final)
    os.rename(tmp, final)
    now = utcnow()
    with db.atomic():
        if not Video.select().where(Video.id == video.id).exists():
            shutil.rmtree(final, ignore_errors=True)  # deleted while we worked
            return
        VideoFile.delete().where(VideoFile.video == video).execute()
        for r in result.renditions:
            VideoFile.create(
                video=video,
                resolution=r.resolution,
                width=r.width,
                height=r.height,
                fps=r.fps,
                size=r.size,
                bandwidth=r.bandwidth,
                codecs=r.codecs,
                filename=r.filename,
                playlist=r.playlist,
                has_audio=r.has_audio,
                has_video=r.has_video,
                infohash=torrent_infos[r.height].infohash,
                torrent_name=torrent_infos[r.height].name,
                piece_length=torrent_infos[r.height].piece_length,
                pieces=torrent_infos[r.height].pieces,
            )
        board = result.storyboard
        save_storyboard(video, board, board.filename if board else "")
        Video.update(
            state=State.PUBLISHED,
            progress=100,
            duration=round(result.duration),
            aspect_ratio=result.aspect_ratio or None,
            hls_master=result.master,
            hls_sha256=result.segments_sha256,
            thumbnail=result.thumbnail,
            preview=result.preview,
            published_at=video.published_at or now,
            updated_at=now,
        ).where(Video.id == video.id).execute()
        events.emit("video.published", video=Video.get_by_id(video.id))
    log.info("video %s published with %d renditions", video.uuid, len(result.renditions))


def _delete_channel_videos(settings: Settings, channel: Channel) -> None:
    """A channel about to be deleted takes its videos with it."""
    for video in list(Video.select().where(Video.channel == channel)):
        delete_video(settings, video)


# Domain events this module reacts to, registered by app/wiring.py: (event, listener).
LISTENERS = [("channel.deleting", _delete_channel_videos)]
