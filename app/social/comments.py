"""Comments on videos: threads and replies, written here or received from elsewhere."""

from __future__ import annotations

import datetime as dt

import peewee

from app import events
from models import db, utcnow
from models.accounts import Account, User
from models.moderation import muted_accounts, muted_hosts
from models.social import MAX_COMMENT, Comment
from models.videos import Privacy, Video


class CommentError(ValueError):
    """A comment refused; the message says why, for the page and the API."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_text(text: object) -> str:
    """The comment's text, stripped; CommentError when empty or too long."""
    if not isinstance(text, str) or not text.strip():
        raise CommentError("A comment cannot be empty.")
    text = text.strip().replace("\x00", "")
    if len(text) > MAX_COMMENT:
        raise CommentError(
            f"A comment is at most {MAX_COMMENT:,} characters; this one has {len(text):,}."
        )
    return text


def post(
    video: Video,
    account: Account,
    text: object,
    *,
    parent: Comment | None = None,
    ap_id: str | None = None,
    published: dt.datetime | None = None,
) -> Comment:
    """Store a comment (a thread, or a reply to ``parent``) and announce it.

    A remote comment (``ap_id`` given) seen before is returned unchanged: the
    same Create can arrive twice.
    """
    text = check_text(text)
    if not video.comments_enabled:
        raise CommentError("Comments are turned off for this video.", 403)
    if video.privacy == Privacy.PRIVATE:
        raise CommentError("A private video cannot be commented on.", 403)
    if parent is not None and parent.video_id != video.id:
        raise CommentError("The comment replied to belongs to another video.")
    with db.atomic():
        if ap_id is not None:
            known = Comment.get_or_none(Comment.ap_id == ap_id)
            if known is not None:
                return known
        now = utcnow()
        when = min(published, now) if published else now
        try:
            comment = Comment.create(
                video=video,
                account=account,
                parent=parent,
                thread=(parent.thread_id or parent.id) if parent is not None else None,
                text=text,
                ap_id=ap_id,
                created_at=when,
                updated_at=when,
            )
        except peewee.IntegrityError:  # the same remote comment, stored by another worker
            return Comment.get(Comment.ap_id == ap_id)
        events.emit("comment.posted", comment=comment)
    return comment


def edit(comment: Comment, text: object) -> Comment:
    """Change a comment's text (its author only; checked by the caller)."""
    text = check_text(text)
    if comment.is_deleted:
        raise CommentError("A deleted comment cannot be edited.", 409)
    with db.atomic():
        Comment.update(text=text, updated_at=utcnow()).where(Comment.id == comment.id).execute()
        comment = Comment.get_by_id(comment.id)
        events.emit("comment.edited", comment=comment)
    return comment


def delete(comment: Comment) -> None:
    """Make a comment a tombstone: its replies stay, its text and author go."""
    if comment.is_deleted:
        return
    with db.atomic():
        now = utcnow()
        Comment.update(text="", deleted_at=now, updated_at=now).where(
            Comment.id == comment.id
        ).execute()
        comment = Comment.get_by_id(comment.id)
        events.emit("comment.deleted", comment=comment)


def may_delete(comment: Comment, user: User | None) -> bool:
    """The author, the video's owner and moderators may delete a comment."""
    if user is None or comment.is_deleted:
        return False
    if user.is_moderator:
        return True
    mine = Account.select(Account.id).where(Account.user == user)
    if comment.account_id is not None and comment.account_id in {a.id for a in mine}:
        return True
    video = Video.get_by_id(comment.video_id)
    return video.channel.account.user_id == user.id


def may_edit(comment: Comment, user: User | None) -> bool:
    if user is None or comment.is_deleted or comment.account_id is None:
        return False
    return (
        Account.select().where((Account.id == comment.account_id) & (Account.user == user)).exists()
    )


def find(video: Video, comment_id: int) -> Comment | None:
    return Comment.get_or_none((Comment.id == comment_id) & (Comment.video == video))


def counts(video: Video) -> tuple[int, int]:
    """(all comments, comments not deleted) of a video."""
    total = Comment.select().where(Comment.video == video).count()
    alive = Comment.select().where((Comment.video == video) & Comment.deleted_at.is_null()).count()
    return total, alive


def comment_url(base_url: str, comment: Comment, video: Video | None = None) -> str:
    """A comment's public URL: its ActivityPub id (PeerTube's layout for local ones).
    Give its `video` when known: listing many comments then reads no video each."""
    if comment.ap_id:
        return comment.ap_id
    video = video if video is not None else Video.get_by_id(comment.video_id)
    return f"{base_url}/videos/watch/{video.uuid}/comments/{comment.id}"


# --- pages of threads for the REST API and the watch page -----------------------------

THREAD_SORTS = ("-createdAt", "createdAt", "-totalReplies")


def _unmuted(viewer_id: int | None) -> peewee.Expression:
    """Comments whose author is not muted by the server or the viewer (Account joined)."""
    return Account.id.is_null() | (
        Account.id.not_in(muted_accounts(viewer_id)) & Account.host.not_in(muted_hosts(viewer_id))
    )


def thread_page(
    video: Video,
    start: int = 0,
    count: int = 20,
    sort: str = "-createdAt",
    viewer_id: int | None = None,
) -> tuple[int, list[Comment]]:
    """(total, page) of threads in one of PeerTube's sorts, with their authors and
    ``reply_count`` (live replies); tombstones without live replies, and threads of muted
    authors, are left out."""
    replies = Comment.alias()
    live = replies.select(peewee.fn.COUNT(replies.id)).where(
        (replies.thread == Comment.id) & replies.deleted_at.is_null()
    )
    query = (
        Comment.select(Comment, Account, live.alias("reply_count"))
        .join(Account, peewee.JOIN.LEFT_OUTER)
        .where((Comment.video == video) & Comment.thread.is_null())
        .where(Comment.deleted_at.is_null() | (live > 0))
        .where(_unmuted(viewer_id))
    )
    order = {
        "createdAt": [Comment.id],
        "-totalReplies": [peewee.SQL("reply_count").desc(), Comment.id.desc()],
    }.get(sort, [Comment.id.desc()])
    # The total with the rows (one query to build and run, not two).
    total = peewee.fn.COUNT(peewee.SQL("*")).over().alias("total_count")
    rows = list(query.select_extend(total).order_by(*order).offset(start).limit(count))
    if rows:
        return rows[0].total_count, rows
    return (query.count() if start else 0), rows


def replies_by_author(video: Video, thread_ids: list[int]) -> dict[int, int]:
    """thread id -> live replies written by the video's owner account."""
    if not thread_ids:
        return {}
    owner = video.channel.account_id
    rows = (
        Comment.select(Comment.thread, peewee.fn.COUNT(Comment.id).alias("n"))
        .where(Comment.thread.in_(thread_ids) & (Comment.account == owner))
        .where(Comment.deleted_at.is_null())
        .group_by(Comment.thread)
    )
    return {row.thread_id: row.n for row in rows}


def first_replies(
    thread_ids: list[int], limit: int, viewer_id: int | None = None
) -> dict[int, list[Comment]]:
    """thread id -> its first ``limit`` replies (tombstones included), with their authors."""
    out: dict[int, list[Comment]] = {i: [] for i in thread_ids}
    if not thread_ids:
        return out
    rank = peewee.fn.ROW_NUMBER().over(partition_by=[Comment.thread], order_by=[Comment.id])
    ranked = (
        Comment.select(Comment.id, rank.alias("rn"))
        .where(Comment.thread.in_(thread_ids))
        .alias("ranked")
    )
    rows = (
        Comment.select(Comment, Account)
        .join(ranked, on=(Comment.id == ranked.c.id))
        .switch(Comment)
        .join(Account, peewee.JOIN.LEFT_OUTER)
        .where((ranked.c.rn <= limit) & _unmuted(viewer_id))
        .order_by(Comment.id)
    )
    for row in rows:
        out[row.thread_id].append(row)
    return out


def reply_totals(thread_ids: list[int]) -> dict[int, int]:
    """thread id -> all its replies (tombstones included), in one query."""
    if not thread_ids:
        return {}
    rows = (
        Comment.select(Comment.thread, peewee.fn.COUNT(Comment.id).alias("n"))
        .where(Comment.thread.in_(thread_ids))
        .group_by(Comment.thread)
    )
    return {row.thread_id: row.n for row in rows}


def replies_of(thread_root: Comment, viewer_id: int | None = None) -> list[Comment]:
    """Every reply of a thread, oldest first, with their authors (not the muted ones)."""
    return list(
        Comment.select(Comment, Account)
        .join(Account, peewee.JOIN.LEFT_OUTER)
        .where((Comment.thread == thread_root) & _unmuted(viewer_id))
        .order_by(Comment.id)
    )


class Viewer:
    """What one user may do with a video's comments, decided once per page."""

    def __init__(self, video: Video, user: User | None) -> None:
        account = Account.get_or_none(Account.user == user) if user is not None else None
        self.account_id = account.id if account is not None else None
        self.moderates = user is not None and (
            user.is_moderator or video.channel.account.user_id == user.id
        )

    def may_delete(self, comment: Comment) -> bool:
        if comment.is_deleted or self.account_id is None:
            return False
        return self.moderates or comment.account_id == self.account_id

    def may_edit(self, comment: Comment) -> bool:
        return (
            not comment.is_deleted
            and self.account_id is not None
            and (comment.account_id == self.account_id)
        )
