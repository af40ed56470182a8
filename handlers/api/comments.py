"""/api/v1/videos/{id}/comment-threads and /comments: PeerTube's comment API.

Threads are listed and read by anyone who may see the video; writing needs a
signed-in user. Refusals come from app/social/comments.py (CommentError) and
reach the client as PeerTube's problem JSON; nothing is written then.
"""

from __future__ import annotations

from app import auth, serialize_comments
from app.social import comments
from handlers.api.listings import COMMENT_THREAD_SORTS
from handlers.api.videos import video_or_problem
from handlers.base import APIHandler, Problem, public
from models.social import Comment
from models.videos import Video


def comment_or_problem(video: Video, raw_id: str, *, what: str = "Video comment") -> Comment:
    """A comment of this video; 400 if it belongs to another video (as PeerTube), else 404."""
    comment = Comment.get_or_none(Comment.id == int(raw_id)) if len(raw_id) < 10 else None
    if comment is None:
        raise Problem(404, f"{what} not found")
    if comment.video_id != video.id:
        raise Problem(400, f"{what} is not associated to this video.")
    return comment


class CommentWriter(APIHandler):
    """Posting a comment or a reply: the text checked, refusals in PeerTube's shape."""

    def post_comment(self, video: Video, parent: Comment | None = None) -> None:
        text = self.json_body().get("text")
        try:
            comments.check_text(text)
        except comments.CommentError as err:
            raise Problem(400, str(err), invalid_params={"text": (text, str(err))}) from None
        if parent is not None and parent.is_deleted:
            raise Problem(409, "Cannot reply to a deleted comment.")
        try:
            comment = comments.post(video, auth.account_of(self.user), text, parent=parent)
        except comments.CommentError as err:
            raise Problem(err.status, str(err)) from None
        self.send({"comment": serialize_comments.comment_json(self.shoal, comment, video=video)})


class CommentThreadsHandler(CommentWriter):
    """GET (a page of threads) and POST (a new thread) /api/v1/videos/{id}/comment-threads."""

    read_cached = True

    @public
    def get(self, ref: str) -> None:
        video = video_or_problem(self, ref)
        start, count, sort = self.paging(COMMENT_THREAD_SORTS, "-createdAt")
        if sort not in comments.THREAD_SORTS:
            sort = (
                "-createdAt"  # -totalReplies, createdAt, -createdAt; others as PeerTube's default
            )
        if not video.comments_enabled:  # PeerTube lists nothing then
            self.send({"total": 0, "data": [], "totalNotDeletedComments": 0})
            return
        viewer = self.user.id if self.user else None
        self.send(serialize_comments.threads_json(self.shoal, video, start, count, sort, viewer))

    def post(self, ref: str) -> None:
        self.post_comment(video_or_problem(self, ref))


class CommentThreadHandler(APIHandler):
    """GET /api/v1/videos/{id}/comment-threads/{threadId}: the thread as a tree."""

    read_cached = True

    @public
    def get(self, ref: str, thread_id: str) -> None:
        video = video_or_problem(self, ref)
        root = comment_or_problem(video, thread_id, what="Video comment thread")
        if root.thread_id is not None:
            raise Problem(404, "Video comment thread not found")
        replies = comments.replies_of(root, self.user.id if self.user else None)
        self.send(serialize_comments.tree_json(self.shoal, video, root, replies))


class CommentHandler(CommentWriter):
    """POST (a reply) and DELETE /api/v1/videos/{id}/comments/{commentId}."""

    def post(self, ref: str, comment_id: str) -> None:
        video = video_or_problem(self, ref)
        self.post_comment(video, comment_or_problem(video, comment_id))

    def delete(self, ref: str, comment_id: str) -> None:
        video = video_or_problem(self, ref)
        comment = comment_or_problem(video, comment_id)
        if comment.is_deleted:
            raise Problem(409, "This comment is already deleted.")
        if not comments.may_delete(comment, self.user):
            raise Problem(403, "Cannot remove video comment of another user")
        comments.delete(comment)
        self.no_content()


ID = r"(?P<{}>\d+)"
VIDEO = r"/api/v1/videos/(?P<ref>[^/]+)"

ROUTES = [
    (rf"{VIDEO}/comment-threads", CommentThreadsHandler),
    (rf"{VIDEO}/comment-threads/{ID.format('thread_id')}", CommentThreadHandler),
    (rf"{VIDEO}/comments/{ID.format('comment_id')}", CommentHandler),
]
