"""What the watch page shows of a video's comments: a page of threads with their first
replies, who may do what, and each comment's text as safe HTML with mentions linked.

Built once per page or fragment (a few queries, however many comments) so that
templates ask nothing of the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.markdown import render
from app.settings import Settings
from app.social import comments, mentions, ratings
from models.accounts import Account, User
from models.social import Comment
from models.videos import Video

PAGE = 20  # threads per page
SHOWN_REPLIES = 3  # replies under a thread before "load more replies"


@dataclass
class CommentsView:
    """A page of threads (or one thread's replies) ready for templates/_comments.mako."""

    video: Video
    viewer: comments.Viewer
    host: str
    threads: list[Comment] = field(default_factory=list)
    replies: dict[int, list[Comment]] = field(default_factory=dict)
    total: int = 0
    next_start: int | None = None
    known: dict[tuple[str, str], str] = field(default_factory=dict)

    def html(self, comment: Comment) -> str:
        """The comment's Markdown, sanitized, with known mentions linked."""
        return mentions.link(render(comment.text), self.known, self.host)

    def more_replies(self, thread: Comment) -> bool:
        return getattr(thread, "reply_total", 0) > len(self.replies.get(thread.id, []))

    def account_path(self, comment: Comment) -> str:
        account = comment.account
        return "/a/" + (f"{account.name}@{account.host}" if account.host else account.name)

    def handle(self, comment: Comment) -> str:
        return f"@{comment.account.name}@{comment.account.host or self.host}"


def page(
    settings: Settings, video: Video, user: User | None, start: int = 0, open_thread: int = 0
) -> CommentsView:
    """Threads newest first from ``start``; ``open_thread`` shows all its replies."""
    view = CommentsView(video, comments.Viewer(video, user), settings.host)
    viewer = user.id if user is not None else None
    view.total, view.threads = comments.thread_page(video, start, PAGE, viewer_id=viewer)
    if start + PAGE < view.total:
        view.next_start = start + PAGE
    ids = [t.id for t in view.threads]
    view.replies = comments.first_replies(ids, SHOWN_REPLIES, viewer)
    full = [t.id for t in view.threads if len(view.replies[t.id]) >= SHOWN_REPLIES]
    totals = comments.reply_totals(full)
    for t in view.threads:
        t.reply_total = totals.get(t.id, 0)
        if t.id == open_thread:
            view.replies[t.id] = comments.replies_of(t, viewer)
    return _with_mentions(view)


def thread(settings: Settings, video: Video, user: User | None, root: Comment) -> CommentsView:
    """One thread with every reply (the "load more replies" fragment)."""
    view = CommentsView(video, comments.Viewer(video, user), settings.host, threads=[root])
    view.replies = {root.id: comments.replies_of(root, user.id if user is not None else None)}
    return _with_mentions(view)


def single(settings: Settings, video: Video, user: User | None, comment: Comment) -> CommentsView:
    """A view of one comment (after posting, editing or deleting it)."""
    view = CommentsView(video, comments.Viewer(video, user), settings.host, threads=[comment])
    return _with_mentions(view)


def _with_mentions(view: CommentsView) -> CommentsView:
    shown = [*view.threads, *(r for rs in view.replies.values() for r in rs)]
    view.known = mentions.known_accounts((c.text for c in shown), view.host)
    return view


def rating_of(video: Video, user: User | None) -> str:
    """The user's rating of the video: 'like', 'dislike' or 'none' (also for visitors)."""
    if user is None:
        return "none"
    account = Account.get_or_none(Account.user == user)
    return ratings.rating_of(video, account) if account is not None else "none"
