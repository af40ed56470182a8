"""/api/v1/videos/upload-resumable: PeerTube's resumable upload.

POST starts a session (201 + Location with upload_id), each PUT carries a
Content-Range chunk streamed to disk (308 + Range until complete, then 200
with the video), PUT with `bytes */total` asks how much arrived, DELETE
cancels.
"""

from __future__ import annotations

import re

import tornado.httputil
import tornado.web

from app import uploads, videos
from app.uploads import UploadError
from handlers.base import APIHandler, Problem
from handlers.streaming import CloseOnErrorMixin, create_from_file, describe_original

_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")
_QUERY = re.compile(r"^bytes \*/(\d+)$")


@tornado.web.stream_request_body
class ResumableUploadHandler(CloseOnErrorMixin, APIHandler):
    chunk = None
    session = None
    misplaced = False

    def prepare(self) -> None:
        super().prepare()
        if self.request.method == "POST":
            self.request.connection.set_max_body_size(1024 * 1024)
            self.post_body = bytearray()
            return
        upload_id = self.get_query_argument("upload_id", "")
        self.session = uploads.find(self.user, upload_id)
        if self.session is None:
            raise Problem(404, "Upload session not found.")
        if self.request.method != "PUT":
            return
        header = self.request.headers.get("Content-Range", "")
        if self.session.video_id is not None or _QUERY.match(header):
            return
        match = _RANGE.match(header)
        if not match:
            raise Problem(400, "A chunk needs a Content-Range: bytes start-end/total header.")
        start, end, total = (int(x) for x in match.groups())
        length = int(self.request.headers.get("Content-Length") or 0)
        if length != end - start + 1:
            raise Problem(400, "Content-Length does not match Content-Range.")
        self.request.connection.set_max_body_size(length)
        try:
            self.chunk = uploads.open_chunk(self.shoal, self.session, start, end, total)
        except UploadError as err:
            if err.status != 409:
                raise Problem(err.status, str(err)) from None
            # Read and drop the misplaced chunk, then say where to resume (an
            # answer before the body is read would reset the connection).
            self.misplaced = True

    def data_received(self, chunk: bytes) -> None:
        if self.chunk is not None:
            self.chunk.write(chunk)
        elif self.request.method == "POST":
            self.post_body.extend(chunk)

    def on_connection_close(self) -> None:
        if self.chunk is not None:
            self.chunk.close()  # what arrived is kept: the client resumes from there
        super().on_connection_close()

    def post(self) -> None:
        self.request.body = bytes(self.post_body)
        data = self.json_body()
        if not data:
            self.request.body_arguments = {}
            try:
                tornado.httputil.parse_body_arguments(
                    self.request.headers.get("Content-Type", ""),
                    self.request.body,
                    self.request.body_arguments,
                    {},
                    self.request.headers,
                )
            except tornado.httputil.HTTPInputError as err:  # e.g. multipart with no boundary
                raise Problem(400, f"The request body cannot be read: {err}") from None
            data = self.json_body()
        try:
            size = int(self.request.headers.get("X-Upload-Content-Length", ""))
        except ValueError:
            raise Problem(400, "X-Upload-Content-Length header is required.") from None
        if size <= 0:
            raise Problem(400, "The file is empty.")
        if size > self.shoal.max_upload_size:
            raise Problem(413, "The file is too large for this server.")
        filename = str(data.get("filename") or data.get("name") or "video")
        mime = self.request.headers.get("X-Upload-Content-Type", "")
        try:
            session = uploads.start(self.shoal, self.user, filename, size, mime, data)
        except videos.QuotaError as err:
            raise Problem(413, str(err)) from None
        self.set_header(
            "Location",
            f"//{self.shoal.host}/api/v1/videos/upload-resumable?upload_id={session.upload_id}",
        )
        self.set_header("Upload-Id", session.upload_id)
        self.send({}, status=201)

    def _resume_status(self) -> None:
        have = uploads.received(self.shoal, self.session)
        self.set_status(308)
        self.clear_header("Content-Type")
        if have:
            self.set_header("Range", f"bytes=0-{have - 1}")
        self.finish()

    async def put(self) -> None:
        session = self.session
        if session.video_id is not None:  # the last chunk arrived before; answer the same
            return self._done(session.video_id)
        if self.misplaced:
            return self._resume_status()
        if self.chunk is not None:
            self.chunk.close()
        have = uploads.received(self.shoal, session)
        uploads.touch(session, have)
        if have < session.size:
            return self._resume_status()
        path = uploads.path_of(self.shoal, session)
        try:
            video = create_from_file(
                self, path, session.filename, session.mime_type, uploads.metadata(session)
            )
        except Problem:
            uploads.cancel(self.shoal, session)
            raise
        uploads.mark_done(self.shoal, session, video.id)
        await describe_original(self, video)
        self._done(video.id)

    def _done(self, video_id: int) -> None:
        video = videos.find_video(str(video_id))
        if video is None:
            raise Problem(404, "Video not found")
        self.send(
            {
                "video": {
                    "id": video.id,
                    "shortUUID": videos.short_uuid(video.uuid),
                    "uuid": str(video.uuid),
                }
            }
        )

    def delete(self) -> None:
        uploads.cancel(self.shoal, self.session)
        self.no_content()


ROUTES = [(r"/api/v1/videos/upload-resumable", ResumableUploadHandler)]
