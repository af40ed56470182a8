"""Resumable uploads (PeerTube's upload-resumable protocol), stored on disk.

A session is a row plus the file uploads/<upload_id>. The bytes on disk are the
truth for how much arrived, so an upload resumes after a server restart, even
one that happened mid-chunk.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from app.settings import Settings
from models import utcnow
from models.accounts import User
from models.uploads import Upload


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
    """A new session, or the unfinished one for the same file (a client restarting)."""
    existing = (
        Upload.select()
        .where(
            (Upload.user == user)
            & (Upload.filename == filename)
            & (Upload.size == size)
            & Upload.video_id.is_null()
        )
        .first()
    )
    if existing is not None:
        existing.metadata = json.dumps(meta)
        existing.save()
        return existing
    settings.upload_dir.mkdir(parents=True, exist_ok=True)
    upload = Upload.create(
        upload_id=secrets.token_hex(16),
        user=user,
        filename=filename[:255],
        mime_type=mime[:100],
        size=size,
        metadata=json.dumps(meta),
    )
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
    fh = open(path_of(settings, upload), "r+b")  # noqa: SIM115 - the handler closes it
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
