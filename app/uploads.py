"""Resumable uploads (PeerTube's upload-resumable protocol), stored on disk.

A session is a row plus the file uploads/resumable-<upload_id>. The bytes on
disk are the truth for how much arrived, so an upload resumes after a server
restart, even one that happened mid-chunk.

A session's announced size counts against the user's quota from its start
(app/videos.py check_quota), and a session nobody sent a chunk to for a day
expires (`expire_idle`, swept by the workers), so abandoned sessions cannot
fill the disk. `remove_leftovers` deletes the files that nothing owns any
more, such as the multipart parts of a web process that was killed mid-upload.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import time
from pathlib import Path

from app import videos
from app.db import dialect
from app.settings import Settings
from models import db, utcnow
from models.accounts import User
from models.uploads import Upload

log = logging.getLogger(__name__)

# PeerTube drops a resumable upload nobody has sent a chunk to for a day.
IDLE_LIFETIME = dt.timedelta(days=1)
# A multipart upload writes its part file as the bytes arrive; one not written to for
# this long has no live request behind it (its web process was killed). Several web
# processes may share the folder, so a fresh part may be another one's upload.
LEFTOVER_AGE = dt.timedelta(hours=1)


class UploadError(ValueError):
    """A request that does not fit the session; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def path_of(settings: Settings, upload: Upload) -> Path:
    return settings.upload_dir / f"resumable-{upload.upload_id}"


def start(
    settings: Settings, user: User, filename: str, size: int, mime: str, meta: dict
) -> Upload:
    """A new session, or the unfinished one for the same file (a client restarting).

    A new session must fit in the quota with the user's videos and other open sessions
    (videos.QuotaError otherwise); the user's row is locked meanwhile, so sessions
    started at the same moment cannot all squeeze into the same free space.
    """
    with db.atomic():
        if dialect() == "postgres":  # SQLite transactions take the write lock at once
            User.select(User.id).where(User.id == user.id).for_update().execute()
        existing = (
            Upload.select()
            .where(
                (Upload.user == user)
                & (Upload.filename == filename[:255])
                & (Upload.size == size)
                & Upload.video_id.is_null()
            )
            .first()
        )
        if existing is not None:
            existing.metadata = json.dumps(meta)
            existing.updated_at = utcnow()
            existing.save()
            return existing
        videos.check_quota(user, size)
        upload = Upload.create(
            upload_id=secrets.token_hex(16),
            user=user,
            filename=filename[:255],
            mime_type=mime[:100],
            size=size,
            metadata=json.dumps(meta),
        )
    # The file comes after the row is committed: a file without a row is a leftover.
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    path_of(settings, upload).touch()
    return upload


def find(user: User, upload_id: str) -> Upload | None:
    return Upload.get_or_none((Upload.upload_id == upload_id) & (Upload.user == user))


def received(settings: Settings, upload: Upload) -> int:
    try:
        return min(path_of(settings, upload).stat().st_size, upload.size)
    except FileNotFoundError:
        return 0


def open_chunk(settings: Settings, upload: Upload, start_at: int, end: int, total: int):
    """Check a Content-Range against the session; return a file positioned for writing."""
    if total != upload.size:
        raise UploadError(400, "Content-Range total does not match the announced size.")
    have = received(settings, upload)
    if start_at != have:
        raise UploadError(409, f"Expected the chunk starting at byte {have}.")
    if end >= total or end < start_at:
        raise UploadError(416, "Content-Range is out of bounds.")
    # A chunk arriving keeps the session alive, however long it takes to arrive.
    Upload.update(updated_at=utcnow()).where(Upload.id == upload.id).execute()
    fd = os.open(path_of(settings, upload), os.O_RDWR | os.O_CREAT, 0o600)
    fh = os.fdopen(fd, "r+b")  # the handler closes it
    fh.truncate(have)
    fh.seek(have)
    return fh


def touch(upload: Upload, have: int) -> None:
    Upload.update(received=have, updated_at=utcnow()).where(Upload.id == upload.id).execute()


def cancel(settings: Settings, upload: Upload) -> None:
    path_of(settings, upload).unlink(missing_ok=True)
    upload.delete_instance()


def metadata(upload: Upload) -> dict:
    return json.loads(upload.metadata or "{}")


def mark_done(settings: Settings, upload: Upload, video_id: int) -> None:
    Upload.update(video_id=video_id, received=upload.size, updated_at=utcnow()).where(
        Upload.id == upload.id
    ).execute()
    # the file itself now belongs to the video (moved by create_video)
    if path_of(settings, upload).exists():
        os.unlink(path_of(settings, upload))


def expire_idle(settings: Settings, now: dt.datetime | None = None) -> int:
    """Delete the sessions nobody sent a chunk to for IDLE_LIFETIME, with their files;
    the number deleted. Finished sessions (kept to answer a retried last chunk) go too.

    Safe to run twice, and from several workers at once: each row is deleted by one
    of them, which then removes its file; a chunk arriving meanwhile keeps its session.
    """
    cutoff = (now or utcnow()) - IDLE_LIFETIME
    expired = 0
    for upload in list(Upload.select().where(Upload.updated_at < cutoff)):  # read, then write
        deleted = (
            Upload.delete().where((Upload.id == upload.id) & (Upload.updated_at < cutoff)).execute()
        )
        if deleted:
            path_of(settings, upload).unlink(missing_ok=True)
            expired += 1
    return expired


def remove_leftovers(settings: Settings) -> list[str]:
    """Delete the files in uploads/ that nothing owns; the names deleted.

    Those are the multipart parts (form-*.part) not written to for LEFTOVER_AGE (their
    web process was killed mid-upload), and session files whose session is gone. A
    session's own file is never touched here, however old: it resumes.
    """
    folder = settings.upload_dir
    if not folder.is_dir():
        return []
    stale_before = time.time() - LEFTOVER_AGE.total_seconds()
    candidates = [
        path
        for path in folder.iterdir()
        if path.name.startswith("resumable-")
        or (path.name.startswith("form-") and path.name.endswith(".part"))
    ]
    if not candidates:
        return []
    live = {f"resumable-{upload_id}" for (upload_id,) in Upload.select(Upload.upload_id).tuples()}
    removed = []
    for path in candidates:
        if path.name in live:
            continue
        try:
            if path.stat().st_mtime > stale_before:
                continue
        except FileNotFoundError:
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    if removed:
        log.info("removed %d upload files that no upload owns", len(removed))
    return removed
