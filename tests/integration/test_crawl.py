"""Every URL Shoal names in an ActivityPub document answers.

A crawler starts from the server actor, an account, a channel and videos,
follows every URL-valued field that points to this server and fetches it:
ActivityPub references with `Accept: application/activity+json` (200, a
sensible type, the same id), media Links and images with a plain GET (200),
the tracker's WebSocket with a real handshake. A link Shoal cannot serve must
not be published: PeerTube fetches them (a 404 on a video's `likes` once made
it exit).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import tornado.websocket

from app.federation import collections as ap_collections
from tests.conftest import PASSWORD, LiveServer
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import make_user, settle

AP = {"Accept": "application/activity+json"}
AP_MEDIA = ("application/activity+json", "application/ld+json", "text/html")
SENSIBLE = {
    "Person",
    "Group",
    "Application",
    "Video",
    "OrderedCollection",
    "OrderedCollectionPage",
    "Create",
    "Announce",
}
LIMIT = 600


def references(value: Any, parent: dict | None = None, key: str = "") -> list[tuple[str, str]]:
    """(url, how to check it) for every string URL in a document.

    'file': a Link with a non-ActivityPub mediaType, or an Image's url;
    'socket': a ws:// or wss:// URL; 'ap': anything else.
    """
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k != "@context":
                found += references(v, value, k)
    elif isinstance(value, list):
        for item in value:
            found += references(item, parent, key)
    elif isinstance(value, str) and value.startswith(("http://", "https://", "ws://", "wss://")):
        parent = parent or {}
        media = parent.get("mediaType", "")
        a_file = media and not media.startswith(AP_MEDIA) or parent.get("rel")
        if value.startswith(("ws://", "wss://")):
            found.append((value, "socket"))
        elif parent.get("type") == "Image" or (key == "href" and a_file):
            found.append((value, "file"))
        else:
            found.append((value, "ap"))
    return found


async def _handshake(url: str) -> None:
    conn = await tornado.websocket.websocket_connect(url)
    conn.close()


def crawl(server: LiveServer, seeds: list[str]) -> dict[str, Any]:
    """Fetch everything reachable from `seeds` on this server; return what was seen."""
    origin = urlsplit(server.url).netloc
    client = server.client()
    seen: dict[str, Any] = {}
    queue: deque[tuple[str, str, str]] = deque((url, "ap", "seed") for url in seeds)
    while queue:
        url, how, source = queue.popleft()
        url = urlunsplit(urlsplit(url)._replace(fragment=""))  # #main-key names the actor
        if urlsplit(url).netloc != origin or url in seen:
            continue
        assert len(seen) < LIMIT, "the crawl does not end"
        if how == "socket":
            asyncio.run(_handshake(url))
            seen[url] = "socket"
            continue
        response = client.get(url, headers=AP if how == "ap" else {})
        assert response.status_code == 200, f"{url} (named by {source}): {response.status_code}"
        if how == "file":
            assert response.content, f"{url} (named by {source}) is empty"
            seen[url] = "file"
            continue
        assert response.headers["Content-Type"].startswith("application/activity+json"), url
        doc = response.json()
        assert doc.get("type") in SENSIBLE, f"{url} (named by {source}): type {doc.get('type')}"
        assert doc.get("id") == url, f"{url} says its id is {doc.get('id')}"
        seen[url] = doc
        for ref, kind in references(doc):
            queue.append((ref, kind, url))
    client.close()
    return seen


def test_every_url_in_shoals_activitypub_documents_answers(instances, clip, monkeypatch):
    monkeypatch.setattr(ap_collections, "PAGE_SIZE", 1)  # every next and prev link is crawled
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    make_user(origin, "bob")
    carol = make_user(home, "carol")
    public = upload(alice, clip, name="Public")
    unlisted = upload(alice, clip, name="Unlisted", privacy=2)
    settle(origin)
    # Followers and following that are not empty: a subscriber from another server, a
    # local subscription, and the other server following this one.
    handle = f"alice_channel@{origin.settings.host}"
    assert carol.post("/api/v1/users/me/subscriptions", json={"uri": handle}).status_code == 204
    local = alice.post("/api/v1/users/me/subscriptions", json={"uri": "bob_channel"})
    assert local.status_code == 204
    home_admin = home.client()
    home_admin.token("root", PASSWORD)
    home_admin.post("/api/v1/server/following", json={"hosts": [origin.settings.host]})
    settle(home, origin)

    base = origin.url
    seen = crawl(
        origin,
        [
            f"{base}/accounts/peertube",
            f"{base}/accounts/alice",
            f"{base}/video-channels/alice_channel",
            f"{base}/videos/watch/{public['uuid']}",
            f"{base}/videos/watch/{unlisted['uuid']}",
        ],
    )
    docs = {url: doc for url, doc in seen.items() if isinstance(doc, dict)}
    video_url = f"{base}/videos/watch/{public['uuid']}"
    # What PeerTube fetches when it first sees a video, and what it reads in them.
    for name in ("likes", "dislikes", "announces", "comments"):
        assert docs[f"{video_url}/{name}"]["type"] == "OrderedCollection"
    assert docs[f"{video_url}/likes"]["totalItems"] == 0
    assert docs[f"{video_url}/announces"]["totalItems"] == 2
    shares = [
        item
        for number in (1, 2)
        for item in docs[f"{video_url}/announces?page={number}"]["orderedItems"]
    ]
    assert len(set(shares)) == 2 and all(docs[s]["type"] == "Announce" for s in shares)
    assert docs[f"{video_url}/announces?page=2"]["prev"] == f"{video_url}/announces?page=1"
    for actor in ("accounts/alice", "video-channels/alice_channel", "accounts/peertube"):
        assert docs[f"{base}/{actor}/playlists"]["totalItems"] == 0
    assert docs[f"{base}/video-channels/alice_channel/followers"]["totalItems"] == 1
    assert docs[f"{base}/accounts/peertube/followers"]["totalItems"] == 1
    assert docs[f"{base}/accounts/alice/following"]["totalItems"] == 1
    # Outboxes as PeerTube's: the account Creates, the channel and the server Announce.
    created = docs[f"{base}/accounts/alice/outbox?page=1"]["orderedItems"]
    assert [(a["type"], a["object"]["name"]) for a in created] == [("Create", "Public")]
    assert docs[created[0]["id"]]["object"]["id"] == video_url
    for actor in ("video-channels/alice_channel", "accounts/peertube"):
        items = docs[f"{base}/{actor}/outbox?page=1"]["orderedItems"]
        assert [(a["type"], a["object"]) for a in items] == [("Announce", video_url)]
    # The unlisted video has its object but is in no outbox, and nobody announces it.
    unlisted_url = f"{base}/videos/watch/{unlisted['uuid']}"
    assert docs[unlisted_url]["type"] == "Video"
    assert docs[f"{unlisted_url}/announces"]["totalItems"] == 0
    kinds = [v if isinstance(v, str) else "ap" for v in seen.values()]
    assert kinds.count("socket") == 1 and kinds.count("file") >= 8
    assert len(docs) >= 40
