"""Follow backfill: a new subscriber, or a server that starts following another, gets
the recent public videos read from the target's outbox, silently; a hostile outbox is
bounded and refused item by item."""

from __future__ import annotations

from typing import Any

import pytest

from app import jobs
from app.federation import backfill, remote
from models.notifications import Notification
from models.videos import Video
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import admin, follow_server, make_user, settle
from tests.stub_actor import StubActor

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def test_a_new_subscriber_sees_the_channels_past_videos_without_being_notified(instances, clip):
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    for name in ("One", "Two", "Three"):
        upload(alice, clip, name=name)
    upload(alice, clip, name="Not listed", privacy=2)
    settle(origin)
    carol = make_user(home, "carol")
    handle = f"alice_channel@{origin.settings.host}"
    assert carol.post("/api/v1/users/me/subscriptions", json={"uri": handle}).status_code == 204
    settle(home, origin)

    feed = carol.get("/api/v1/users/me/subscriptions/videos").json()
    assert [v["name"] for v in feed["data"]] == ["Three", "Two", "One"]
    assert carol.get("/api/v1/video-channels/" + handle + "/videos").json()["total"] == 3
    with home.use():
        assert not Video.select().where(Video.name == "Not listed").exists()
        assert all(v.fetched_at is not None for v in Video.select())  # refreshed like others
    told = carol.get("/api/v1/users/me/notifications").json()["data"]
    assert [n for n in told if n["type"] == 1] == []  # old videos are no news

    upload(alice, clip, name="Four")
    settle(origin, home)
    told = carol.get("/api/v1/users/me/notifications").json()["data"]
    assert [n["video"]["name"] for n in told if n["type"] == 1] == ["Four"]


def test_following_a_remote_account_backfills_its_videos_from_all_its_channels(instances, clip):
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    response = alice.post("/api/v1/video-channels", json={"name": "cooking", "displayName": "Food"})
    assert response.status_code == 200, response.text
    cooking = alice.get("/api/v1/video-channels/cooking").json()["id"]
    upload(alice, clip, name="Cats")
    upload(alice, clip, name="Soup", channelId=cooking)
    settle(origin)
    carol = make_user(home, "carol")
    handle = f"alice@{origin.settings.host}"
    assert carol.post("/api/v1/users/me/subscriptions", json={"uri": handle}).status_code == 204
    settle(home, origin)
    feed = carol.get("/api/v1/users/me/subscriptions/videos").json()
    assert [v["name"] for v in feed["data"]] == ["Soup", "Cats"]
    channels = {v["channel"]["name"] for v in feed["data"]}
    assert channels == {"alice_channel", "cooking"}


def test_a_server_follow_backfills_the_newest_videos_up_to_the_setting(instances, clip):
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    for name in ("Old", "Middle", "New"):
        upload(alice, clip, name=name)
    settle(origin)
    home.settings = home.settings.with_(backfill_videos=2)  # the worker's setting
    follow_server(home, origin)
    settle(home, origin)
    listed = admin(home).get("/api/v1/videos", params={"sort": "-publishedAt"}).json()
    assert [v["name"] for v in listed["data"]] == ["New", "Middle"]
    with home.use():
        assert Notification.select().count() == 0


def _video(stub: StubActor, path: str, name: str, *, listed: bool = True) -> dict[str, Any]:
    url = f"{stub.url}{path}"
    audience = {"to": [PUBLIC], "cc": []} if listed else {"to": [], "cc": [PUBLIC]}
    return {
        "type": "Video",
        "id": url,
        "name": name,
        **audience,
        "published": "2026-11-01T10:00:00.000Z",
        "attributedTo": [
            {"type": "Person", "id": stub.actor_url},
            {"type": "Group", "id": f"{stub.url}/c/bob_channel"},
        ],
        "url": [
            {"type": "Link", "mediaType": "text/html", "href": url},
            {
                "type": "Link",
                "mediaType": "application/x-mpegURL",
                "href": f"{url}/master.m3u8",
                "tag": [],
            },
        ],
    }


def _hostile_outbox(stub: StubActor) -> None:
    """An outbox with good videos between bad items, pages that loop, a foreign host."""
    base = stub.url
    stub.serve(
        "/c/bob_channel",
        {
            "type": "Group",
            "id": f"{base}/c/bob_channel",
            "preferredUsername": "bob_channel",
            "inbox": f"{base}/c/bob_channel/inbox",
            "outbox": f"{base}/c/bob_channel/outbox",
            "attributedTo": [{"type": "Person", "id": stub.actor_url}],
        },
    )
    for n in (1, 2, 3, 4):
        stub.serve(f"/videos/{n}", _video(stub, f"/videos/{n}", f"Video {n}"))
    stub.serve("/videos/hidden", _video(stub, "/videos/hidden", "Hidden", listed=False))
    stub.serve("/videos/liar", _video(stub, "/videos/other", "Says it is another"))
    outbox = f"{stub.actor_url}/outbox"
    stub.serve(
        "/users/bob/outbox",
        {"id": outbox, "type": "OrderedCollection", "totalItems": 10**9, "first": f"{outbox}/p1"},
    )

    def announce(ref: str) -> dict:
        return {"type": "Announce", "id": f"{ref}/announce", "actor": stub.actor_url, "object": ref}

    stub.serve(
        "/users/bob/outbox/p1",
        {
            "id": f"{outbox}/p1",
            "type": "OrderedCollectionPage",
            "next": f"{outbox}/p2",
            "orderedItems": [
                {"type": "Create", "id": f"{base}/videos/1/activity",
                 "object": _video(stub, "/videos/1", "Video 1")},
                announce("http://127.0.0.1:9/videos/elsewhere"),  # another host
                {"type": "Create", "id": f"{base}/notes/1", "object": {"type": "Note"}},
                announce(f"{base}/videos/hidden"),  # unlisted: not backfilled
                announce(f"{base}/videos/liar"),  # its id is not what was named
                announce(f"{base}/videos/404"),  # gone
                "not an activity at all, but a string",
                42,
                announce(f"{base}/videos/2"),
            ],
        },
    )  # fmt: skip
    stub.serve(
        "/users/bob/outbox/p2",
        {
            "id": f"{outbox}/p2",
            "type": "OrderedCollectionPage",
            "next": f"{outbox}/p1",  # a loop
            "orderedItems": [announce(f"{base}/videos/3"), announce(f"{base}/videos/4")],
        },
    )


def test_a_hostile_outbox_is_bounded_and_refused_item_by_item(instances):
    home = instances("home")
    stub = StubActor("bob")
    try:
        _hostile_outbox(stub)
        with home.use():
            actor = remote.get_actor(home.settings, stub.actor_url)
            outcome = backfill.backfill(home.settings, actor)
            names = sorted(v.name for v in Video.select())
        assert names == ["Video 1", "Video 2", "Video 3", "Video 4"]
        assert len(outcome.imported) == 4 and outcome.known == []
        reasons = "\n".join(outcome.refused)
        assert "/videos/elsewhere: on another host" in reasons
        assert "/videos/hidden: not a public video" in reasons
        assert "/videos/liar: the object fetched is not the one named" in reasons
        assert "/videos/404" in reasons and "answered 404" in reasons
        assert stub.fetches.count("/users/bob/outbox/p1") == 1  # the loop was not followed

        # Again, with a limit of 2: the two newest are known (not fetched again) and the
        # next page is not read.
        fetched = len(stub.fetches)
        with home.use():
            again = backfill.backfill(home.settings.with_(backfill_videos=2), actor)
        assert again.imported == [] and len(again.known) == 2
        later = stub.fetches[fetched:]
        assert later[:2] == ["/users/bob/outbox", "/users/bob/outbox/p1"]
        assert not {"/users/bob/outbox/p2", "/videos/1", "/videos/2"} & set(later)

        # A page too large to read is refused while it downloads; what came before stays.
        huge = {"id": f"{stub.actor_url}/outbox/p2", "type": "OrderedCollectionPage",
                "orderedItems": ["x" * 1000] * 3000}  # fmt: skip
        stub.serve("/users/bob/outbox/p2", huge)
        with home.use():
            cut = backfill.backfill(home.settings, actor)
        assert len(cut.known) == 2 and cut.refused[-1].startswith("the rest of the outbox:")

        # An outbox whose pages are on another host is not read: the job fails for good.
        stub.serve(
            "/users/bob/outbox",
            {"id": f"{stub.actor_url}/outbox", "type": "OrderedCollection",
             "first": "http://127.0.0.1:9/outbox?page=1"},
        )  # fmt: skip
        with home.use(), pytest.raises(jobs.PermanentError, match="page is on another host"):
            backfill.backfill(home.settings, actor)
    finally:
        stub.stop()


def test_a_looked_up_url_must_serve_the_object_it_names(instances):
    """A user looks up a URL whose document claims to be another object: nothing is stored."""
    home = instances("home")
    stub = StubActor("bob")
    try:
        _hostile_outbox(stub)  # serves bob, bob_channel and videos on the stub
        stub.serve("/videos/decoy", _video(stub, "/videos/1", "Claims to be video 1"))
        carol = make_user(home, "carol")
        found = carol.get("/api/v1/search/videos", params={"search": f"{stub.url}/videos/decoy"})
        assert found.status_code == 200 and found.json()["total"] == 0
        with home.use():
            assert Video.select().count() == 0
        real = carol.get("/api/v1/search/videos", params={"search": f"{stub.url}/videos/2"})
        assert [v["name"] for v in real.json()["data"]] == ["Video 2"]
    finally:
        stub.stop()
