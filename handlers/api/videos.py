"""/api/v1/videos: list, get, edit, delete, description, views, multipart upload."""

from __future__ import annotations

import tornado.web

from app import serialize, videos
from app.social.views import ViewCounter
from app.validation import ValidationError, video_fields
from handlers.base import APIHandler, Problem, bad_query, invalid, public
from handlers.streaming import StreamingUploadMixin, accept_upload, describe_original
from models.videos import Video


def video_or_problem(handler: APIHandler, ref: str) -> Video:
    """The video named by id, UUID or shortUUID, if this user may see it."""
    if videos.parse_ref(ref) is None:
        raise Problem(
            400,
            "Incorrect request parameters: id",
            invalid_params={"id": (ref, "Should have a valid video id (id, short UUID or UUID)")},
            location="params",
        )
    video = videos.find_video(ref)
    if video is None or not videos.can_view(video, handler.user):
        raise Problem(404, "Video not found")
    return video


class VideosHandler(APIHandler):
    """GET /api/v1/videos: published public videos, PeerTube's paging and sorts."""

    read_cached = True

    @public
    def get(self) -> None:
        start = self.int_argument("start", 0)
        count = self.int_argument("count", 15, 1, 100)
        sort = self.get_argument("sort", "-publishedAt")
        if not videos.known_sort(sort):
            raise bad_query("sort", sort, "Should have correct sortable column")
        query = videos.listed_query(viewer=self.user)
        if self.get_argument("isLocal", None) == "true":
            query = query.where(Video.ap_id.is_null())
        total, rows = videos.page(query, sort, start, count)
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})


class VideoHandler(APIHandler):
    """GET, PUT and DELETE /api/v1/videos/{id|uuid|shortUUID}."""

    read_cached = True

    @public
    def get(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        self.send(serialize.video_json(self.shoal, video, details=True))

    def put(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        if not videos.can_manage(video, self.user):
            raise Problem(403, "Cannot manage a video of another user.")
        try:
            fields = video_fields(self.json_body(), partial=True)
        except ValidationError as err:
            raise invalid(err) from None
        videos.update_video(video, fields)
        self.no_content()

    def delete(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        if not videos.can_manage(video, self.user):
            raise Problem(403, "Cannot remove a video of another user.")
        videos.delete_video(self.shoal, video)
        self.no_content()


class DescriptionHandler(APIHandler):
    read_cached = True

    @public
    def get(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        self.send({"description": video.description or None})


class ViewHandler(APIHandler):
    """POST /api/v1/videos/{id}/views: one view per viewer and video per hour, written to
    the database in batches (app/social/views.py)."""

    def check_xsrf_cookie(self) -> None:
        pass  # an anonymous counter: nothing to forge

    @public
    def post(self, ref: str) -> None:
        counter: ViewCounter = self.application.settings["view_counter"]
        video_id = counter.known(ref)
        if video_id is None:
            video = video_or_problem(self, ref)
            counter.remember(ref, video)
            video_id = video.id
        counter.add(video_id, self.client_ip())
        self.no_content()


@tornado.web.stream_request_body
class UploadHandler(StreamingUploadMixin, APIHandler):
    """POST /api/v1/videos/upload: multipart, the file streamed to disk."""

    def prepare(self) -> None:
        super().prepare()
        self.prepare_upload()

    async def post(self) -> None:
        video = accept_upload(self, self.finish_upload())
        await describe_original(self, video)
        self.send(
            {
                "video": {
                    "id": video.id,
                    "shortUUID": videos.short_uuid(video.uuid),
                    "uuid": str(video.uuid),
                }
            }
        )


ROUTES = [
    (r"/api/v1/videos", VideosHandler),
    (r"/api/v1/videos/upload", UploadHandler),
    (r"/api/v1/videos/(?P<ref>[^/]+)/description", DescriptionHandler),
    (r"/api/v1/videos/(?P<ref>[^/]+)/views", ViewHandler),
    (r"/api/v1/videos/(?P<ref>(?!upload)[^/]+)", VideoHandler),
]
