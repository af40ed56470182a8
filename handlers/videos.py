"""Video pages: home, watch, upload, edit, delete, retry, live transcoding state."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import tornado.web

from app import auth, channels, subscriptions, videos
from app.constants import CATEGORIES, LANGUAGES, LICENCES, PRIVACIES
from app.federation import publish, remote
from app.moderation import blocks
from app.share import start_of
from app.social import comment_view
from app.validation import ValidationError, video_fields
from handlers.base import PageHandler, Problem, flatten_arguments, form_arguments, public
from handlers.player import player_context
from handlers.streaming import StreamingUploadMixin, accept_upload, describe_original
from models.videos import Privacy, State, Video

PAGE_SIZE = 24
MORE_VIDEOS = 6  # other videos of the channel under the one watched
CHOICES = {
    "categories": CATEGORIES,
    "licences": LICENCES,
    "languages": LANGUAGES,
    "privacies": PRIVACIES,
}


def channel_handle(channel) -> str:
    return channel.name if channel.is_local else f"{channel.name}@{channel.host}"


def visible_video(handler: PageHandler, ref: str) -> Video:
    video = videos.find_video(ref)
    if video is None or not videos.can_view(video, handler.user):
        raise Problem(404, "This video does not exist, or you may not see it.")
    return video


def render_list(handler: PageHandler, template: str, query, base_url: str, **context) -> None:
    """A page of videos, or only the next page's fragment for HTMX "more" buttons."""
    page_no = handler.int_argument("page", 1, 1, 10_000)
    total, rows = videos.page(query, "-publishedAt", (page_no - 1) * PAGE_SIZE, PAGE_SIZE)
    joiner = "" if base_url.endswith("&") else "?"
    more = f"{base_url}{joiner}page={page_no + 1}" if page_no * PAGE_SIZE < total else None
    if handler.is_htmx() and handler.get_argument("page", None):
        handler.render_fragment("_videos.mako", "grid_page", videos=rows, more=more)
        return
    handler.add_header("Vary", "HX-Request")
    handler.render_page(template, videos=rows, more=more, total=total, **context)


class HomeHandler(PageHandler):
    """Recent videos: from the whole network this server knows, or only its own."""

    read_cached = True

    @public
    def get(self) -> None:
        local = self.get_argument("scope", "") == "local"
        query = videos.listed_query(viewer=self.user)
        if local:
            query = query.where(Video.ap_id.is_null())
        base = "/?scope=local&" if local else "/"
        render_list(self, "home.mako", query, base, only_local=local)  # Mako owns `local`


class WatchHandler(PageHandler):
    read_cached = True

    @public
    def get(self, ref: str) -> None:
        video = visible_video(self, ref)
        files = list(video.files.order_by(videos.VideoFile.resolution.desc()))
        if self.wants_activity_json():
            if not video.is_local or video.privacy == Privacy.PRIVATE or not video.is_published:
                raise Problem(404, "Video not found")
            self.send_activity(publish.video_document(self.shoal, video))
            return
        master_url = videos.media_url(self.shoal, video, video.hls_master)
        if not video.is_local:  # hls.js fetches from the origin server
            self.allow_connect(master_url)
            remote.queue_refresh_if_stale(video)
            self.no_store()  # each view may be the one that refreshes it
        playable = video.is_published and bool(video.hls_master)
        self.render_page(
            "watch.mako",
            video=video,
            files=files,
            master_url=master_url,
            player=player_context(self, video, master_url) if playable else None,
            can_manage=videos.can_manage(video, self.user),
            block=blocks.block_of(video) if video.hidden_here else None,
            avatars=channels.image_urls(self.shoal, video.channel, "avatar"),
            subscribed=self.user is not None
            and subscriptions.is_subscribed(self.shoal, self.user, channel_handle(video.channel)),
            comments=comment_view.page(
                self.shoal,
                video,
                self.user,
                self.int_argument("comments_from", 0),
                self.int_argument("thread", 0),
            ),
            rating=comment_view.rating_of(video, self.user),
            share_start=start_of(self.get_argument("at", ""), self.get_argument("start", "")),
            more_videos=list(
                videos.listed_query(channel=video.channel)
                .where(Video.id != video.id)
                .order_by(Video.published_at.desc(), Video.id.desc())
                .limit(MORE_VIDEOS)
            ),
        )


class VideoStateHandler(PageHandler):
    """The transcoding progress fragment; HTMX polls it until the video is ready."""

    @public
    def get(self, ref: str) -> None:
        video = visible_video(self, ref)
        if video.state == State.PUBLISHED and self.is_htmx():
            self.set_header("HX-Refresh", "true")  # show the player
        self.render_fragment("_state.mako", "state", video=video)


@tornado.web.stream_request_body
class UploadPageHandler(StreamingUploadMixin, PageHandler):
    """The upload form; the POST streams the file to disk."""

    def prepare(self) -> None:
        super().prepare()
        if self.request.method == "POST":
            self.prepare_upload()

    def get(self) -> None:
        self.render_page(
            "upload.mako",
            channels=auth.channels_of(self.user),
            values={},
            errors={},
            quota=videos.quota_summary(self.user),
            **CHOICES,
        )

    def write_error(self, status_code: int, **kwargs) -> None:
        """A refusal before the body is read (size, quota) says why to upload.js too."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if self.request.headers.get("X-Requested-With") != "XMLHttpRequest" or status_code >= 500:
            return super().write_error(status_code, **kwargs)
        self.set_header("Content-Type", "application/problem+json")
        detail = getattr(exc, "detail", None) or "The upload was refused."
        self.finish(json.dumps({"status": status_code, "detail": detail}))

    async def post(self) -> None:
        wants_json = self.request.headers.get("X-Requested-With") == "XMLHttpRequest"
        try:
            video = accept_upload(self, self.finish_upload())
        except Problem as problem:
            if wants_json:
                invalid = {k: m for k, (_, m) in problem.invalid_params.items()}
                body = {"status": problem.status_code, "detail": problem.detail}
                self.set_status(problem.status_code)
                self.set_header("Content-Type", "application/problem+json")
                self.finish(json.dumps({**body, "invalid-params": invalid}))
                return
            raise
        await describe_original(self, video)
        url = f"/w/{videos.short_uuid(video.uuid)}"
        if wants_json:
            self.set_status(201)
            self.set_header("Content-Type", "application/json")
            ids = {"id": video.id, "uuid": str(video.uuid), "shortUUID": url[3:]}
            self.finish(json.dumps({"video": ids, "url": url}))
            return
        self.redirect(url, status=303)


class EditHandler(PageHandler):
    def _video(self, ref: str) -> Video:
        video = visible_video(self, ref)
        if not videos.can_manage(video, self.user):
            raise Problem(403, "Only the video's owner can change it.")
        return video

    def get(self, ref: str) -> None:
        video = self._video(ref)
        values = {
            "name": video.name,
            "description": video.description,
            "tags": ", ".join(video.tags),
            "category": video.category,
            "licence": video.licence,
            "language": video.language,
            "privacy": video.privacy,
            "nsfw": video.nsfw,
        }
        self.render_page("edit.mako", video=video, values=values, errors={}, **CHOICES)

    def post(self, ref: str) -> None:
        video = self._video(ref)
        data = flatten_arguments(form_arguments(self))
        data["nsfw"] = data.get("nsfw") == "on"
        try:
            fields = video_fields(data)
        except ValidationError as err:
            self.set_status(400)
            data["tags"] = ", ".join(data.get("tags") or [])
            self.render_page(
                "edit.mako",
                video=video,
                values=data,
                errors={k: m for k, (_, m) in err.errors.items()},
                **CHOICES,
            )
            return
        videos.update_video(video, fields)
        self.redirect_see_other(f"/w/{videos.short_uuid(video.uuid)}")


class DeleteHandler(PageHandler):
    """Deleting a video: a confirmation page first (a form, no JavaScript needed), then
    back to the owner's videos, or to the channel for a moderator, saying what happened."""

    def _video(self, ref: str) -> Video:
        video = visible_video(self, ref)
        if not videos.can_manage(video, self.user):
            raise Problem(403, "Only the video's owner or a moderator can delete it.")
        return video

    def get(self, ref: str) -> None:
        video = self._video(ref)
        remote = "" if not video.is_local else " Other servers are told to remove it too."
        self.render_page(
            "confirm_delete.mako",
            heading=f"Delete “{video.name}”?",
            consequence=f"The video and its files are removed for good.{remote}",
            action=f"/videos/{video.uuid}/delete",
            fields={},
            button="Delete the video",
            cancel=f"/w/{videos.short_uuid(video.uuid)}",
        )

    def post(self, ref: str) -> None:
        video = self._video(ref)
        if self.get_body_argument("confirm", "") != "yes":
            self.get(ref)  # a form from elsewhere: ask first
            return
        owner = video.channel.account.user_id == self.user.id
        videos.delete_video(self.shoal, video)
        done = urlencode({"deleted": video.name})
        if owner:
            self.redirect_see_other(f"/my-videos?{done}")
        else:
            self.redirect_see_other(f"/c/{channel_handle(video.channel)}?{done}")


class RetryHandler(PageHandler):
    def post(self, ref: str) -> None:
        video = visible_video(self, ref)
        if not videos.can_manage(video, self.user):
            raise Problem(403, "Only the video's owner or an admin can retry it.")
        if video.state != State.FAILED:
            raise Problem(409, "Only a failed video can be retried.")
        videos.retry_video(video)
        self.redirect_see_other(f"/w/{videos.short_uuid(video.uuid)}")


class MyVideosHandler(PageHandler):
    def get(self) -> None:
        account = auth.account_of(self.user)
        query = videos.listed_query(account=account, viewer=self.user)
        deleted = self.get_argument("deleted", "")[:120]
        render_list(self, "my_videos.mako", query, "/my-videos", deleted=deleted)


REF = r"(?P<ref>[A-Za-z0-9-]{1,36})"

ROUTES = [
    (r"/", HomeHandler),
    (r"/videos/upload", UploadPageHandler),
    (r"/my-videos", MyVideosHandler),
    (rf"/w/{REF}", WatchHandler),
    (rf"/videos/watch/{REF}", WatchHandler),
    (rf"/videos/{REF}/state", VideoStateHandler),
    (rf"/videos/{REF}/edit", EditHandler),
    (rf"/videos/{REF}/delete", DeleteHandler),
    (rf"/videos/{REF}/retry", RetryHandler),
]
