"""Federation abuse: what a hostile server (or a hostile actor on a shared server) tries
through an inbox, against a real Shoal server and real signed HTTP.

Stub actors (tests/stub_actor.py) play the servers: `mallory` is the attacker, `victim`
a server whose channel, videos and actors she would like to take over. A stub serves
any other document (a second actor with its own key, a channel, a video) with `serve()`.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from app.federation import remote
from app.federation.signatures import sign_headers
from models.accounts import Account
from models.federation import Actor, InboxActivity
from models.videos import Video, VideoFile
from tests.stub_actor import AP_JSON, StubActor, keypair

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
INT_MAX = 2**31 - 1  # an IntegerField on PostgreSQL


@pytest.fixture
def settings(settings):
    """The suite's settings, allowed to reach loopback servers (the stub actors)."""
    return settings.with_(allow_loopback=True)


@pytest.fixture
def mallory():
    """mallory: the attacker, a Mastodon-like actor on her own loopback server."""
    stub = StubActor("mallory")
    yield stub
    stub.stop()


@pytest.fixture
def victim():
    """victim: another server, with a person `victim` and (see `serve_channel`) a channel."""
    stub = StubActor("victim", keys=keypair(1))
    yield stub
    stub.stop()


# --- builders -----------------------------------------------------------------------------


def serve_channel(stub: StubActor, name: str = "channel") -> str:
    """Serve a channel (Group) owned by the stub's person; returns its id."""
    url = f"{stub.url}/video-channels/{name}"
    stub.serve(
        f"/video-channels/{name}",
        {
            "type": "Group",
            "id": url,
            "preferredUsername": name,
            "name": f"{stub.name}'s channel",
            "inbox": f"{url}/inbox",
            "outbox": f"{url}/outbox",
            "followers": f"{url}/followers",
            "endpoints": {"sharedInbox": stub.shared_inbox},
            "publicKey": {"id": f"{url}#main-key", "owner": url, "publicKeyPem": stub.public_key},
            "attributedTo": [{"type": "Person", "id": stub.actor_url}],
        },
    )
    return url


def serve_person(stub: StubActor, name: str, keys: tuple[str, str]) -> str:
    """Serve a second person on the stub's server, with keys of its own; returns its id."""
    doc = stub.actor_document()
    url = f"{stub.url}/users/{name}"
    doc.update(
        id=url,
        preferredUsername=name,
        name=name.capitalize(),
        url=url,
        inbox=f"{url}/inbox",
        outbox=f"{url}/outbox",
        followers=f"{url}/followers",
        following=f"{url}/following",
        publicKey={"id": f"{url}#main-key", "owner": url, "publicKeyPem": keys[1]},
    )
    stub.serve(f"/users/{name}", doc)
    return url


def video(url: str, *, account: str, channel: str, name: str = "A video", **extra: Any) -> dict:
    """A Video object as PeerTube shapes it, with an HLS playlist of one rendition."""
    return {
        "type": "Video",
        "id": url,
        "name": name,
        "to": [PUBLIC],
        "cc": [],
        "duration": "PT5S",
        "attributedTo": [{"type": "Person", "id": account}, {"type": "Group", "id": channel}],
        "url": [
            {"type": "Link", "mediaType": "text/html", "href": url},
            {
                "type": "Link",
                "mediaType": "application/x-mpegURL",
                "href": f"{url}/master.m3u8",
                "tag": [
                    {
                        "type": "Link",
                        "mediaType": "video/mp4",
                        "href": f"{url}/360-fragmented.mp4",
                        "height": 360,
                        "width": 640,
                        "size": 1000,
                        "fps": 25,
                    }
                ],
            },
        ],
        **extra,
    }


def envelope(kind: str, actor: str, obj: Any, activity_id: str) -> dict:
    return {"id": activity_id, "type": kind, "actor": actor, "object": obj}


def accepted(response: httpx.Response) -> None:
    assert response.status_code in (202, 204), response.text
    assert response.content == b""


def refused(response: httpx.Response, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"], response.text


def outcome(server, activity: dict) -> tuple[str, str]:
    """(state, error) of the stored inbox row of an activity."""
    with server.use():
        row = InboxActivity.get(InboxActivity.ap_id == activity["id"])
        return row.state, row.error


def videos(server) -> list[str]:
    with server.use():
        return sorted(v.name for v in Video.select())


# --- 1. a video under another server's channel --------------------------------------------


def test_a_create_naming_another_servers_channel_or_account_is_refused(server, mallory, victim):
    """mallory (host A) publishes a video on her own host that names victim's channel
    (host B): it must not appear on B's channel here; B is not even asked about it."""
    their_channel = serve_channel(victim)
    own_channel = serve_channel(mallory)
    spoofs = {
        "channel": video(
            f"{mallory.url}/videos/1", account=mallory.actor_url, channel=their_channel
        ),
        "account": video(f"{mallory.url}/videos/2", account=victim.actor_url, channel=own_channel),
    }
    for what, obj in spoofs.items():
        create = envelope("Create", mallory.actor_url, obj, f"{obj['id']}/activity")
        accepted(mallory.post(f"{server.url}/inbox", create))
        server.run_jobs()
        state, error = outcome(server, create)
        assert state == "failed", (what, error)
        assert f"the video's {what} is on another host" in error
    assert videos(server) == []
    assert victim.fetches == []  # nothing of B's was fetched on A's word
    channel = server.client().get(f"/api/v1/video-channels/channel@{victim.host}/videos")
    assert channel.status_code == 404 or channel.json()["total"] == 0


def test_an_announce_is_checked_against_the_copy_at_the_origin(server, mallory, victim):
    """An Announce is applied from the object fetched at its origin: the embedded copy
    is ignored, and the origin's own copy must name itself and a channel of its host."""
    their_channel = serve_channel(victim)
    real = video(
        f"{victim.url}/videos/real", account=victim.actor_url, channel=their_channel, name="Real"
    )
    victim.serve("/videos/real", real)
    # a spoofed copy embedded by a third party: the origin's copy wins
    forged = {**real, "name": "Forged by mallory"}
    announce = envelope("Announce", mallory.actor_url, forged, f"{mallory.url}/announces/1")
    accepted(mallory.post(f"{server.url}/inbox", announce))
    server.run_jobs()
    assert outcome(server, announce) == ("done", "")
    assert videos(server) == ["Real"]

    # mallory's own server names victim's channel in a video it serves itself
    spoof = video(f"{mallory.url}/videos/3", account=mallory.actor_url, channel=their_channel)
    mallory.serve("/videos/3", spoof)
    # and serves, at another URL, a video that says it is that one
    mallory.serve("/videos/4", {**spoof, "id": f"{mallory.url}/videos/elsewhere"})
    for n, reason in ((3, "the video's channel is on another host"), (4, "names itself")):
        announce = envelope(
            "Announce", mallory.actor_url, f"{mallory.url}/videos/{n}", f"{mallory.url}/a/{n}"
        )
        accepted(mallory.post(f"{server.url}/inbox", announce))
        server.run_jobs()
        state, error = outcome(server, announce)
        assert state == "failed" and reason in error, error
    assert videos(server) == ["Real"]
    assert victim.fetches.count("/videos/real") == 1


# --- 3. one actor acting for another on the same server ------------------------------------


def test_only_a_videos_account_or_channel_may_update_or_delete_it(server, victim):
    """mallory has an account on victim's server: she may not edit or delete victim's
    video there, which its own account (or channel) may."""
    channel = serve_channel(victim)
    mallory_keys = keypair(2)
    mallory = serve_person(victim, "mallory", mallory_keys)
    obj = video(f"{victim.url}/videos/1", account=victim.actor_url, channel=channel, name="Mine")
    victim.serve("/videos/1", obj)  # its origin has it
    create = envelope("Create", victim.actor_url, obj, f"{obj['id']}/activity")
    accepted(victim.post(f"{server.url}/inbox", create))
    server.run_jobs()
    assert outcome(server, create) == ("done", "")

    def as_mallory(activity: dict) -> tuple[str, str]:
        accepted(
            victim.post(
                f"{server.url}/inbox",
                activity,
                key_id=f"{mallory}#main-key",
                private_key=mallory_keys[0],
            )
        )
        server.run_jobs()
        return outcome(server, activity)

    update = envelope(
        "Update", mallory, {**obj, "name": "Defaced"}, f"{victim.url}/users/mallory/u/1"
    )
    state, error = as_mallory(update)
    assert state == "failed" and "not the video's account or channel" in error
    delete = envelope("Delete", mallory, obj["id"], f"{victim.url}/users/mallory/d/1")
    state, error = as_mallory(delete)
    assert state == "failed" and "not the video's account or channel" in error
    assert "its origin still has it" in error
    assert videos(server) == ["Mine"]

    # a new video attributed to victim, sent by mallory: not hers to create either
    other = video(f"{victim.url}/videos/2", account=victim.actor_url, channel=channel)
    state, error = as_mallory(envelope("Create", mallory, other, f"{mallory}/c/2"))
    assert state == "failed" and "not the video's account or channel" in error

    # the channel itself may edit it; the account deletes it
    by_channel = envelope("Update", channel, {**obj, "name": "Edited"}, f"{channel}/updates/1")
    accepted(victim.post(f"{server.url}/inbox", by_channel, key_id=channel))
    server.run_jobs()
    assert outcome(server, by_channel) == ("done", "")
    assert videos(server) == ["Edited"]
    gone = envelope("Delete", victim.actor_url, obj["id"], f"{obj['id']}/delete")
    accepted(victim.post(f"{server.url}/inbox", gone))
    server.run_jobs()
    assert outcome(server, gone) == ("done", "") and videos(server) == []

    # from another actor of its server, a Delete the origin confirms (404) is applied
    third = video(f"{victim.url}/videos/3", account=victim.actor_url, channel=channel, name="3")
    create = envelope("Create", victim.actor_url, third, f"{third['id']}/activity")
    accepted(victim.post(f"{server.url}/inbox", create))
    server.run_jobs()
    assert videos(server) == ["3"]
    state, error = as_mallory(envelope("Delete", mallory, third["id"], f"{mallory}/d/3"))
    assert (state, error) == ("done", "") and videos(server) == []


def test_an_actor_is_deleted_or_rekeyed_only_by_itself_and_keys_come_from_its_origin(
    server, victim
):
    """mallory, on victim's server, tries to delete victim's actor here and to swap its
    key for hers (with an Update, and with a document that claims to be victim's), then
    to sign as victim. victim's own Update changes its profile but not its key: keys are
    only read from the actor's own document at its origin."""
    mallory_keys = keypair(2)
    mallory = serve_person(victim, "mallory", mallory_keys)
    hello = envelope("Like", victim.actor_url, f"{victim.url}/x", f"{victim.actor_url}/likes/1")
    accepted(victim.post(f"{server.url}/inbox", hello))  # victim is known here now
    server.run_jobs()

    def as_mallory(activity: dict) -> tuple[str, str]:
        accepted(
            victim.post(
                f"{server.url}/inbox", activity, key_id=mallory, private_key=mallory_keys[0]
            )
        )
        server.run_jobs()
        return outcome(server, activity)

    state, error = as_mallory(envelope("Delete", mallory, victim.actor_url, f"{mallory}/d/1"))
    assert state == "failed" and "may only delete itself" in error
    key = {"id": victim.key_id, "owner": victim.actor_url, "publicKeyPem": mallory_keys[1]}
    rekeyed = {**victim.actor_document(), "publicKey": key}
    state, error = as_mallory(envelope("Update", mallory, rekeyed, f"{mallory}/u/1"))
    assert state == "failed" and "may only update itself" in error

    # a document at mallory's URL that says it is victim: not stored as victim
    victim.serve("/users/impostor", {**rekeyed, "inbox": f"{victim.url}/users/impostor/inbox"})
    impostor = f"{victim.url}/users/impostor"
    follow = envelope("Follow", impostor, f"{server.url}/accounts/peertube", f"{impostor}/f/1")
    refused(
        victim.post(f"{server.url}/inbox", follow, key_id=impostor, private_key=mallory_keys[0]),
        403,
        "could not be checked",
    )

    # victim updates its profile; the copy it sends carries mallory's key (a server bug,
    # or a forged relay): the name changes, the key is the one its origin serves
    update = envelope(
        "Update", victim.actor_url, {**rekeyed, "name": "Victim Renamed"}, f"{victim.actor_url}/u/2"
    )
    accepted(victim.post(f"{server.url}/inbox", update))
    server.run_jobs()
    assert outcome(server, update) == ("done", "")
    with server.use():
        actor = Actor.get(Actor.ap_id == victim.actor_url)
        assert actor.public_key == victim.public_key
        assert Account.get(Account.actor == actor).display_name == "Victim Renamed"

    forged = envelope("Like", victim.actor_url, f"{victim.url}/y", f"{victim.actor_url}/likes/2")
    refused(
        victim.post(f"{server.url}/inbox", forged, private_key=mallory_keys[0]),
        403,
        "Invalid signature",
    )


def test_a_channel_named_by_a_video_must_be_the_document_at_its_url(server, mallory, victim):
    """mallory's video names a channel on her own host whose document claims to be
    victim's channel, with her key: nothing of victim's is overwritten."""
    their_channel = serve_channel(victim)
    with server.use():
        remote.get_actor(server.settings, their_channel)
    liar = {
        **mallory.document("/users/mallory"),
        "type": "Group",
        "id": their_channel,
        "inbox": f"{mallory.url}/c/inbox",
    }
    mallory.serve("/c/liar", liar)
    obj = video(
        f"{mallory.url}/videos/9", account=mallory.actor_url, channel=f"{mallory.url}/c/liar"
    )
    create = envelope("Create", mallory.actor_url, obj, f"{obj['id']}/activity")
    accepted(mallory.post(f"{server.url}/inbox", create))
    server.run_jobs()
    state, error = outcome(server, create)
    assert state == "failed" and "names itself" in error
    with server.use():
        actor = Actor.get(Actor.ap_id == their_channel)
        assert actor.public_key == victim.public_key and actor.inbox == f"{their_channel}/inbox"
        assert Video.select().count() == 0


# --- 8. extreme values --------------------------------------------------------------------


def test_extreme_values_in_a_video_are_clamped_to_what_the_database_holds(server, victim):
    channel = serve_channel(victim)
    huge = 2**64
    obj = video(
        f"{victim.url}/videos/extreme",
        account=victim.actor_url,
        channel=channel,
        views=10**400,
        category={"identifier": str(huge), "name": "Huge"},
        licence={"identifier": huge, "name": "Huge"},
        duration="P99999999999999999999D",
        published="0001-01-01T00:00:00+01:00",
        updated="9999-12-31T23:59:59-01:00",
        aspectRatio=1e308,
        name="Extreme\x00name",
    )
    obj["url"][1]["tag"] = [
        {"type": "Link", "mediaType": "video/mp4", "href": f"{obj['id']}/{n}-fragmented.mp4",
         "height": height, "width": huge, "size": 10**30, "fps": 1e300}
        for n, height in ((1, huge), (2, 2**63), (3, 720))
    ]  # fmt: skip
    create = envelope("Create", victim.actor_url, obj, f"{obj['id']}/activity")
    accepted(victim.post(f"{server.url}/inbox", create))
    infinite = {**obj, "id": f"{victim.url}/videos/inf", "aspectRatio": float("inf")}
    create_inf = envelope("Create", victim.actor_url, infinite, f"{infinite['id']}/activity")
    accepted(victim.post(f"{server.url}/inbox", json.dumps(create_inf).encode()))  # Infinity
    server.run_jobs()
    assert outcome(server, create) == ("done", "")
    assert outcome(server, create_inf) == ("done", "")
    with server.use():
        stored = Video.get(Video.ap_id == obj["id"])
        assert stored.name == "Extremename"
        assert stored.views == INT_MAX and stored.duration == INT_MAX
        assert stored.category is None and stored.licence is None
        assert stored.aspect_ratio is None
        assert stored.published_at is not None  # unreadable dates: the time it arrived
        files = list(VideoFile.select().where(VideoFile.video == stored))
        assert sorted(f.height for f in files) == [720, INT_MAX]  # one per height
        assert all(f.width == INT_MAX and f.size == 2**63 - 1 and f.fps == 0 for f in files)
    page = server.client().get(f"/api/v1/videos/{stored.uuid}")
    assert page.status_code == 200 and page.json()["views"] == INT_MAX


def test_an_activity_that_hits_an_unexpected_error_is_marked_failed(server, victim, monkeypatch):
    """Whatever goes wrong while applying an activity, its row ends 'failed' with the
    reason, instead of staying 'pending' while the job retries to no end."""

    def broken(*args, **kwargs):
        raise OverflowError("date value out of range")

    monkeypatch.setattr(remote, "upsert_video", broken)
    obj = video(f"{victim.url}/videos/1", account=victim.actor_url, channel=serve_channel(victim))
    create = envelope("Create", victim.actor_url, obj, f"{obj['id']}/activity")
    accepted(victim.post(f"{server.url}/inbox", create))
    server.run_jobs()
    state, error = outcome(server, create)
    assert state == "failed" and "OverflowError: date value out of range" in error
    assert server.run_jobs() == 0  # not retried


# --- 9. deep nesting ----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [100_000, 200])
def test_deeply_nested_json_is_refused_with_a_400(server, victim, depth):
    actor = victim.actor_url
    nested = "[" * depth + '"x"' + "]" * depth
    body = f'{{"id": "{actor}/n/1", "type": "Like", "actor": "{actor}", "object": {nested}}}'
    body = body.encode()
    refused(victim.post(f"{server.url}/inbox", body), 400, "nested too deeply")
    with server.use():
        assert InboxActivity.select().count() == 0


# --- 11. fetches on the word of a stranger ------------------------------------------------


def test_requests_refused_on_local_checks_make_no_fetch(server, mallory, victim):
    """mallory names victim's actor as keyId on requests that fail before any key is
    needed: this server must not GET anything from victim."""
    inbox_url = f"{server.url}/inbox"
    follow = envelope(
        "Follow", victim.actor_url, f"{server.url}/accounts/peertube", f"{victim.actor_url}/f"
    )
    body = json.dumps(follow).encode()

    def post(**kwargs: Any) -> httpx.Response:
        return mallory.post(inbox_url, follow, key_id=victim.key_id, **kwargs)

    refused(post(now=time.time() - 7200), 403, "clock skew")
    refused(post(send_body=body.replace(b"Follow", b"Block!")), 403, "Invalid digest")
    unsigned_digest = sign_headers(
        "GET", inbox_url, victim.key_id, mallory.private_key, headers={"Content-Type": AP_JSON}
    )
    refused(post(headers=unsigned_digest), 403, "digest was not a signed header")
    assert victim.fetches == []
    refused(post(headers={"Signature": 'keyId="' + victim.key_id + '",bad'}), 403, "bad param")
    other = {**follow, "actor": mallory.actor_url}
    refused(mallory.post(inbox_url, other, key_id=victim.key_id), 400, "not the signer")
    refused(mallory.post(inbox_url, b"[[[", key_id=victim.key_id), 400, "not JSON")
    assert victim.fetches == []
    with server.use():
        assert InboxActivity.select().count() == 0


def test_bad_signatures_refetch_a_known_key_at_most_once_in_a_while(server, mallory, victim):
    """A known actor's key is refetched when a signature fails (it may have rotated),
    but not on every bad request: a flood of them costs one GET."""
    hello = envelope("Like", victim.actor_url, f"{victim.url}/x", f"{victim.actor_url}/likes/1")
    accepted(victim.post(f"{server.url}/inbox", hello))
    fetched = victim.fetches.count("/users/victim")
    for n in range(5):
        forged = envelope("Like", victim.actor_url, f"{victim.url}/x", f"{victim.actor_url}/l/{n}")
        refused(
            victim.post(f"{server.url}/inbox", forged, private_key=mallory.private_key),
            403,
            "Invalid signature",
        )
    assert victim.fetches.count("/users/victim") <= fetched + 1
    with server.use():
        assert InboxActivity.select().count() == 1
