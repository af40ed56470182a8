"""Comments and ratings over ActivityPub, as PeerTube sends them.

Outgoing: a comment written here is a Create{Note} (Update, Delete with a
Tombstone) sent to the video's origin, or, for a local video, to its audience;
the authors replied to and mentioned get it too. A like or dislike of a
remote video is a Like or Dislike (Undo to take it back) sent to the video's
origin only. The counts of a local video reach followers in one Update{Video}
per video per COUNTS_WINDOW, however many ratings arrive meanwhile.

Listeners of app/events.py only enqueue jobs, in the transaction of the change;
the jobs build and queue the activities.
"""

from __future__ import annotations

import json
import logging
import os
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from app import jobs
from app.federation import actors, publish
from app.federation.delivery import follower_inboxes, queue_activity
from app.federation.objects import activity, first_id, host_of, parse_datetime
from app.federation.remote import RemoteError
from app.moderation import blocklist
from app.serialize import iso, video_url
from app.settings import Settings
from app.social import comments, ratings
from app.social.comments import comment_url
from app.videos import find_video, owner_id
from models import utcnow
from models.accounts import Account, Channel, User
from models.federation import Actor
from models.jobs import Job, JobState
from models.social import Comment, Share
from models.videos import Privacy, Video

log = logging.getLogger(__name__)

COMMENT_JOB = "federate-comment"
RATING_JOB = "federate-rating"
COUNTS_JOB = "federate-counts"
VIEWS_JOB = "federate-views"
# Seconds between two Update{Video} carrying a local video's new counts.
COUNTS_WINDOW = float(os.environ.get("SHOAL_COUNTS_WINDOW", "30"))
RATING_TYPES = {"like": "Like", "dislike": "Dislike"}
_MENTION = re.compile(r"(?<![\w/@])@([A-Za-z0-9._-]{1,50})(?:@([A-Za-z0-9.-]+(?::\d+)?))?")


# --- listeners (registered by app/wiring.py) ----------------------------------------------


def _on_comment(comment: Comment, action: str) -> None:
    video = Video.get_by_id(comment.video_id)
    if comment.is_local or video.is_local:
        jobs.enqueue(COMMENT_JOB, {"comment_id": comment.id, "action": action})


def on_comment_posted(comment: Comment) -> None:
    if comment.is_local:
        _on_comment(comment, "create")


def on_comment_edited(comment: Comment) -> None:
    if comment.is_local:
        _on_comment(comment, "update")


def on_comment_deleted(comment: Comment) -> None:
    _on_comment(comment, "delete")


def on_rating_changed(
    video: Video, account: Account, before: str, after: str, remote: bool
) -> None:
    if video.is_local:
        queue_counts(video)
    elif account.is_local and not remote:
        payload = {"video_id": video.id, "account_id": account.id, "before": before, "after": after}
        jobs.enqueue(RATING_JOB, payload)


def queue_counts(video: Video) -> None:
    """One pending Update{Video} per video: a burst of ratings or views shares it."""
    payload = json.dumps({"video_id": video.id})
    pending = Job.select().where(
        (Job.kind == COUNTS_JOB) & (Job.payload == payload) & (Job.state == JobState.PENDING)
    )
    if not pending.exists():
        jobs.enqueue(COUNTS_JOB, {"video_id": video.id}, delay=COUNTS_WINDOW)


def on_views_counted(video: Video, count: int) -> None:
    """Views reach followers in the next counts Update (local video), or its origin as
    Views (remote video), from a job: never a delivery per view on the web's path."""
    if video.is_local:
        queue_counts(video)
    elif video.privacy != Privacy.PRIVATE:
        jobs.enqueue(VIEWS_JOB, {"video_id": video.id, "count": count})


LISTENERS: list[tuple[str, Any]] = [
    ("views.counted", on_views_counted),
    ("comment.posted", on_comment_posted),
    ("comment.edited", on_comment_edited),
    ("comment.deleted", on_comment_deleted),
    ("rating.changed", on_rating_changed),
]


# --- documents ----------------------------------------------------------------------------


def _author_url(settings: Settings, comment: Comment) -> str | None:
    if comment.account_id is None:
        return None
    account = Account.get_by_id(comment.account_id)
    if account.is_local:
        return actors.actor_url(settings, actors.account_actor(account))
    return account.actor.ap_id if account.actor_id else None


def _parent_url(settings: Settings, comment: Comment, video: Video) -> str:
    if comment.parent_id is None:
        return video_url(settings, video)
    return comment_url(settings.base_url, Comment.get_by_id(comment.parent_id))


def mentions(settings: Settings, comment: Comment) -> list[Actor]:
    """The actors a comment's text mentions (@name, @name@host) that this server knows."""
    found: dict[int, Actor] = {}
    for name, host in _MENTION.findall(comment.text):
        host = "" if host in ("", settings.host) else host.lower()
        account = Account.get_or_none((Account.name == name) & (Account.host == host))
        if account is None:
            continue
        actor = actors.account_actor(account) if account.is_local else account.actor
        if actor is not None:
            found[actor.id] = actor
    return list(found.values())


def note(settings: Settings, comment: Comment) -> dict[str, Any]:
    """The Note of a local comment (or the Tombstone of a deleted one), as PeerTube's."""
    video = Video.get_by_id(comment.video_id)
    url = comment_url(settings.base_url, comment)
    if comment.is_deleted:
        return {
            "@context": actors.CONTEXT, "id": url, "type": "Tombstone", "formerType": "Note",
            "inReplyTo": _parent_url(settings, comment, video), "url": url,
            "published": iso(comment.created_at), "updated": iso(comment.updated_at),
            "deleted": iso(comment.deleted_at),
        }  # fmt: skip
    author = _author_url(settings, comment)
    tags = []
    for actor in mentions(settings, comment):
        href = actors.actor_url(settings, actor)
        tags.append(
            {
                "type": "Mention",
                "href": href,
                "name": f"@{actor.name}@{actor.host or settings.host}",
            }
        )
    return {
        "@context": actors.CONTEXT,
        "to": [actors.PUBLIC],
        "cc": [f"{author}/followers"] if author else [],
        "type": "Note", "id": url, "content": comment.text, "mediaType": "text/markdown",
        "inReplyTo": _parent_url(settings, comment, video),
        "updated": iso(comment.updated_at), "published": iso(comment.created_at), "url": url,
        "attributedTo": author, "tag": tags,
    }  # fmt: skip


def _video_audience(video: Video) -> list[Actor]:
    channel = Channel.get_by_id(video.channel_id)
    account = Account.get_by_id(channel.account_id)
    if video.is_local:
        return [actors.account_actor(account), actors.channel_actor(channel), actors.server_actor()]
    return [a for a in (account.actor, channel.actor) if a is not None]


def _inboxes_for(settings: Settings, comment: Comment, video: Video) -> set[str]:
    """Who hears of a comment: the video's origin (or, for a local video, its followers),
    the authors of the comments replied to, and those mentioned."""
    audience = _video_audience(video)
    inboxes = follower_inboxes(audience) if video.is_local else set()
    people = [a for a in audience if not video.is_local]
    parent = comment.parent
    while parent is not None:
        if parent.account_id is not None:
            account = Account.get_by_id(parent.account_id)
            if account.actor_id and not account.is_local:
                people.append(account.actor)
        parent = parent.parent
    people += [a for a in mentions(settings, comment) if not a.is_local]
    inboxes |= {actors.inbox_of(a) for a in people if not a.is_local}
    return {i for i in inboxes if i}


def run_comment_job(settings: Settings, payload: dict) -> None:
    """The `federate-comment` job: Create, Update or Delete of a comment."""
    comment = Comment.get_or_none(Comment.id == payload["comment_id"])
    if comment is None:
        return
    video = Video.get_by_id(comment.video_id)
    if video.privacy == Privacy.PRIVATE:
        return
    doc = note(settings, comment)
    doc.pop("@context")
    action = payload["action"]
    if action == "delete":
        sender = _deleter(comment, video)
        kind, obj = "Delete", {"id": doc["id"], "type": "Tombstone", "formerType": "Note"}
        activity_id = f"{doc['id']}/delete"
    else:
        sender = actors.account_actor(Account.get_by_id(comment.account_id))
        kind, obj = ("Create", doc) if action == "create" else ("Update", doc)
        activity_id = (
            f"{doc['id']}/activity"
            if kind == "Create"
            else f"{doc['id']}/updates/{iso(comment.updated_at)}"
        )
    if sender is None:
        return
    sender_url = actors.actor_url(settings, sender)
    body = activity(
        kind,
        sender_url,
        obj,
        activity_id=activity_id,
        to=[actors.PUBLIC],
        cc=[f"{sender_url}/followers"],
    )
    queue_activity(sender, body, _inboxes_for(settings, comment, video))


def _deleter(comment: Comment, video: Video) -> Actor | None:
    """Who says a comment is gone: its local author, else the local video's account."""
    if comment.account_id is not None:
        account = Account.get_by_id(comment.account_id)
        if account.is_local:
            return actors.account_actor(account)
    if video.is_local:
        return actors.account_actor(
            Account.get_by_id(Channel.get_by_id(video.channel_id).account_id)
        )
    return None


def rating_id(settings: Settings, account: Account, video: Video, rating: str) -> str:
    """PeerTube's id of a rating: {account}/likes/{video id} or {account}/dislikes/{video id}."""
    account_url = actors.actor_url(settings, actors.account_actor(account))
    return f"{account_url}/{rating}s/{video.id}"


def rating_activity(
    settings: Settings, account: Account, video: Video, rating: str
) -> dict[str, Any]:
    """The Like or Dislike of a video by a local account."""
    account_url = actors.actor_url(settings, actors.account_actor(account))
    return activity(
        RATING_TYPES[rating], account_url, video_url(settings, video),
        activity_id=rating_id(settings, account, video, rating),
    )  # fmt: skip


def run_rating_job(settings: Settings, payload: dict) -> None:
    """The `federate-rating` job: tell a remote video's origin, and nobody else."""
    video = Video.get_or_none(Video.id == payload["video_id"])
    account = Account.get_or_none(Account.id == payload["account_id"])
    if video is None or account is None or video.is_local:
        return
    sender = actors.account_actor(account)
    sender_url = actors.actor_url(settings, sender)
    inboxes = {actors.inbox_of(a) for a in _video_audience(video)}
    before, after = payload["before"], payload["after"]
    if before in RATING_TYPES:
        undone = rating_activity(settings, account, video, before)
        undone.pop("@context")
        undo = activity(
            "Undo", sender_url, undone, activity_id=f"{undone['id']}/undo/{iso(utcnow())}"
        )
        queue_activity(sender, undo, inboxes)
    if after in RATING_TYPES:
        queue_activity(sender, rating_activity(settings, account, video, after), inboxes)


MAX_VIEWS_PER_JOB = 100  # Views sent for one video per flush; more is a storm, not viewers


def run_views_job(settings: Settings, payload: dict) -> None:
    """The `federate-views` job: one View per view counted here, to the video's origin
    (PeerTube counts each View once), sent by the server actor as PeerTube does."""
    video = Video.get_or_none(Video.id == payload["video_id"])
    if video is None or video.is_local:
        return
    sender = actors.server_actor()
    sender_url = actors.actor_url(settings, sender)
    inboxes = {actors.inbox_of(a) for a in _video_audience(video)}
    stamp = iso(utcnow())
    for n in range(min(int(payload["count"]), MAX_VIEWS_PER_JOB)):
        view_id = f"{sender_url}/views/videos/{video.id}/{stamp}/{n}"
        body = activity(
            "View", sender_url, video.ap_id, activity_id=view_id, to=[actors.PUBLIC], cc=[]
        )
        queue_activity(sender, body, inboxes)


def run_counts_job(settings: Settings, payload: dict) -> None:
    """The `federate-counts` job: one Update{Video} with a local video's counts."""
    video = Video.get_or_none(Video.id == payload["video_id"])
    if video is None or not video.is_local or video.privacy == Privacy.PRIVATE:
        return
    publish.update_counts(settings, video)


# --- received ------------------------------------------------------------------------------


class _Text(HTMLParser):
    """Mastodon's HTML content as plain text: paragraphs and line breaks kept, links by
    their address (Mastodon hides part of a long address in invisible spans)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.link: str | None = None
        self.mention = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = dict(attrs)
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")
        elif tag == "a":
            classes = (values.get("class") or "").split()
            self.mention = "mention" in classes or "hashtag" in classes
            self.link = None if self.mention else values.get("href")
            if self.link:
                self.parts.append(self.link)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self.link, self.mention = None, False

    def handle_data(self, data: str) -> None:
        if not self.link:  # a link's own text was replaced by its address
            self.parts.append(data)


def html_to_text(content: str) -> str:
    parser = _Text()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


def _local_ref(settings: Settings, url: str) -> tuple[str, int | None] | None:
    """(video uuid, comment id or None) of a URL of ours; None for other URLs."""
    if host_of(url) != settings.host:
        return None
    match = _LOCAL_URL.match(urlsplit(url).path)
    if match is None:
        return None
    return match["uuid"], int(match["comment"]) if match["comment"] else None


_LOCAL_URL = re.compile(
    r"^/videos/watch/(?P<uuid>[0-9a-fA-F-]{36})(?:/comments/(?P<comment>\d{1,12}))?/?$"
)


def _replied_to(settings: Settings, url: str) -> tuple[Video | None, Comment | None]:
    """The video and the comment (None for a new thread) a Note's inReplyTo names."""
    local = _local_ref(settings, url)
    if local is not None:
        video = find_video(local[0])
        if video is None:
            return None, None
        if local[1] is None:  # a video URL of ours names a local video
            return (video, None) if video.is_local else (None, None)
        parent = comments.find(video, local[1])  # a comment of ours, on any video
        return (video, parent) if parent is not None else (None, None)
    video = Video.get_or_none(Video.ap_id == url)
    if video is not None:
        return video, None
    parent = Comment.get_or_none(Comment.ap_id == url)
    if parent is not None:
        return Video.get_by_id(parent.video_id), parent
    return None, None


def _author(sender: Actor) -> Account:
    account = Account.get_or_none(Account.actor == sender)
    if account is None:
        raise RemoteError(f"{sender.ap_id} is not a person; only people comment and rate")
    return account


def receive_note(
    settings: Settings, sender: Actor, obj: dict, *, update: bool = False
) -> Comment | None:
    """A Create or Update{Note}: a comment when it answers a video or comment known here
    (returned; None for a Note about something else)."""
    ap_id = first_id(obj.get("id")) or ""
    if host_of(ap_id) != sender.host:
        raise RemoteError("a Note must be on its sender's server")
    if first_id(obj.get("attributedTo")) != sender.ap_id:
        raise RemoteError("a Note's attributedTo is not the actor who sent it")
    target = first_id(obj.get("inReplyTo"))
    video, parent = _replied_to(settings, target) if target else (None, None)
    if video is None:
        log.info(
            "Note %s answers nothing known here (%s); ignored", ap_id[:300], (target or "")[:300]
        )
        return None
    if blocklist.refused(sender, User.get_or_none(User.id == owner_id(video))):
        raise RemoteError("the comment's author is muted by this server or the video's owner")
    content = obj.get("content") if isinstance(obj.get("content"), str) else ""
    text = content if obj.get("mediaType") == "text/markdown" else html_to_text(content)
    author = _author(sender)
    try:
        known = Comment.get_or_none(Comment.ap_id == ap_id)
        if known is not None and update:
            if known.account_id != author.id:
                raise RemoteError("only its author edits a comment")
            return comments.edit(known, text)
        if known is not None:
            return known
        published = parse_datetime(obj.get("published"))
        return comments.post(video, author, text, parent=parent, ap_id=ap_id, published=published)
    except comments.CommentError as err:
        raise RemoteError(f"comment {ap_id[:300]} refused: {err}") from None


def forward(settings: Settings, activity_doc: dict, comment: Comment) -> None:
    """As PeerTube: the origin of a video passes a comment made elsewhere on to the video's
    audience, the received activity unchanged (its JSON-LD signature, when it has one,
    lets PeerTube check it; Shoal fetches the comment from its author's server)."""
    forward_about(activity_doc, Video.get_by_id(comment.video_id), host_of(comment.ap_id or ""))


def forward_about(activity_doc: dict, video: Video, sender_host: str) -> None:
    """Pass an activity about a local video, received from `sender_host`, on to the
    video's followers elsewhere, unchanged (comments, and mirrors: CacheFile)."""
    if not video.is_local or video.privacy == Privacy.PRIVATE:
        return
    inboxes = follower_inboxes(_video_audience(video), exclude_host=sender_host)
    queue_activity(actors.server_actor(), activity_doc, inboxes)


def receive_delete(settings: Settings, sender: Actor, object_id: str) -> bool:
    """A Delete of a comment, by its author or by the owner of the video; False when the
    object is no comment known here."""
    comment = Comment.get_or_none(Comment.ap_id == object_id)
    if comment is None:
        return False
    author = Account.get_or_none(Account.id == comment.account_id) if comment.account_id else None
    video = Video.get_by_id(comment.video_id)
    owners = {a.id for a in _video_audience(video)} if not video.is_local else set()
    if not ((author is not None and author.actor_id == sender.id) or sender.id in owners):
        raise RemoteError("only its author or the video's owner deletes a comment")
    comments.delete(comment)
    return True


def local_video_of(settings: Settings, obj: Any) -> Video | None:
    """The local video an object (or its id) names by its URL here; None otherwise."""
    url = first_id(obj)
    local = _local_ref(settings, url) if url else None
    if local is None or local[1] is not None:
        return None
    video = find_video(local[0])
    return video if video is not None and video.is_local else None


def receive_rating(settings: Settings, sender: Actor, activity_doc: dict) -> None:
    """Like or Dislike of a local video (PeerTube sends them to the origin only)."""
    video = local_video_of(settings, activity_doc.get("object"))
    if video is None:
        return
    if video.privacy == Privacy.PRIVATE:
        raise RemoteError("a private video cannot be rated")
    rating = "like" if activity_doc["type"] == "Like" else "dislike"
    ratings.rate(
        video, _author(sender), rating, ap_id=first_id(activity_doc.get("id")), remote=True
    )


def receive_undo_rating(settings: Settings, sender: Actor, inner: dict) -> None:
    video = local_video_of(settings, inner.get("object"))
    if video is None:
        return
    account = _author(sender)
    undone = "like" if inner.get("type") == "Like" else "dislike"
    if ratings.rating_of(video, account) == undone:
        ratings.rate(video, account, "none", remote=True)


def receive_view(settings: Settings, obj: Any) -> None:
    """A View of a local video seen on another server: one more view, federated later."""
    video = local_video_of(settings, obj)
    if video is None or video.privacy == Privacy.PRIVATE:
        return
    Video.update(views=Video.views + 1).where(Video.id == video.id).execute()
    queue_counts(video)


def receive_share(settings: Settings, sender: Actor, activity_doc: dict) -> bool:
    """An Announce of a local video by someone elsewhere: a share, counted once per actor.
    False when the Announce is of something else (a remote video to fetch)."""
    video = local_video_of(settings, activity_doc.get("object"))
    if video is None:
        return False
    if video.privacy == Privacy.PUBLIC:
        ap_id = first_id(activity_doc.get("id")) or ""
        Share.insert(video=video, actor=sender, ap_id=ap_id[:2000]).on_conflict_ignore().execute()
    return True


def receive_undo_share(sender: Actor, inner: dict) -> None:
    share_id = first_id(inner.get("id"))
    if share_id:
        Share.delete().where((Share.ap_id == share_id) & (Share.actor == sender)).execute()
