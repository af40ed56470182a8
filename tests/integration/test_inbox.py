"""Inboxes against a real Shoal server and real signed HTTP.

A Mastodon-like stub actor (tests/stub_actor.py) follows, unfollows, replays and
tampers with its requests; the real PeerTube 6.3 captures are applied to check
that remote videos and channels come out as PeerTube describes them.
"""

from __future__ import annotations

import concurrent.futures
import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest

from app.federation import fetch, inbox, remote
from models import db
from models.accounts import Channel
from models.federation import Actor, Follow, InboxActivity
from models.videos import Video
from tests.handlers.test_api_videos import upload
from tests.stub_actor import AP_JSON, StubActor, keypair

PEERTUBE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"
PT = "http://127.0.0.1:9001"  # the captured PeerTube's origin


@pytest.fixture
def settings(settings):
    """The suite's settings, allowed to reach loopback servers (the stub actor)."""
    return settings.with_(allow_loopback=True)


@pytest.fixture
def bob():
    """bob: a remote Mastodon-like actor on its own loopback server."""
    stub = StubActor("bob")
    yield stub
    stub.stop()


def follow_of(bob: StubActor, target: str, follow_id: str) -> dict:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": follow_id,
        "type": "Follow",
        "actor": bob.actor_url,
        "object": target,
    }


def undo_of(bob: StubActor, follow: dict) -> dict:
    inner = {k: v for k, v in follow.items() if k != "@context"}
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{follow['id']}/undo",
        "type": "Undo",
        "actor": bob.actor_url,
        "object": inner,
    }


def accepted(response: httpx.Response) -> None:
    """Taken in, to be applied by a job: an empty 2xx (PeerTube says 204, Mastodon 202)."""
    assert response.status_code in (202, 204), response.text
    assert response.content == b""


def stored(server) -> int:
    with server.use():
        return InboxActivity.select().count()


def followers(server, actor_url: str) -> int:
    response = httpx.get(f"{actor_url}/followers", headers={"Accept": AP_JSON})
    assert response.status_code == 200, response.text
    return response.json()["totalItems"]


def captured(name: str) -> dict:
    """A fixture document: an ap-* document, or the body of a fed-* capture."""
    (path,) = PEERTUBE.glob(f"{name}*.json")
    doc = json.loads(path.read_text())
    return doc["body"] if name.startswith("fed-") else doc


# --- 1. a Mastodon-like follower ----------------------------------------------------------


def test_a_mastodon_follower_is_accepted_gets_new_videos_and_can_undo(
    server, local_user, alice_api, clip, bob
):
    channel = f"{server.url}/video-channels/alice_channel"
    account = f"{server.url}/accounts/alice"
    follows = {
        channel: follow_of(bob, channel, f"{bob.actor_url}#follows/channel"),
        account: follow_of(bob, account, f"{bob.actor_url}#follows/account"),
    }
    for target, follow in follows.items():
        accepted(bob.post(f"{target}/inbox", follow))
        server.run_jobs()
        accept = bob.posts()[-1]
        assert accept.path == "/users/bob/inbox"  # its own inbox, not the shared one
        assert accept.verified, accept.error  # signature and Digest check out
        assert accept.key_id == target  # PeerTube's keyId: the bare actor URL
        assert accept.activity["type"] == "Accept" and accept.activity["actor"] == target
        assert accept.activity["object"]["id"] == follow["id"]
        assert followers(server, target) == 1
    assert len(bob.received) == 2

    ids = upload(alice_api, clip, name="For bob")
    server.run_jobs()
    shared = bob.posts("/inbox")
    # once each: Create by the account, Announce by the channel and by the server (as PeerTube)
    assert sorted(r.activity["type"] for r in shared) == ["Announce", "Announce", "Create"]
    assert all(r.verified for r in shared), [r.error for r in shared]
    (create,) = (r for r in shared if r.activity["type"] == "Create")
    assert create.activity["actor"] == account and create.key_id == account
    assert create.activity["object"]["type"] == "Video"
    assert create.activity["object"]["uuid"] == ids["uuid"]
    announces = {r.activity["actor"]: r for r in shared if r.activity["type"] == "Announce"}
    assert channel in announces and announces[channel].key_id == channel
    assert all(a.activity["object"] == create.activity["object"]["id"] for a in announces.values())
    assert any(a.endswith("/accounts/peertube") for a in announces)
    assert len(bob.posts("/users/bob/inbox")) == 2  # only the Accepts went there

    undo_channel = undo_of(bob, follows[channel])  # the Follow embedded, as Mastodon does
    undo_account = {**undo_of(bob, follows[account]), "object": follows[account]["id"]}
    for target, undo in ((channel, undo_channel), (account, undo_account)):
        accepted(bob.post(f"{target}/inbox", undo))
        server.run_jobs()
        assert followers(server, target) == 0
    with server.use():
        assert Follow.select().count() == 0


# --- 2. refused requests ------------------------------------------------------------------


def refused(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"], response.text


def test_refused_inbox_posts_are_not_stored(server, local_user, bob):
    channel = f"{server.url}/video-channels/alice_channel"
    inbox_url = f"{channel}/inbox"
    follow = follow_of(bob, channel, f"{bob.actor_url}#follows/1")
    body = json.dumps(follow).encode()

    unsigned = httpx.post(inbox_url, content=body, headers={"Content-Type": AP_JSON})
    refused(unsigned, 403, "no authorization or signature header")
    refused(bob.post(inbox_url, follow, private_key=keypair(1)[0]), 403, "Invalid signature")
    tampered = json.dumps({**follow, "object": f"{server.url}/accounts/alice"}).encode()
    refused(bob.post(inbox_url, follow, send_body=tampered), 403, "Invalid digest")
    refused(bob.post(inbox_url, follow, now=time.time() - 7200), 403, "clock skew")
    mallory = {**follow, "actor": "http://127.0.0.1:9/users/mallory"}
    refused(bob.post(inbox_url, mallory), 400, "not the signer")
    other_id = {**follow, "id": "http://127.0.0.1:9/follows/1"}
    refused(bob.post(inbox_url, other_id), 400, "different hosts")
    big = {**follow, "padding": "x" * (600 * 1024)}
    assert bob.post(inbox_url, big).status_code == 413
    refused(bob.post(inbox_url, b"this is not JSON"), 400, "JSON")
    refused(bob.post(f"{server.url}/accounts/nobody/inbox", follow), 404, "not found")

    assert stored(server) == 0
    assert server.run_jobs() == 0  # unlike PeerTube 6.3, the tampered Follow is not applied
    with server.use():
        assert Follow.select().count() == 0
    assert bob.received == []  # no Accept went out


def test_a_create_of_a_video_from_another_host_fails_in_the_job(server, bob):
    video = {
        "type": "Video",
        "id": f"{PT}/videos/watch/ea3fde66-aa21-42f5-877d-261a0b33d371",
        "name": "Not bob's to announce",
        "attributedTo": [{"type": "Group", "id": f"{PT}/video-channels/alice_channel"}],
    }
    create = {
        "id": f"{bob.actor_url}/statuses/1/activity",
        "type": "Create",
        "actor": bob.actor_url,
        "object": video,
    }
    # the envelope is bob's own, so the door lets it in; the job refuses the object
    accepted(bob.post(f"{server.url}/inbox", create))
    server.run_jobs()
    with server.use():
        row = InboxActivity.get(InboxActivity.ap_id == create["id"])
        assert row.state == "failed" and "host" in row.error
        assert Video.select().count() == 0


def test_a_malformed_video_fails_in_the_job_without_retries(server, bob):
    create = {
        "id": f"{bob.actor_url}/statuses/2/activity",
        "type": "Create",
        "actor": bob.actor_url,
        "object": {"type": "Video", "id": f"{bob.actor_url}/videos/1"},  # no name
    }
    accepted(bob.post(f"{server.url}/inbox", create))
    server.run_jobs()
    with server.use():
        row = InboxActivity.get(InboxActivity.ap_id == create["id"])
        assert row.state == "failed" and "no name" in row.error


# --- 3. replays and duplicates ------------------------------------------------------------


def test_a_replayed_follow_is_stored_and_applied_once(server, local_user, bob):
    channel = f"{server.url}/video-channels/alice_channel"
    inbox_url = f"{channel}/inbox"
    follow = follow_of(bob, channel, f"{bob.actor_url}#follows/first")
    body = json.dumps(follow).encode()
    headers = bob.signed_headers(inbox_url, body)
    accepted(bob.post(inbox_url, body, headers=headers))
    accepted(bob.post(inbox_url, body, headers=headers))  # replayed as is
    # delivered again: a fresh HTTP signature and a new LD signature, same activity
    again = {**follow, "signature": {"type": "RsaSignature2017", "created": "later"}}
    accepted(bob.post(inbox_url, again))
    assert stored(server) == 1
    server.run_jobs()
    with server.use():
        assert Follow.select().count() == 1
    (accept,) = bob.posts()
    assert accept.activity["object"]["id"] == follow["id"]

    # the same follow asked again under a new id: one follow, the original id accepted
    repeated = follow_of(bob, channel, f"{bob.actor_url}#follows/second")
    accepted(bob.post(inbox_url, repeated))
    server.run_jobs()
    with server.use():
        assert Follow.select().count() == 1
    first, second = bob.posts()
    assert second.verified, second.error
    assert second.activity["object"]["id"] == follow["id"]
    assert second.activity["id"] == first.activity["id"]
    assert followers(server, channel) == 1


def peertube_on(stub: StubActor):
    """Make the stub stand in for the captured PeerTube: serve its actors (with the stub's
    key) and return a function giving a fed-* body moved to the stub's host."""

    def moved(doc: dict) -> dict:
        return json.loads(json.dumps(doc).replace("127.0.0.1:9001", stub.host))

    for name in ("ap-person.accounts-alice", "ap-group.video-channels-alice_channel"):
        doc = moved(captured(name))
        doc["publicKey"]["publicKeyPem"] = stub.public_key
        stub.serve(doc["id"].removeprefix(stub.url), doc)
    return lambda name: moved(captured(name))


def test_two_updates_with_one_id_are_both_kept_and_the_later_wins(server, bob):
    fed = peertube_on(bob)
    alice = f"{bob.url}/accounts/alice"
    bodies = [fed(n) for n in ("fed-04a", "fed-04d", "fed-04e")]
    assert bodies[1]["id"] == bodies[2]["id"] and bodies[1] != bodies[2]
    for body in bodies:  # signed as PeerTube signs: keyId is the bare actor URL
        accepted(bob.post(f"{server.url}/inbox", body, key_id=alice))
    with server.use():
        same_id = InboxActivity.select().where(InboxActivity.ap_id == bodies[1]["id"])
        assert same_id.count() == 2 and stored(server) == 3
    server.run_jobs()

    uuid = bodies[0]["object"]["uuid"]
    video = server.client().get(f"/api/v1/videos/{uuid}").json()
    (playlist,) = video["streamingPlaylists"]
    later = next(u for u in bodies[2]["object"]["url"] if u["mediaType"] == "application/x-mpegURL")
    assert playlist["playlistUrl"] == later["href"]
    assert len(playlist["files"]) == 2  # 04e's two renditions, not 04d's one
    with server.use():
        assert {r.state for r in InboxActivity.select()} == {"done"}


# --- 4. key rotation ----------------------------------------------------------------------


def test_a_rotated_key_is_refetched_once_and_then_verifies(server, local_user, bob):
    channel = f"{server.url}/video-channels/alice_channel"
    account = f"{server.url}/accounts/alice"
    first = follow_of(bob, channel, f"{bob.actor_url}#follows/1")
    accepted(bob.post(f"{channel}/inbox", first))
    old_private = bob.private_key

    bob.rotate_key(keypair(1))
    before = bob.fetches.count("/users/bob")
    second = follow_of(bob, account, f"{bob.actor_url}#follows/2")
    accepted(bob.post(f"{account}/inbox", second))
    assert bob.fetches.count("/users/bob") == before + 1
    assert stored(server) == 2

    # the old key does not work any more
    third = follow_of(bob, account, f"{bob.actor_url}#follows/3")
    refused(bob.post(f"{account}/inbox", third, private_key=old_private), 403, "Invalid signature")
    assert stored(server) == 2


# --- 5. real PeerTube activities ----------------------------------------------------------


def test_peertube_activities_make_update_and_delete_remote_videos_and_channels(server, monkeypatch):
    fetched: list[str] = []

    def no_network(settings, url, **kwargs):
        fetched.append(url)
        raise fetch.FetchError(f"{url}: this test has no PeerTube to fetch from")

    monkeypatch.setattr(fetch, "fetch_json", no_network)
    settings = server.settings
    anon = server.client()

    def apply(name: str) -> None:
        with server.use():
            inbox.apply(settings, captured(name))

    with server.use():
        for name in (
            "ap-person.accounts-alice",
            "ap-person.accounts-root",
            "ap-application-actor.accounts-peertube",
            "ap-group.video-channels-alice_channel",
        ):
            remote.upsert_actor(settings, captured(name))

    create = captured("fed-04a")["object"]
    apply("fed-04a")
    listed = anon.get("/api/v1/videos").json()
    assert listed["total"] == 1
    (video,) = listed["data"]
    assert video["uuid"] == create["uuid"] and video["name"] == create["name"]
    assert video["duration"] == 4 and video["isLocal"] is False
    assert video["channel"]["name"] == "alice_channel" and video["channel"]["host"] == PT[7:]
    details = anon.get(f"/api/v1/videos/{create['uuid']}").json()
    assert details["tags"] == ["cats", "federation"]
    (playlist,) = details["streamingPlaylists"]
    master = next(u for u in create["url"] if u["mediaType"] == "application/x-mpegURL")
    assert playlist["playlistUrl"] == master["href"] and len(playlist["files"]) == 1

    for name in ("fed-04b", "fed-04c", "fed-04d", "fed-04e"):  # Announces of a known video
        apply(name)
    (playlist,) = anon.get(f"/api/v1/videos/{create['uuid']}").json()["streamingPlaylists"]
    assert len(playlist["files"]) == 2

    apply("fed-05")
    details = anon.get(f"/api/v1/videos/{create['uuid']}").json()
    assert details["name"] == "Second clip (edited title)"
    assert details["tags"] == ["cats", "edited", "federation"]

    short_lived = captured("fed-10a")["object"]["uuid"]
    apply("fed-10a")
    assert anon.get("/api/v1/videos").json()["total"] == 2
    apply("fed-11")
    assert anon.get("/api/v1/videos").json()["total"] == 1
    assert anon.get(f"/api/v1/videos/{short_lived}").status_code == 404

    apply("fed-09")
    channel = anon.get("/api/v1/video-channels/alice_channel@127.0.0.1:9001").json()
    assert channel["displayName"] == "Alice's Cat Channel"
    assert channel["description"].startswith("Short clips of cats and P2P experiments (updated).")

    apply("fed-08")  # View: ignored
    apply("fed-07a")  # Create{Note}: comments are not kept yet
    assert anon.get("/api/v1/videos").json()["total"] == 1

    elsewhere = {
        "type": "Delete",
        "id": f"{PT}/videos/watch/x/delete",
        "actor": f"{PT}/accounts/alice",
        "object": "http://127.0.0.1:9002/videos/watch/ea3fde66-aa21-42f5-877d-261a0b33d371",
    }
    with server.use(), pytest.raises(remote.RemoteError):
        inbox.apply(settings, elsewhere)
    assert fetched == []  # the seeded actors were enough


def test_a_create_from_a_known_channel_is_applied_in_a_few_statements(server, monkeypatch):
    """The worker applies every activity a server receives: each statement counts
    (a round trip to PostgreSQL). Actors are read with their profile in one query,
    a new video's files in one INSERT, and nothing is read twice."""

    def no_network(settings, url, **kwargs):
        raise fetch.FetchError(f"{url}: not fetched in this test")

    monkeypatch.setattr(fetch, "fetch_json", no_network)
    settings = server.settings
    with server.use():
        for name in ("ap-person.accounts-alice", "ap-group.video-channels-alice_channel"):
            remote.upsert_actor(settings, captured(name))
        statements: list[str] = []
        execute_sql = db.obj.execute_sql

        def counted(sql, *args, **kwargs):
            statements.append(sql)
            return execute_sql(sql, *args, **kwargs)

        monkeypatch.setattr(db.obj, "execute_sql", counted)
        inbox.apply(settings, captured("fed-04a"))
        monkeypatch.undo()
        video = Video.get(Video.ap_id == captured("fed-04a")["object"]["id"])
        assert [f.resolution for f in video.files] == [360]  # the one file fed-04a names
    # sender and channel (with their profiles), the channel, the video's id and uuid,
    # the video, the channel's subscribers, its files, its storyboard
    assert len(statements) <= 8, "\n".join(s[:120] for s in statements)


def test_a_channels_unknown_owner_is_fetched_outside_any_transaction(server, monkeypatch):
    """On SQLite a transaction holds the one write lock: a fetch inside it would make
    every other writer (the web answering inboxes) wait for the network."""
    fetched: list[tuple[str, bool]] = []

    def fetch_json(settings, url, **kwargs):
        fetched.append((url, db.in_transaction()))
        return captured("ap-person.accounts-alice")

    monkeypatch.setattr(fetch, "fetch_json", fetch_json)
    group = captured("ap-group.video-channels-alice_channel")
    with server.use():
        remote.upsert_actor(server.settings, group)
        assert fetched == [(f"{PT}/accounts/alice", False)]
        channel = Channel.get(Channel.actor == Actor.get(Actor.ap_id == group["id"]))
        assert channel.account.actor.ap_id == f"{PT}/accounts/alice"  # the owner's account


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_inbox_post_waiting_for_the_write_lock_holds_up_no_other_request(
    server, local_user, bob
):
    channel = f"{server.url}/video-channels/alice_channel"
    accepted(bob.post(f"{channel}/inbox", follow_of(bob, channel, f"{bob.actor_url}#one")))
    path = server.settings.database_url.split(":///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer (a worker's job) holds the lock
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            second = follow_of(bob, channel, f"{bob.actor_url}#two")
            waiting = pool.submit(bob.post, f"{channel}/inbox", second)
            time.sleep(0.5)
            assert not waiting.done()  # its INSERT waits for the lock ...
            started = time.monotonic()
            page = httpx.get(f"{server.url}/about", timeout=10)
            assert page.status_code == 200
            # ... and the server answers others (blocked, it would not answer before the
            # COMMIT below; 2 s leaves room for a loaded machine, not for a blocked loop)
            assert time.monotonic() - started < 2.0
            holder.execute("COMMIT")
            accepted(waiting.result(timeout=10))
    finally:
        holder.close()
    assert stored(server) == 2
