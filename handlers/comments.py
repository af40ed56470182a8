"""The watch page's comments, likes and share box, as forms that work without JavaScript
and as HTMX fragments swapped in place.

Each write is a form POST answered with 303 back to the comment's anchor on
the watch page; with `HX-Request` the same endpoint answers the fragment to
swap (templates/_comments.mako). A refused comment says why: on an error page
without JavaScript, in the form's own alert with HTMX.
"""

from __future__ import annotations

from html import escape

from app import auth
from app.share import start_of
from app.social import comment_view, comments, ratings
from app.videos import short_uuid
from handlers.base import PageHandler, Problem, public
from handlers.subscriptions import to_remote_interaction
from handlers.videos import visible_video
from models.social import Comment
from models.videos import Video


def watch_anchor(video: Video, comment: Comment | None = None) -> str:
    """The watch page at a comment (its thread opened), or at the comments."""
    base = f"/w/{short_uuid(video.uuid)}"
    if comment is None:
        return f"{base}#comments"
    return f"{base}?thread={comment.thread_id or comment.id}#comment-{comment.id}"


def comment_of(video: Video, raw_id: str) -> Comment:
    comment = comments.find(video, int(raw_id)) if len(raw_id) < 10 else None
    if comment is None:
        raise Problem(404, "This comment does not exist, or it is on another video.")
    return comment


class CommentsHandler(PageHandler):
    """GET: the next page of threads (HTMX); POST: a new comment or a reply."""

    @public
    def get(self, ref: str) -> None:
        video = visible_video(self, ref)
        start = self.int_argument("start", 0)
        if not self.is_htmx():
            self.redirect(f"/w/{short_uuid(video.uuid)}?comments_from={start}#comments")
            return
        view = comment_view.page(self.shoal, video, self.user, start)
        self.render_fragment("_comments.mako", "more_page", view=view)

    def post(self, ref: str) -> None:
        video = visible_video(self, ref)
        parent_id = self.get_body_argument("parent", "")
        parent = comment_of(video, parent_id) if parent_id else None
        try:
            if parent is not None and parent.is_deleted:
                raise comments.CommentError("This comment was deleted: it cannot be replied to.")
            comment = comments.post(
                video, auth.account_of(self.user), self.get_body_argument("text", ""), parent=parent
            )
        except comments.CommentError as err:
            self.refuse(err, parent_id or "new")
            return
        if not self.is_htmx():
            self.redirect(watch_anchor(video, comment), status=303)
            return
        view = comment_view.single(self.shoal, video, self.user, comment)
        self.render_fragment("_comments.mako", "posted", view=view, c=comment)

    def refuse(self, err: comments.CommentError, key: str) -> None:
        """Without JavaScript an error page; with HTMX, the message in the form's alert."""
        if not self.is_htmx():
            raise Problem(err.status, str(err))
        self.set_header("HX-Retarget", f"#comment-error-{key}")
        self.set_header("HX-Reswap", "innerHTML")
        self.add_header("Vary", "HX-Request")
        self.finish(escape(str(err)))


class RepliesHandler(PageHandler):
    """GET /videos/{ref}/comments/{id}/replies: every reply of a thread (HTMX)."""

    @public
    def get(self, ref: str, comment_id: str) -> None:
        video = visible_video(self, ref)
        root = comment_of(video, comment_id)
        if not self.is_htmx():
            self.redirect(watch_anchor(video, root))
            return
        view = comment_view.thread(self.shoal, video, self.user, root)
        self.render_fragment("_comments.mako", "replies", view=view, t=root)


class CommentDeleteHandler(PageHandler):
    """Deleting a comment: a confirmation page without JavaScript, hx-confirm with HTMX."""

    def _comment(self, ref: str, comment_id: str) -> tuple[Video, Comment]:
        video = visible_video(self, ref)
        comment = comment_of(video, comment_id)
        if not comments.may_delete(comment, self.user):
            raise Problem(403, "Only its author, the video's owner or a moderator may delete it.")
        return video, comment

    def get(self, ref: str, comment_id: str) -> None:
        video, comment = self._comment(ref, comment_id)
        self.render_page(
            "confirm_delete.mako",
            heading="Delete this comment?",
            consequence="Its text goes for good; replies to it stay.",
            action=f"/videos/{video.uuid}/comments/{comment.id}/delete",
            fields={},
            button="Delete the comment",
            cancel=watch_anchor(video, comment),
        )

    def post(self, ref: str, comment_id: str) -> None:
        video, comment = self._comment(ref, comment_id)
        if self.get_body_argument("confirm", "") != "yes":
            self.get(ref, comment_id)  # asked first, also when the page's form is posted
            return
        comments.delete(comment)
        if not self.is_htmx():
            self.redirect(watch_anchor(video, comment), status=303)
            return
        comment = Comment.get_by_id(comment.id)
        view = comment_view.single(self.shoal, video, self.user, comment)
        self.render_fragment("_comments.mako", "comment", view=view, c=comment)


class CommentEditHandler(PageHandler):
    """Editing one's own comment: a form in place (HTMX) or on a page of its own."""

    def _comment(self, ref: str, comment_id: str) -> tuple[Video, Comment]:
        video = visible_video(self, ref)
        comment = comment_of(video, comment_id)
        if not comments.may_edit(comment, self.user):
            raise Problem(403, "Only its author may edit a comment.")
        return video, comment

    def get(self, ref: str, comment_id: str) -> None:
        video, comment = self._comment(ref, comment_id)
        self.show_form(video, comment)

    def post(self, ref: str, comment_id: str) -> None:
        video, comment = self._comment(ref, comment_id)
        try:
            comment = comments.edit(comment, self.get_body_argument("text", ""))
        except comments.CommentError as err:
            self.show_form(video, comment, str(err))
            return
        if not self.is_htmx():
            self.redirect(watch_anchor(video, comment), status=303)
            return
        view = comment_view.single(self.shoal, video, self.user, comment)
        self.render_fragment("_comments.mako", "comment", view=view, c=comment)

    def show_form(self, video: Video, comment: Comment, error: str = "") -> None:
        if self.is_htmx():
            self.render_fragment("_comments.mako", "edit_form", video=video, c=comment, error=error)
        else:
            self.set_status(400 if error else 200)
            self.render_page("comment_edit.mako", video=video, c=comment, error=error)


class RateHandler(PageHandler):
    """Like, dislike or neither; HTMX gets the buttons back, a form post the page."""

    def post(self, ref: str) -> None:
        video = visible_video(self, ref)
        rating = self.get_body_argument("rating", "")
        if rating not in ratings.VALUES:
            raise Problem(400, "A rating is like, dislike or none.")
        account = auth.account_of(self.user)
        ratings.rate(video, account, rating)
        if not self.is_htmx():
            self.redirect(f"/w/{short_uuid(video.uuid)}#rating", status=303)
            return
        video = Video.get_by_id(video.id)
        self.render_fragment("_comments.mako", "rating", video=video, current=rating)


class ShareHandler(PageHandler):
    """GET /videos/{ref}/share?at=1&start=1m30s: the share box's link and embed (HTMX)."""

    @public
    def get(self, ref: str) -> None:
        video = visible_video(self, ref)
        start = start_of(self.get_argument("at", ""), self.get_argument("start", ""))
        if not self.is_htmx():
            suffix = f"?at=1&start={start}" if start else ""
            self.redirect(f"/w/{short_uuid(video.uuid)}{suffix}#share")
            return
        self.render_fragment("_share.mako", "share_body", video=video, start=start)


class RemoteInteractHandler(PageHandler):
    """A visitor comments from their account elsewhere: to their server's interaction
    page for this video (its WebFinger's subscribe template, as for channels)."""

    @public
    async def post(self, ref: str) -> None:
        video = visible_video(self, ref)
        url = video.ap_id or f"{self.shoal.base_url}/videos/watch/{video.uuid}"
        await to_remote_interaction(self, url)


REF = r"/videos/(?P<ref>[A-Za-z0-9-]{1,36})"
ID = r"(?P<comment_id>\d{1,9})"

ROUTES = [
    (rf"{REF}/comments", CommentsHandler),
    (rf"{REF}/comments/{ID}/replies", RepliesHandler),
    (rf"{REF}/comments/{ID}/delete", CommentDeleteHandler),
    (rf"{REF}/comments/{ID}/edit", CommentEditHandler),
    (rf"{REF}/rate", RateHandler),
    (rf"{REF}/share", ShareHandler),
    (rf"{REF}/remote-interact", RemoteInteractHandler),
]
