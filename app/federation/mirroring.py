"""Mirroring other servers' videos: this server copies a remote video's HLS files,
serves them under its own URLs, and tells the origin with Create{CacheFile} (PeerTube's
redundancy), withdrawn with Undo when the copy is removed.

The copy is made by a job: the master and variant playlists are read from the origin,
each fragmented MP4 they name is streamed to disk, and every byte range listed in the
origin's segments-sha256.json is checked; only then does the copy replace nothing and
become visible (a partial or wrong copy is never served). Served at
/static/redundancy/hls/{uuid}/, announced as {server}/redundancy/streaming-playlists/hls/{uuid}
as PeerTube names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

from app import jobs
from app.federation import actors, fetch
from app.federation.delivery import queue_activity
from app.federation.objects import activity
from app.serialize import iso
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel
from models.federation import Actor
from models.redundancy import Mirror
from models.videos import Privacy, State, Video, VideoFile

log = logging.getLogger(__name__)

MIRROR_JOB = "mirror-video"
LIFETIME = dt.timedelta(days=7)  # announced expiry; extended while the copy is kept
MAX_FILE = 20 * 1024**3  # bytes of one rendition
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MAP = re.compile(r'#EXT-X-MAP:URI="([^"]+)"')


class MirrorError(ValueError):
    """A mirror refused or a copy that failed; the message says why (for the admin)."""


def folder(settings: Settings, video: Video) -> Path:
    return settings.media_dir / "mirrors" / str(video.uuid)


def cache_file_id(settings: Settings, video: Video) -> str:
    return f"{settings.base_url}/redundancy/streaming-playlists/hls/{video.uuid}"


def base_url(settings: Settings, video: Video) -> str:
    return f"{settings.base_url}/static/redundancy/hls/{video.uuid}"


def ours(video: Video) -> Mirror | None:
    """This server's copy of a remote video, if it has one (in any state)."""
    return Mirror.get_or_none((Mirror.video == video) & (Mirror.actor == actors.server_actor()))


def request(settings: Settings, video: Video, strategy: str = "manual") -> Mirror:
    """Mirror a remote video (the admin asked, or a strategy chose it): a row, and the
    job that copies it."""
    if video.is_local:
        raise MirrorError("This video is this server's own: there is nothing to mirror.")
    if video.state != State.PUBLISHED or not video.hls_master or video.privacy != Privacy.PUBLIC:
        raise MirrorError("Only a published public video with HLS files can be mirrored.")
    if ours(video) is not None:
        raise MirrorError("This server mirrors this video already.")
    mirror = Mirror.create(
        video=video,
        actor=actors.server_actor(),
        ap_id=cache_file_id(settings, video),
        file_url=base_url(settings, video),
        expires_at=utcnow() + LIFETIME,
        state="copying",
        strategy=strategy,
    )
    jobs.enqueue(MIRROR_JOB, {"mirror_id": mirror.id}, max_attempts=3)
    return mirror


def _name(uri: str) -> str:
    """A file name a playlist refers to: plain names beside the playlist, nothing else."""
    name = uri.split("?")[0].rsplit("/", 1)[-1]
    if not _NAME.match(name) or name.startswith("."):
        raise MirrorError(f"The origin's playlist names a file Shoal will not copy: {uri[:200]}")
    return name


def _uris(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    return [*_MAP.findall(text), *(line for line in lines if line and not line.startswith("#"))]


def copy(settings: Settings, video: Video, dest: Path) -> int:
    """Copy a remote video's HLS files into `dest` (made here), checked; their size."""
    dest.mkdir(parents=True)
    master_url = video.hls_master
    master = fetch.fetch_bytes(settings, master_url).decode("utf-8", "replace")
    hashes = json.loads(fetch.fetch_bytes(settings, video.hls_sha256))
    (dest / _name(master_url)).write_text(master)
    (dest / _name(video.hls_sha256)).write_text(json.dumps(hashes))
    media: set[str] = set()
    for uri in dict.fromkeys(_uris(master)):
        variant_url = urljoin(master_url, uri)
        variant = fetch.fetch_bytes(settings, variant_url).decode("utf-8", "replace")
        (dest / _name(uri)).write_text(variant)
        media |= {_name(u) for u in _uris(variant)}
    size = 0
    for name in sorted(media):
        path = dest / name
        size += fetch.fetch_to_file(settings, urljoin(master_url, name), str(path), MAX_FILE)
        _check(path, hashes.get(name))
    return size


def _check(path: Path, ranges: dict | None) -> None:
    """Every segment of a copied file must hash as the origin says."""
    if not isinstance(ranges, dict) or not ranges:
        raise MirrorError(f"The origin gives no segment hashes for {path.name}.")
    with open(path, "rb") as handle:
        for span, expected in ranges.items():
            first, last = (int(x) for x in span.split("-"))
            handle.seek(first)
            if hashlib.sha256(handle.read(last - first + 1)).hexdigest() != expected:
                raise MirrorError(f"{path.name} bytes {span} do not match the origin's hash.")


def run_job(settings: Settings, payload: dict) -> None:
    """The `mirror-video` job: copy, check, publish the copy, tell the origin."""
    mirror = Mirror.get_or_none(Mirror.id == payload["mirror_id"])
    if mirror is None or mirror.state == "ready":
        return
    video = Video.get_by_id(mirror.video_id)
    final = folder(settings, video)
    tmp = final.with_name(f".{final.name}.part")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        size = copy(settings, video, tmp)
    except (MirrorError, fetch.FetchError, ValueError, OSError) as err:
        shutil.rmtree(tmp, ignore_errors=True)
        Mirror.update(state="failed", error=str(err)[:2000]).where(Mirror.id == mirror.id).execute()
        log.warning("mirror of %s failed: %s", video.ap_id, err)
        return
    with db.atomic():
        kept = (
            Mirror.update(state="ready", error="", size=size, updated_at=utcnow())
            .where(Mirror.id == mirror.id)
            .execute()
        )
        if kept:
            shutil.rmtree(final, ignore_errors=True)
            tmp.rename(final)
    if not kept:  # removed while it was being copied (by the admin, or a strategy)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    log.info("mirrored %s: %d bytes", video.ap_id, size)
    announce(settings, Mirror.get_by_id(mirror.id), "Create")


def cache_file(settings: Settings, mirror: Mirror) -> dict:
    """The CacheFile of this server's copy, as PeerTube writes it."""
    video = Video.get_by_id(mirror.video_id)
    return {
        "id": mirror.ap_id,
        "type": "CacheFile",
        "object": video.ap_id,
        "expires": iso(mirror.expires_at),
        "url": {"type": "Link", "mediaType": "application/x-mpegURL", "href": mirror.file_url},
    }


def _origin_inboxes(video: Video) -> set[str]:
    channel = Channel.get_by_id(video.channel_id)
    account = Account.get_by_id(channel.account_id)
    owners = [a for a in (channel.actor, account.actor) if a is not None]
    return {actors.inbox_of(a) for a in owners}


def announce(settings: Settings, mirror: Mirror, kind: str) -> None:
    """Create, Update or Undo of this server's CacheFile, to the video's origin."""
    video = Video.get_by_id(mirror.video_id)
    server = actors.server_actor()
    server_url = actors.actor_url(settings, server)
    obj = cache_file(settings, mirror)
    audience = {"to": [actors.PUBLIC], "cc": [f"{server_url}/followers"]}
    if kind == "Undo":  # PeerTube undoes the Create{CacheFile}, not the CacheFile itself
        obj = activity("Create", server_url, obj, activity_id=mirror.ap_id, **audience)
    suffix = {"Create": "", "Update": f"/updates/{iso(utcnow())}", "Undo": "/undo"}[kind]
    body = activity(kind, server_url, obj, activity_id=f"{mirror.ap_id}{suffix}", **audience)
    queue_activity(server, body, _origin_inboxes(video))


def remove(settings: Settings, mirror: Mirror) -> None:
    """Stop mirroring: Undo to the origin first, then the files and the row go."""
    video = Video.get_by_id(mirror.video_id)
    if mirror.state == "ready":
        announce(settings, mirror, "Undo")
    mirror.delete_instance()
    shutil.rmtree(folder(settings, video), ignore_errors=True)


EXTEND_BEFORE = dt.timedelta(days=1)  # a copy's announcement is renewed this long before


def extend_due(settings: Settings) -> int:
    """Renew the announcement of every copy that expires within EXTEND_BEFORE: a later
    expiry, told to the origin with Update{CacheFile}. Safe twice (a renewed copy is
    no longer due)."""
    due = list(  # read before writing (see redundancy.allow_host)
        Mirror.select().where(
            (Mirror.actor == actors.server_actor())
            & (Mirror.state == "ready")
            & (Mirror.expires_at < utcnow() + EXTEND_BEFORE)
        )
    )
    renewed = 0
    for mirror in due:
        Mirror.update(expires_at=utcnow() + LIFETIME, updated_at=utcnow()).where(
            Mirror.id == mirror.id
        ).execute()
        announce(settings, Mirror.get_by_id(mirror.id), "Update")
        renewed += 1
    return renewed


def copies() -> list[Mirror]:
    """This server's copies of remote videos, newest first."""
    return list(
        Mirror.select().where(Mirror.actor == actors.server_actor()).order_by(Mirror.id.desc())
    )


def of_remote_servers() -> list[Mirror]:
    """Other servers' copies of local videos, newest first."""
    return list(
        Mirror.select(Mirror)
        .join(Actor, on=Mirror.actor == Actor.id)
        .switch(Mirror)
        .join(Video, on=Mirror.video == Video.id)
        .where((Actor.host != "") & Video.ap_id.is_null())
        .order_by(Mirror.id.desc())
    )


def files_size(video: Video) -> int:
    return sum(f.size for f in VideoFile.select(VideoFile.size).where(VideoFile.video == video))
