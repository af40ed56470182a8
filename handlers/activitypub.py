"""ActivityPub endpoints: inboxes (signed POSTs) and actor collections.

Actor documents and Video objects are served by the page handlers of the same
URLs (one URL per object, chosen by Accept); see handlers/accounts.py,
channels.py and videos.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import peewee
import tornado.web

from app.federation import actors, collections, inbox, mirroring, publish, remote, social
from app.federation.fetch import FetchError, fetch_json_async
from app.federation.objects import activity as activity_envelope
from app.federation.objects import host_of
from app.federation.signatures import SignatureError, SignedRequest, check_request
from app.ratelimit import RateLimiter
from app.serialize import video_url
from app.social import comments, ratings
from app.videos import find_video, listed_query, short_uuid
from handlers.base import ActivityPubHandler, Problem, public, wants_activity_json
from models.accounts import Account, Channel
from models.federation import Actor, ActorType, Follow, FollowState
from models.social import Comment, Rating, Share
from models.videos import Privacy, Video

log = logging.getLogger(__name__)

# A signer's actor document is fetched at most once in this window for each key id:
# once when the actor is unknown, once more when its stored key fails (a rotation).
# Without it, every forged request would make this server GET a URL of the sender's
# choosing.
KEY_FETCH_WINDOW = 300.0


@tornado.web.stream_request_body
class InboxHandler(ActivityPubHandler):
    """POST /inbox and /{accounts|video-channels}/{name}/inbox: verify, store once, 202.

    The body is streamed so that its size is known before it is kept: past
    MAX_BODY the rest is read and dropped, and the sender gets a 413 (an answer
    before the body is read would reset its connection). Past four times that,
    Tornado cuts the connection.
    """

    def prepare(self) -> None:
        self.request.connection.set_max_body_size(4 * inbox.MAX_BODY)
        self.body = bytearray()
        self.too_large = False
        super().prepare()

    def data_received(self, chunk: bytes) -> None:
        if self.too_large or len(self.body) + len(chunk) > inbox.MAX_BODY:
            self.too_large = True
            self.body.clear()
        else:
            self.body.extend(chunk)

    def _may_fetch(self, why: str, signer_url: str) -> bool:
        """Whether the signer's document may be fetched now (see KEY_FETCH_WINDOW)."""
        limiter: RateLimiter = self.application.settings.setdefault(
            "key_fetch_limiter", RateLimiter(1, KEY_FETCH_WINDOW)
        )
        return limiter.hit(f"{why} {signer_url}")

    async def _key_for(self, signer_url: str, refresh: bool) -> str | None:
        actor = Actor.get_or_none(Actor.ap_id == signer_url)
        stored = actor.public_key if actor is not None else None
        if stored and not refresh:
            return stored
        if host_of(signer_url) == self.shoal.host:
            return None  # our own actors are not remote (ap_id is NULL): nothing to fetch
        if not self._may_fetch("refresh" if stored else "fetch", signer_url):
            log.info("key of %s not fetched again so soon", signer_url)
            return stored
        try:
            doc = await fetch_json_async(self.shoal, signer_url)
            remote.check_document(doc, signer_url)
            # The key is what is needed here; a Group's owner (another fetch) waits for the worker.
            # Writes go to a thread: on SQLite one may wait for the write lock, and the
            # event loop must keep serving meanwhile.
            actor = await asyncio.to_thread(
                remote.upsert_actor, self.shoal, doc, profile=doc.get("type") != "Group"
            )
        except (FetchError, remote.RemoteError, RecursionError) as err:
            log.info("key of %s not fetched: %s", signer_url, err)
            return stored
        return actor.public_key

    def _check_signature(self) -> SignedRequest:
        """What can be checked without the key (Digest, Date, signed headers): no fetch
        happens for a request that fails here."""
        path = self.request.uri or self.request.path
        try:
            return check_request("POST", path, self.request.headers, self.request.body)
        except SignatureError as err:
            raise Problem(403, str(err)) from None

    async def _verify(self, signed: SignedRequest) -> None:
        """The RSA check, with the stored key, else a fetched one; a stored key that fails
        is refetched (the actor may have rotated it), within KEY_FETCH_WINDOW."""
        try:
            signed.verify(await self._key_for(signed.actor, refresh=False))
            return
        except SignatureError as err:
            if str(err) != "Invalid signature":
                raise Problem(403, str(err)) from None
        try:
            signed.verify(await self._key_for(signed.actor, refresh=True))
        except SignatureError as err:
            raise Problem(403, str(err)) from None

    @public
    def get(self, kind: str | None = None, name: str | None = None) -> None:
        """An inbox read from outside: an OrderedCollection with nothing anyone may see."""
        url = f"{self.shoal.base_url}/inbox"
        if kind and name is not None:
            actor = actors.find_local(name, _types(kind))
            if actor is None:
                raise Problem(404, "Actor not found")
            url = f"{actors.actor_url(self.shoal, actor)}/inbox"
        self.send_activity(collections.head(url, 0))

    @public
    async def post(self, kind: str | None = None, name: str | None = None) -> None:
        if self.too_large:
            raise Problem(413, "The activity is larger than this server accepts.")
        self.request.body = bytes(self.body)
        if kind and name is not None and actors.find_local(name, _types(kind)) is None:
            raise Problem(404, "Actor not found")
        signed = self._check_signature()
        # The body (its Digest already checked) is read before any key is fetched: an
        # activity that is not the signer's own is refused on what it says.
        try:
            activity = inbox.check(inbox.parse(self.request.body), signed.actor)
        except inbox.InboxError as err:
            raise Problem(400, str(err)) from None
        await self._verify(signed)
        body = inbox.body_of(activity, self.request.body)
        await asyncio.to_thread(inbox.store, activity, body)  # see _key_for
        self.set_status(202)  # accepted: a job applies it
        self.clear_header("Content-Type")
        self.finish()


def _types(kind: str) -> tuple[ActorType, ...]:
    if kind == "video-channels":
        return (ActorType.GROUP,)
    return (ActorType.PERSON, ActorType.APPLICATION)


class CollectionHandler(ActivityPubHandler):
    """A collection's head, or one of its pages with ?page=N."""

    read_cached = True

    def send_collection(self, url: str, total: int, items: Callable[[int, int], list]) -> None:
        if self.get_argument("page", None) is None:
            self.send_activity(collections.head(url, total))
            return
        number = self.int_argument("page", 1, 1, collections.MAX_PAGE)
        self.send_activity(collections.page(url, number, total, items))


class ActorCollectionHandler(CollectionHandler):
    """followers, following, outbox and playlists of a local actor."""

    @public
    def get(self, kind: str, name: str, collection: str) -> None:
        actor = actors.find_local(name, _types(kind))
        if actor is None:
            raise Problem(404, "Actor not found")
        url = f"{actors.actor_url(self.shoal, actor)}/{collection}"
        if collection == "outbox":
            self.send_collection(url, *self._outbox(actor))
        elif collection == "playlists":
            self.send_collection(url, 0, collections.nothing)  # Shoal has no playlists yet
        else:
            self.send_collection(url, *self._follows(actor, collection))

    def _follows(self, actor: Actor, collection: str) -> tuple[int, Callable[[int, int], list]]:
        us, them = (
            (Follow.target, Follow.follower)
            if collection == "followers"
            else (Follow.follower, Follow.target)
        )
        query = (
            Follow.select(Follow, Actor)
            .join(Actor, on=them == Actor.id)
            .where((us == actor) & (Follow.state == FollowState.ACCEPTED))
        )
        side = "follower" if collection == "followers" else "target"

        def items(offset: int, limit: int) -> list[str]:
            rows = query.order_by(Follow.id.desc()).offset(offset).limit(limit)
            return [actors.actor_url(self.shoal, getattr(r, side)) for r in rows]

        return query.count(), items

    def _outbox(self, actor: Actor) -> tuple[int, Callable[[int, int], list]]:
        """As PeerTube: a channel's (and the server's) Announces, an account's Creates."""
        if actor.type == ActorType.GROUP:
            query = listed_query(channel=Channel.get(Channel.actor == actor))
        elif actor.type == ActorType.PERSON:
            query = listed_query(account=Account.get(Account.actor == actor))
        else:
            query = listed_query().where(Video.ap_id.is_null())

        def items(offset: int, limit: int) -> list[dict]:
            rows = query.order_by(Video.published_at.desc(), Video.id.desc())
            page = list(rows.offset(offset).limit(limit))
            if actor.type == ActorType.PERSON:
                return publish.create_activities(self.shoal, page)
            return [publish.announce_activity(self.shoal, v, actor) for v in page]

        return query.count(), items


def local_video(ref: str) -> Video:
    """A local video that has an ActivityPub object (published, not private), or 404."""
    video = find_video(ref)
    if (
        video is None
        or not video.is_local
        or video.privacy == Privacy.PRIVATE
        or not video.is_published
    ):
        raise Problem(404, "Video not found")
    return video


class VideoCollectionHandler(CollectionHandler):
    """likes, dislikes, announces (shares) and comments of a local video."""

    @public
    def get(self, ref: str, collection: str) -> None:
        video = local_video(ref)
        url = f"{video_url(self.shoal, video)}/{collection}"
        if collection == "announces":  # the channel's and the server's, then others'
            shares = [
                publish.announce_activity(self.shoal, video, a)["id"]
                for a in publish.announcers(video)
            ]
            shares += [s.ap_id for s in Share.select(Share.ap_id).where(Share.video == video)]
            self.send_collection(url, len(shares), lambda o, n: shares[o : o + n])
        elif collection == "comments":
            query = Comment.select(Comment.id, Comment.ap_id).where(Comment.video == video)

            def comment_items(offset: int, limit: int) -> list[str]:
                rows = query.order_by(Comment.id).offset(offset).limit(limit)
                return [row.ap_id or f"{url}/{row.id}" for row in rows]

            self.send_collection(url, query.count(), comment_items)
        else:
            self._ratings(video, url, collection.removesuffix("s"))

    def _ratings(self, video: Video, url: str, rating: str) -> None:
        """Likes or dislikes: the URLs of the Like (Dislike) activities, as PeerTube lists."""
        query = (
            Rating.select(Rating, Account, Actor)
            .join(Account)
            .join(Actor, peewee.JOIN.LEFT_OUTER)
            .where((Rating.video == video) & (Rating.value == ratings.VALUES[rating]))
        )

        def items(offset: int, limit: int) -> list[str]:
            rows = query.order_by(Rating.id).offset(offset).limit(limit)
            return [
                social.rating_id(self.shoal, row.account, video, rating)
                if row.account.is_local
                else row.ap_id or actors.actor_url(self.shoal, row.account.actor)
                for row in rows
            ]

        self.send_collection(url, query.count(), items)


class CommentHandler(ActivityPubHandler):
    """A comment written here, at its URL: its Note (a Tombstone once deleted) for
    ActivityPub, the watch page at the comment for a browser; /activity is its Create."""

    read_cached = True

    @public
    def get(self, ref: str, comment_id: str, activity: str | None = None) -> None:
        video = find_video(ref)  # local comments on remote videos live here too
        if video is None or video.privacy == Privacy.PRIVATE:
            raise Problem(404, "Video not found")
        comment = comments.find(video, int(comment_id))
        if comment is None or not comment.is_local:
            raise Problem(404, "Comment not found")
        self.add_header("Vary", "Accept")
        if not wants_activity_json(self.request.headers.get("Accept", "")):
            self.redirect(f"/w/{short_uuid(video.uuid)}#comment-{comment.id}")
            return
        doc = social.note(self.shoal, comment)
        if activity:
            if comment.is_deleted:
                raise Problem(404, "Comment not found")
            doc.pop("@context")
            author = doc["attributedTo"]
            doc = activity_envelope(
                "Create", author, doc, activity_id=f"{doc['id']}/activity",
                to=doc["to"], cc=doc["cc"],
            )  # fmt: skip
        self.send_activity(doc)


class RatingActivityHandler(ActivityPubHandler):
    """/accounts/{name}/likes/{video id} (and dislikes): the Like a local account sent."""

    read_cached = True

    @public
    def get(self, name: str, kind: str, video_id: str) -> None:
        account = Account.get_or_none((Account.name == name) & (Account.host == ""))
        video = Video.get_or_none(Video.id == int(video_id))
        rating = kind.removesuffix("s")
        if (
            account is None
            or video is None
            or video.privacy == Privacy.PRIVATE
            or ratings.rating_of(video, account) != rating
        ):
            raise Problem(404, "Rating not found")
        self.send_activity(social.rating_activity(self.shoal, account, video, rating))


class VideoActivityHandler(ActivityPubHandler):
    """The activities a video's collections and outboxes name: its Create and Announces."""

    read_cached = True

    @public
    def get(self, ref: str, announcer: str | None = None) -> None:
        video = local_video(ref)
        if announcer is None:
            self.send_activity(publish.create_activity(self.shoal, video))
            return
        found = [a for a in publish.announcers(video) if str(a.id) == announcer]
        if not found:
            raise Problem(404, "Announce not found")
        self.send_activity(publish.announce_activity(self.shoal, video, found[0]))


class CacheFileHandler(ActivityPubHandler):
    """This server's CacheFile of a remote video it mirrors (PeerTube's URL for it)."""

    read_cached = True

    @public
    def get(self, ref: str) -> None:
        video = find_video(ref)
        mirror = mirroring.ours(video) if video is not None else None
        if mirror is None or mirror.state != "ready":
            raise Problem(404, "Video redundancy not found")
        self.send_activity({"@context": actors.CONTEXT, **mirroring.cache_file(self.shoal, mirror)})


UUID_REF = r"(?P<ref>[0-9a-fA-F-]{36}|[0-9A-Za-z]{16,24})"

ROUTES = [
    (r"/inbox", InboxHandler),
    (r"/(?P<kind>accounts|video-channels)/(?P<name>[A-Za-z0-9._-]+)/inbox", InboxHandler),
    (
        r"/(?P<kind>accounts|video-channels)/(?P<name>[A-Za-z0-9._-]+)/"
        r"(?P<collection>followers|following|outbox|playlists)",
        ActorCollectionHandler,
    ),
    (
        rf"/videos/watch/{UUID_REF}/(?P<collection>likes|dislikes|announces|comments)",
        VideoCollectionHandler,
    ),
    (rf"/videos/watch/{UUID_REF}/activity", VideoActivityHandler),
    (rf"/redundancy/streaming-playlists/hls/{UUID_REF}", CacheFileHandler),
    (
        rf"/videos/watch/{UUID_REF}/comments/(?P<comment_id>\d{{1,12}})(?P<activity>/activity)?",
        CommentHandler,
    ),
    (
        r"/accounts/(?P<name>[A-Za-z0-9._-]+)/(?P<kind>likes|dislikes)/(?P<video_id>\d{1,12})",
        RatingActivityHandler,
    ),
    (rf"/videos/watch/{UUID_REF}/announces/(?P<announcer>\d{{1,12}})", VideoActivityHandler),
]
