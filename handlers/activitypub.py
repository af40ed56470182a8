"""ActivityPub endpoints: inboxes (signed POSTs) and actor collections.

Actor documents and Video objects are served by the page handlers of the same
URLs (one URL per object, chosen by Accept); see handlers/accounts.py,
channels.py and videos.py.
"""

from __future__ import annotations

import asyncio
import json
import logging

import tornado.web
from tornado.httputil import HTTPHeaders

from app.federation import actors, inbox, remote
from app.federation.fetch import FetchError, fetch_json_async
from app.federation.signatures import (
    SignatureError,
    key_owner,
    parse_signature_header,
    verify_request,
)
from app.serialize import video_url
from app.videos import listed_query
from handlers.base import ActivityPubHandler, Problem, public
from models.accounts import Account, Channel
from models.federation import Actor, ActorType, Follow, FollowState
from models.videos import Video

log = logging.getLogger(__name__)

PAGE_SIZE = 50


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

    async def _key_for(self, signer_url: str, refresh: bool) -> str | None:
        actor = Actor.get_or_none(Actor.ap_id == signer_url)
        if actor is not None and actor.public_key and not refresh:
            return actor.public_key
        try:
            doc = await fetch_json_async(self.shoal, signer_url)
            # The key is what is needed here; a Group's owner (another fetch) waits for the worker.
            # Writes go to a thread: on SQLite one may wait for the write lock, and the
            # event loop must keep serving meanwhile.
            actor = await asyncio.to_thread(
                remote.upsert_actor, self.shoal, doc, profile=doc.get("type") != "Group"
            )
        except (FetchError, remote.RemoteError) as err:
            log.info("key of %s not fetched: %s", signer_url, err)
            return actor.public_key if actor is not None else None
        return actor.public_key

    async def _verify(self) -> str:
        headers: HTTPHeaders = self.request.headers
        raw = headers.get("Signature") or headers.get("Authorization", "")
        try:
            signer = key_owner(parse_signature_header(raw)["keyId"]) if raw else ""
        except (SignatureError, KeyError):
            raise Problem(403, "Invalid signature") from None
        path = self.request.uri or self.request.path
        for refresh in (False, True):  # a failed check refetches the key once (rotation)
            key = await self._key_for(signer, refresh) if signer else None
            try:
                verify_request("POST", path, headers, self.request.body, key or (lambda _k: None))
                return signer
            except SignatureError as err:
                if str(err) != "Invalid signature" or refresh:
                    raise Problem(403, str(err)) from None
        raise Problem(403, "Invalid signature")

    @public
    async def post(self, kind: str | None = None, name: str | None = None) -> None:
        if self.too_large:
            raise Problem(413, "The activity is larger than this server accepts.")
        self.request.body = bytes(self.body)
        if kind and name is not None and actors.find_local(name, _types(kind)) is None:
            raise Problem(404, "Actor not found")
        signer = await self._verify()
        try:
            data = json.loads(self.request.body)
        except ValueError:
            raise Problem(400, "The body is not JSON.") from None
        try:
            activity = inbox.check(data, signer)
        except inbox.InboxError as err:
            raise Problem(400, str(err)) from None
        await asyncio.to_thread(inbox.store, activity, self.request.body)  # see _key_for
        self.set_status(202)  # accepted: a job applies it
        self.clear_header("Content-Type")
        self.finish()


def _types(kind: str) -> tuple[ActorType, ...]:
    if kind == "video-channels":
        return (ActorType.GROUP,)
    return (ActorType.PERSON, ActorType.APPLICATION)


class CollectionHandler(ActivityPubHandler):
    """followers, following and outbox of a local actor, as OrderedCollections with pages."""

    @public
    def get(self, kind: str, name: str, collection: str) -> None:
        actor = actors.find_local(name, _types(kind))
        if actor is None:
            raise Problem(404, "Actor not found")
        url = f"{actors.actor_url(self.shoal, actor)}/{collection}"
        if collection == "outbox":
            items, total = self._outbox(actor)
        else:
            items, total = self._follows(actor, collection)
        page = self.get_argument("page", None)
        if page is None:
            self.send_activity(
                {
                    "@context": actors.CONTEXT,
                    "id": url,
                    "type": "OrderedCollection",
                    "totalItems": total,
                    "first": f"{url}?page=1",
                }
            )
            return
        number = self.int_argument("page", 1, 1, 100_000)
        start = (number - 1) * PAGE_SIZE
        body = {
            "@context": actors.CONTEXT,
            "id": f"{url}?page={number}",
            "type": "OrderedCollectionPage",
            "totalItems": total,
            "partOf": url,
            "orderedItems": items[start : start + PAGE_SIZE],
        }
        if start + PAGE_SIZE < total:
            body["next"] = f"{url}?page={number + 1}"
        if number > 1:
            body["prev"] = f"{url}?page={number - 1}"
        self.send_activity(body)

    def _follows(self, actor: Actor, collection: str) -> tuple[list[str], int]:
        if collection == "followers":
            query = Follow.select(Follow, Actor).join(Actor, on=Follow.follower == Actor.id)
            query = query.where((Follow.target == actor) & (Follow.state == FollowState.ACCEPTED))
        else:
            query = Follow.select(Follow, Actor).join(Actor, on=Follow.target == Actor.id)
            query = query.where((Follow.follower == actor) & (Follow.state == FollowState.ACCEPTED))
        rows = list(query.order_by(Follow.id.desc()))
        side = "follower" if collection == "followers" else "target"
        return [actors.actor_url(self.shoal, getattr(r, side)) for r in rows], len(rows)

    def _outbox(self, actor: Actor) -> tuple[list[dict], int]:
        if actor.type == ActorType.GROUP:
            query = listed_query(channel=Channel.get(Channel.actor == actor))
        elif actor.type == ActorType.PERSON:
            query = listed_query(account=Account.get(Account.actor == actor))
        else:
            return [], 0
        videos = list(query.order_by(Video.published_at.desc(), Video.id.desc()))
        actor_url = actors.actor_url(self.shoal, actor)
        items = [
            {
                "type": "Announce",
                "id": f"{video_url(self.shoal, v)}/announces/{actor.id}",
                "actor": actor_url,
                "object": video_url(self.shoal, v),
                "to": [actors.PUBLIC],
                "cc": [f"{actor_url}/followers"],
            }
            for v in videos
        ]
        return items, len(items)


ROUTES = [
    (r"/inbox", InboxHandler),
    (r"/(?P<kind>accounts|video-channels)/(?P<name>[A-Za-z0-9._-]+)/inbox", InboxHandler),
    (
        r"/(?P<kind>accounts|video-channels)/(?P<name>[A-Za-z0-9._-]+)/"
        r"(?P<collection>followers|following|outbox)",
        CollectionHandler,
    ),
]
