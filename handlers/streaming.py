"""Mixin for handlers that stream a multipart upload straight to disk.

Used with @tornado.web.stream_request_body: the body is parsed as it arrives
and the file part is written to SHOAL_DATA/uploads, so memory stays flat
whatever the file's size. Size and quota are checked before the body is read
when Content-Length allows, and again as bytes arrive.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from app import auth, originals, videos
from app.constants import VIDEO_EXTENSIONS, VIDEO_MIME_PREFIXES
from app.multipart import MultipartError, MultipartParser
from app.validation import ValidationError, video_fields
from handlers.base import BaseHandler, Problem, flatten_arguments
from models.accounts import Channel

log = logging.getLogger(__name__)

FORM_OVERHEAD = 1024 * 1024  # room for the text fields around the file


class CloseOnErrorMixin(BaseHandler):
    """An error answered before a streamed body was read ends the connection.

    Clients must not reuse a connection whose request body the server never
    read; saying so avoids resets on their next request.
    """

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Connection", "close")
        super().write_error(status_code, **kwargs)


class StreamingUploadMixin(CloseOnErrorMixin):
    """Parse a multipart body incrementally; the file lands in `self.upload_path`."""

    upload_field = "videofile"
    upload_path: Path | None = None
    upload_file: BinaryIO | None = None

    def prepare_upload(self) -> None:
        """Call from prepare() once the user is known."""
        self.upload_path: Path | None = None
        self.upload_file: BinaryIO | None = None
        self.upload_filename = ""
        self.upload_type = ""
        self.upload_error: Problem | None = None
        self.received = 0
        limit = self.shoal.max_upload_size + FORM_OVERHEAD
        self.request.connection.set_max_body_size(limit)
        self.body_limit = limit
        length = int(self.request.headers.get("Content-Length") or 0)
        if length > limit:
            raise Problem(
                413, "The file is too large for this server.", headers={"Connection": "close"}
            )
        if self.user is not None and length:
            try:
                videos.check_quota(self.user, max(length - FORM_OVERHEAD, 0))
            except videos.QuotaError as err:
                raise Problem(413, str(err), headers={"Connection": "close"}) from None
        ctype = self.request.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            raise Problem(400, "The upload must be sent as multipart/form-data.")
        try:
            self.parser = MultipartParser(ctype, self._sink)
        except MultipartError as err:
            raise Problem(400, str(err)) from None

    def _sink(self, field: str, filename: str, content_type: str) -> BinaryIO:
        if field != self.upload_field or self.upload_file is not None:
            return open(os.devnull, "wb")  # noqa: SIM115 - closed by the parser's owner
        self.shoal.upload_dir.mkdir(parents=True, exist_ok=True)
        self.upload_path = self.shoal.upload_dir / f"form-{secrets.token_hex(12)}.part"
        self.upload_filename = filename
        self.upload_type = content_type
        self.upload_file = open(self.upload_path, "wb")  # noqa: SIM115
        return self.upload_file

    def data_received(self, chunk: bytes) -> None:
        if self.upload_error is not None:
            return
        self.received += len(chunk)
        if self.received > self.body_limit:
            self.upload_error = Problem(413, "The file is too large for this server.")
            return
        try:
            self.parser.feed(chunk)
        except MultipartError as err:
            self.upload_error = Problem(400, str(err))

    def finish_upload(self) -> dict:
        """The form's fields once the whole body arrived; raises Problem on bad input."""
        if self.upload_file is not None:
            self.upload_file.close()
        if self.upload_error is None:
            try:
                self.parser.close()
            except MultipartError as err:
                self.upload_error = Problem(400, str(err))
        if self.upload_error is not None:
            self.discard_upload()
            raise self.upload_error
        return flatten_arguments(self.parser.fields)

    def discard_upload(self) -> None:
        if self.upload_file is not None and not self.upload_file.closed:
            self.upload_file.close()
        if self.upload_path is not None:
            self.upload_path.unlink(missing_ok=True)

    def on_connection_close(self) -> None:
        self.discard_upload()  # the client went away mid-upload
        super().on_connection_close()


def accept_upload(handler: StreamingUploadMixin, data: dict):
    """Turn a finished form upload plus its fields into a new video, or raise Problem."""
    try:
        if handler.upload_path is None:
            raise Problem(
                400,
                "Incorrect request parameters: videofile",
                invalid_params={"videofile": (None, "Should have a file")},
            )
        return create_from_file(
            handler, handler.upload_path, handler.upload_filename, handler.upload_type, data
        )
    finally:
        handler.discard_upload()


async def describe_original(handler: BaseHandler, video) -> None:
    """Probe and hash a new video's original in a thread before answering, so that its
    `files[0]` carries a torrent from the upload's answer on (see app/originals.py)."""
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, originals.describe, handler.shoal, video
        )
    except Exception:  # the video exists: answer for it; its file entry lacks a torrent
        log.exception("could not describe the original of %s", video.uuid)


def create_from_file(handler: BaseHandler, path: Path, filename: str, mime: str, data: dict):
    """Check type, fields, channel and quota, then adopt the file as a new video."""
    name_ok = Path(filename).suffix.lower() in VIDEO_EXTENSIONS
    type_ok = mime.startswith(VIDEO_MIME_PREFIXES)
    if not (name_ok or type_ok) or (mime == "application/octet-stream" and not name_ok):
        raise Problem(
            415,
            "This file is not supported. Please, make sure it is of the following type: "
            + ", ".join(VIDEO_EXTENSIONS),
        )
    if path.stat().st_size == 0:
        raise Problem(
            400,
            "Incorrect request parameters: videofile",
            invalid_params={"videofile": (filename, "The file is empty")},
        )
    if not data.get("name"):
        data["name"] = Path(filename).stem[:120]
    try:
        fields = video_fields(data)
    except ValidationError as err:
        raise Problem(400, str(err), invalid_params=err.errors) from None
    channels = auth.channels_of(handler.user)
    channel: Channel | None = channels[0] if channels else None
    if data.get("channelId") not in (None, ""):
        wanted = str(data["channelId"])
        channel = next((c for c in channels if str(c.id) == wanted), None)
        if channel is None:
            raise Problem(400, 'Unknown video "video channel" for this instance.')
    try:
        return videos.create_video(handler.shoal, handler.user, channel, fields, path, filename)
    except videos.QuotaError as err:
        raise Problem(413, str(err)) from None
