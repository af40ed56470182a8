"""Moderation between two Shoal servers: a muted server's videos and comments disappear
and come back when unmuted, its comments and follows are refused; a block that
unfederates reaches the other side as Delete, and unblocking brings the video back."""

from __future__ import annotations

from models.federation import Follow, FollowState, InboxActivity
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import admin, follow_server, make_user, settle


def names(client, path: str = "/api/v1/videos") -> list[str]:
    return [v["name"] for v in client.get(path).json()["data"]]


def test_a_muted_server_disappears_and_comes_back(instances, clip):
    origin, home = instances("origin"), instances("home")
    follow_server(home, origin)
    follow_server(origin, home)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="From over there")
    settle(origin, home)
    carol = make_user(home, "carol")
    assert "From over there" in names(home.client())
    mine = upload(carol, clip, name="Carol's own")
    settle(home, origin)

    root = admin(home)
    host = origin.settings.host
    assert root.post("/api/v1/server/blocklist/servers", json={"host": host}).status_code == 204
    anon = home.client()
    assert "From over there" not in names(anon)
    assert names(anon, "/api/v1/search/videos?search=over") == []
    assert "From over there" not in anon.get("/").text
    # Its comments are refused from now on, with the reason on the inbox row.
    said = alice.post(f"/api/v1/videos/{mine['uuid']}/comment-threads",
                      json={"text": "Hello from a muted server"})  # fmt: skip
    assert said.status_code == 200, said.text
    settle(origin, home)
    assert carol.get(f"/api/v1/videos/{mine['uuid']}/comment-threads").json()["total"] == 0
    with home.use():
        refused = (
            InboxActivity.select()
            .where(InboxActivity.type == "Create")
            .order_by(InboxActivity.id.desc())
            .first()
        )
        assert refused.state == "failed" and "muted" in refused.error

    assert root.delete(f"/api/v1/server/blocklist/servers/{host}").status_code == 204
    assert "From over there" in names(anon)
    assert ids["uuid"] in [v["uuid"] for v in anon.get("/api/v1/videos").json()["data"]]


def test_a_muted_servers_follow_is_refused(instances):
    origin, other = instances("origin"), instances("other")
    root = admin(origin)
    muted = root.post("/api/v1/server/blocklist/servers", json={"host": other.settings.host})
    assert muted.status_code == 204
    asked = admin(other).post("/api/v1/server/following", json={"hosts": [origin.settings.host]})
    assert asked.status_code == 204
    settle(other, origin)
    with other.use():
        (follow,) = Follow.select()
        assert follow.state == FollowState.REJECTED  # told with Reject
    with origin.use():
        assert not Follow.select().where(Follow.state == FollowState.ACCEPTED).exists()


def test_an_unfederating_block_deletes_the_video_elsewhere_until_unblocked(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Taken back")
    settle(origin, mirror)
    assert "Taken back" in names(mirror.client())

    root = admin(origin)
    block = root.post(f"/api/v1/videos/{ids['uuid']}/blacklist",
                      json={"reason": "Not here", "unfederate": True})  # fmt: skip
    assert block.status_code == 204
    settle(origin, mirror)
    assert mirror.client().get(f"/api/v1/videos/{ids['uuid']}").status_code == 404
    assert "Taken back" not in names(mirror.client())

    assert root.delete(f"/api/v1/videos/{ids['uuid']}/blacklist").status_code == 204
    settle(origin, mirror)
    assert "Taken back" in names(mirror.client())
