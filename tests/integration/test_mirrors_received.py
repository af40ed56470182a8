"""Mirrors of local videos announced by other servers (CacheFile), as PeerTube sends them:
recorded by policy, listed in the video's REST `redundancies`, extended, withdrawn,
expired, and refused when they are not what they say."""

from __future__ import annotations

import datetime as dt

from app.federation import actors, remote
from models import utcnow
from models.federation import Follow, FollowState, InboxActivity
from models.redundancy import Mirror
from tests.handlers.test_api_videos import upload
from tests.integration.test_inbox import accepted, bob, settings
from workers.sweep import sweep

__all__ = ["bob", "settings"]
AS = "https://www.w3.org/ns/activitystreams"


def cache_file(bob, video_url: str, number: int = 1, *, days: int = 2, href: str | None = None):
    """Create{CacheFile} as PeerTube 6.3 sends it from its server actor."""
    obj = {
        "id": f"{bob.url}/redundancy/videos/{number}",
        "type": "CacheFile",
        "object": video_url,
        "expires": (utcnow() + dt.timedelta(days=days)).isoformat() + "Z",
        "url": {
            "type": "Link",
            "mediaType": "application/x-mpegURL",
            "href": href or f"{bob.url}/static/redundancy/hls/{number}",
        },
    }
    return {"@context": [AS], "id": f"{obj['id']}/activity", "type": "Create",
            "actor": bob.actor_url, "to": [], "object": obj}  # fmt: skip


def redundancies(server, uuid: str) -> list[dict]:
    (playlist,) = server.client().get(f"/api/v1/videos/{uuid}").json()["streamingPlaylists"]
    return playlist["redundancies"]


def last_error(server) -> str:
    with server.use():
        row = InboxActivity.select().order_by(InboxActivity.id.desc()).first()
        return row.error


def followed_by_us(server, bob) -> None:
    with server.use():
        actor = remote.get_actor(server.settings, bob.actor_url)
        Follow.create(follower=actors.server_actor(), target=actor, state=FollowState.ACCEPTED)


def test_a_followed_servers_mirror_is_listed_extended_and_withdrawn(
    server, local_user, alice_api, clip, bob
):
    ids = upload(alice_api, clip, name="Mirrored")
    server.run_jobs()
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    create = cache_file(bob, video_url)
    accepted(bob.post(f"{server.url}/inbox", create))  # not followed: not recorded
    server.run_jobs()
    assert redundancies(server, ids["uuid"]) == []

    followed_by_us(server, bob)
    create = cache_file(bob, video_url, 2)
    accepted(bob.post(f"{server.url}/inbox", create))
    server.run_jobs()
    base = create["object"]["url"]["href"]
    assert redundancies(server, ids["uuid"]) == [{"baseUrl": base}]

    update = {**create, "id": f"{create['object']['id']}/update", "type": "Update"}
    update["object"] = {**create["object"], "expires": "2099-01-01T00:00:00.000Z"}
    accepted(bob.post(f"{server.url}/inbox", update))
    server.run_jobs()
    with server.use():
        (mirror,) = Mirror.select()
        assert mirror.expires_at.year == 2099

    # As PeerTube 6.3 sends it (send-undo.ts): the Undo of the Create{CacheFile}.
    inner = {**create, "id": create["object"]["id"]}
    del inner["@context"]
    undo = {"@context": [AS], "id": f"{inner['id']}/undo", "type": "Undo",
            "actor": bob.actor_url, "object": inner}  # fmt: skip
    accepted(bob.post(f"{server.url}/inbox", undo))
    server.run_jobs()
    assert redundancies(server, ids["uuid"]) == []


def test_expired_mirrors_are_not_listed_and_are_swept(server, local_user, alice_api, clip, bob):
    ids = upload(alice_api, clip, name="Short-lived")
    server.run_jobs()
    followed_by_us(server, bob)
    create = cache_file(bob, f"{server.url}/videos/watch/{ids['uuid']}", days=1)
    accepted(bob.post(f"{server.url}/inbox", create))
    server.run_jobs()
    assert len(redundancies(server, ids["uuid"])) == 1
    with server.use():
        Mirror.update(expires_at=utcnow() - dt.timedelta(minutes=1)).execute()
    assert redundancies(server, ids["uuid"]) == []
    with server.use():
        sweep(server.settings)
        assert Mirror.select().count() == 0


def test_mirrors_that_are_not_what_they_say_are_refused(server, local_user, alice_api, clip, bob):
    ids = upload(alice_api, clip, name="Guarded")
    server.run_jobs()
    followed_by_us(server, bob)
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    for bad, reason in (
        (cache_file(bob, video_url, 3, href="https://elsewhere.example/hls/3"), "on the server"),
        (cache_file(bob, "https://elsewhere.example/videos/watch/x", 4), "video of this server"),
    ):
        accepted(bob.post(f"{server.url}/inbox", bad))
        server.run_jobs()
        assert reason in last_error(server)
    not_hls = cache_file(bob, video_url, 5)
    not_hls["object"]["url"]["mediaType"] = "video/mp4"
    accepted(bob.post(f"{server.url}/inbox", not_hls))
    server.run_jobs()
    assert "HLS" in last_error(server)
    assert redundancies(server, ids["uuid"]) == []


def test_a_server_that_accepts_no_mirrors_records_none(
    server, local_user, alice_api, clip, bob, monkeypatch
):
    monkeypatch.setattr(server, "settings", server.settings.with_(redundancy_accept_from="nobody"))
    ids = upload(alice_api, clip, name="Nobody's")
    server.run_jobs()
    followed_by_us(server, bob)
    accepted(
        bob.post(f"{server.url}/inbox", cache_file(bob, f"{server.url}/videos/watch/{ids['uuid']}"))
    )
    server.run_jobs()
    assert redundancies(server, ids["uuid"]) == []
