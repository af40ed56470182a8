"""PeerTube's REST JSON shapes for comments and comment threads.

Keys follow ../shared/fixtures/peertube-6.3/rest-video-comment-*.json. A
deleted comment shows as PeerTube shows it: empty text, no account,
`deletedAt` set and `isDeleted` true.
"""

from __future__ import annotations

from typing import Any

from app.serialize import account_json, iso
from app.settings import Settings
from app.social import comments
from models.social import Comment
from models.videos import Video


def comment_json(
    settings: Settings,
    comment: Comment,
    *,
    video: Video | None = None,
    total_replies: int = 0,
    from_author: int = 0,
) -> dict[str, Any]:
    """One comment (of `video`, when the caller has it); the reply counts are a thread's
    (0 for a reply, as in PeerTube)."""
    account = None
    if not comment.is_deleted and comment.account_id is not None:
        account = account_json(settings, comment.account)
    return {
        "id": comment.id,
        "url": comments.comment_url(settings.base_url, comment, video),
        "text": "" if comment.is_deleted else comment.text,
        "threadId": comment.thread_id or comment.id,
        "inReplyToCommentId": comment.parent_id,
        "videoId": comment.video_id,
        "createdAt": iso(comment.created_at),
        "updatedAt": iso(comment.updated_at),
        "deletedAt": iso(comment.deleted_at),
        "heldForReview": False,
        "isDeleted": comment.is_deleted,
        "totalRepliesFromVideoAuthor": from_author,
        "totalReplies": total_replies,
        "account": account,
    }


def threads_json(
    settings: Settings,
    video: Video,
    start: int,
    count: int,
    sort: str,
    viewer_id: int | None = None,
) -> dict:
    """GET /api/v1/videos/{id}/comment-threads (without muted authors)."""
    total, page = comments.thread_page(video, start, count, sort, viewer_id)
    by_author = comments.replies_by_author(video, [t.id for t in page])
    data = [
        comment_json(
            settings,
            t,
            video=video,
            total_replies=t.reply_count,
            from_author=by_author.get(t.id, 0),
        )
        for t in page
    ]
    alive = comments.counts(video)[1]
    return {"total": total, "data": data, "totalNotDeletedComments": alive}


def tree_json(settings: Settings, video: Video, root: Comment, replies: list[Comment]) -> dict:
    """GET /api/v1/videos/{id}/comment-threads/{threadId}: the thread as a tree."""
    live = sum(1 for r in replies if not r.is_deleted)
    by_author = comments.replies_by_author(video, [root.id]).get(root.id, 0)
    top = comment_json(settings, root, video=video, total_replies=live, from_author=by_author)
    nodes = {root.id: {"comment": top, "children": []}}
    for reply in replies:  # oldest first: a parent is always placed before its replies
        nodes[reply.id] = {"comment": comment_json(settings, reply, video=video), "children": []}
        nodes.get(reply.parent_id, nodes[root.id])["children"].append(nodes[reply.id])
    return nodes[root.id]
