"""A Shoal server mirrors another's video: the copy is checked against the origin's
segment hashes, served under the mirror's URLs, announced with CacheFile (the origin
lists it) and withdrawn with Undo; a copy that does not match is never served."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys

import httpx
import pytest

from app.tracker import bdecode
from app.videos import hls_dir
from models import utcnow
from models.redundancy import Mirror
from models.videos import Video
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import PASSWORD, admin, follow_server, make_user, settle
from tests.integration.test_torrents import CLIENT
from workers.sweep import sweep


def mirrored_pair(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    follow_server(origin, mirror)  # the origin takes mirrors from servers it follows
    ids = upload(make_user(origin, "alice"), clip, name="Worth keeping")
    settle(origin, mirror)
    remote_id = mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["id"]
    return origin, mirror, ids, remote_id


def redundancies(server, uuid: str) -> list[dict]:
    (playlist,) = server.client().get(f"/api/v1/videos/{uuid}").json()["streamingPlaylists"]
    return playlist["redundancies"]


def test_a_mirror_copies_serves_announces_and_withdraws_a_video(instances, clip):
    origin, mirror, ids, remote_id = mirrored_pair(instances, clip)
    root = admin(mirror)
    assert (
        root.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id}).status_code
        == 204
    )
    again = root.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id})
    assert again.status_code == 409 and "already" in again.json()["detail"]
    settle(mirror, origin)

    (item,) = root.get(
        "/api/v1/server/redundancy/videos", params={"target": "remote-videos"}
    ).json()["data"]
    (copy,) = item["redundancies"]["streamingPlaylists"]
    base = f"{mirror.url}/static/redundancy/hls/{ids['uuid']}"
    assert item["uuid"] == ids["uuid"] and copy["fileUrl"] == base and copy["state"] == "ready"
    assert copy["strategy"] == "manual" and copy["size"] > 0
    # Every file of the origin's rendition is served, byte for byte, by the mirror.
    details = origin.client().get(f"/api/v1/videos/{ids['uuid']}").json()
    for f in details["streamingPlaylists"][0]["files"]:
        name = f["fileUrl"].rsplit("/", 1)[-1]
        assert httpx.get(f"{base}/{name}").content == httpx.get(f["fileUrl"]).content
    master = details["streamingPlaylists"][0]["playlistUrl"].rsplit("/", 1)[-1]
    assert httpx.get(f"{base}/{master}").status_code == 200
    # The origin lists the mirror, for its own REST clients and its admin.
    assert redundancies(origin, ids["uuid"]) == [{"baseUrl": base}]
    mine = admin(origin).get("/api/v1/server/redundancy/videos", params={"target": "my-videos"})
    assert [v["uuid"] for v in mine.json()["data"]] == [ids["uuid"]]
    cache_file = httpx.get(
        f"{mirror.url}/redundancy/streaming-playlists/hls/{ids['uuid']}",
        headers={"Accept": "application/activity+json"},
    ).json()
    assert cache_file["type"] == "CacheFile" and cache_file["url"]["href"] == base

    assert root.delete(f"/api/v1/server/redundancy/videos/{copy['id']}").status_code == 204
    settle(mirror, origin)
    assert redundancies(origin, ids["uuid"]) == []
    assert httpx.get(f"{base}/{master}").status_code == 404


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # not about the database
def test_a_copy_that_does_not_match_the_origins_hashes_is_never_served(instances, clip):
    origin, mirror, ids, remote_id = mirrored_pair(instances, clip)
    with origin.use():
        video = Video.get(Video.uuid == ids["uuid"])
        (media,) = [p for p in hls_dir(origin.settings, video).glob("*-fragmented.mp4")][:1]
    data = bytearray(media.read_bytes())
    data[-10] ^= 0xFF  # a byte of the last segment changes after the hashes were made
    media.write_bytes(bytes(data))
    root = admin(mirror)
    assert (
        root.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id}).status_code
        == 204
    )
    settle(mirror, origin)
    (item,) = root.get(
        "/api/v1/server/redundancy/videos", params={"target": "remote-videos"}
    ).json()["data"]
    (copy,) = item["redundancies"]["streamingPlaylists"]
    assert copy["state"] == "failed" and "do not match the origin's hash" in copy["error"]
    assert redundancies(origin, ids["uuid"]) == []
    assert httpx.get(f"{copy['fileUrl']}/{media.name}").status_code == 404


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # not about the database
def test_only_admins_mirror_and_only_remote_videos(instances, clip):
    origin, mirror, ids, remote_id = mirrored_pair(instances, clip)
    carol = make_user(mirror, "carol")
    assert (
        carol.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id}).status_code
        == 403
    )
    local = upload(carol, clip, name="Mine")
    refused = admin(mirror).post("/api/v1/server/redundancy/videos", json={"videoId": local["id"]})
    assert refused.status_code == 400 and "own" in refused.json()["detail"]
    bad = admin(mirror).get("/api/v1/server/redundancy/videos", params={"target": "all"})
    assert bad.status_code == 400


def test_a_copy_is_renewed_with_update_before_it_expires(instances, clip):
    origin, mirror, ids, remote_id = mirrored_pair(instances, clip)
    root = admin(mirror)
    assert (
        root.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id}).status_code
        == 204
    )
    settle(mirror, origin)
    soon = utcnow() + dt.timedelta(hours=2)
    with mirror.use():
        Mirror.update(expires_at=soon).execute()
        sweep(mirror.settings)
        sweep(mirror.settings)  # twice: renewed once
        (copy,) = Mirror.select()
        assert copy.expires_at > utcnow() + dt.timedelta(days=6)
    settle(mirror, origin)
    with origin.use():
        (seen,) = Mirror.select()
        assert seen.expires_at > utcnow() + dt.timedelta(days=6)
    assert len(redundancies(origin, ids["uuid"])) == 1


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # not about the database
def test_a_bittorrent_client_completes_a_rendition_from_the_mirror_with_the_origin_gone(
    instances, clip, tmp_path
):
    """The origin's torrent lists the mirror's copy as a second WebSeed: with the origin's
    files gone, libtorrent (its own process, no peers) completes from the mirror."""
    pytest.importorskip("libtorrent", reason="the libtorrent client is not installed")
    origin, mirror, ids, remote_id = mirrored_pair(instances, clip)
    assert (
        admin(mirror)
        .post("/api/v1/server/redundancy/videos", json={"videoId": remote_id})
        .status_code
        == 204
    )
    settle(mirror, origin)
    f = (
        origin.client()
        .get(f"/api/v1/videos/{ids['uuid']}")
        .json()["streamingPlaylists"][0]["files"][0]
    )
    raw = origin.client().get(f["torrentUrl"]).content
    name = f["fileUrl"].rsplit("/", 1)[-1]
    seeds = [u.decode() for u in bdecode(raw)[b"url-list"]]
    assert seeds == [f["fileUrl"], f"{mirror.url}/static/redundancy/hls/{ids['uuid']}/{name}"]
    original = httpx.get(f["fileUrl"]).content
    with origin.use():
        folder = hls_dir(origin.settings, Video.get(Video.uuid == ids["uuid"]))
    folder.rename(folder.with_name(f"{folder.name}.gone"))
    assert httpx.get(f["fileUrl"]).status_code == 404
    torrent = tmp_path / "video.torrent"
    torrent.write_bytes(raw)
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, str(torrent), str(tmp_path / "client")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    (got,) = (tmp_path / "client").iterdir()
    assert hashlib.sha256(got.read_bytes()).digest() == hashlib.sha256(original).digest()


def test_a_strategy_mirrors_a_new_video_with_views_and_a_third_server_learns_of_it(instances, clip):
    origin, mirror, viewer = instances("origin"), instances("mirror"), instances("viewer")
    follow_server(mirror, origin)
    follow_server(origin, mirror)
    follow_server(viewer, origin)
    alice = make_user(origin, "alice")
    popular = upload(alice, clip, name="Popular")
    quiet = upload(alice, clip, name="Quiet")
    settle(origin, mirror, viewer)
    with mirror.use():
        Video.update(views=50).where(Video.uuid == popular["uuid"]).execute()
        Video.update(views=2).where(Video.uuid == quiet["uuid"]).execute()

    root = admin(mirror)
    host = origin.settings.host
    allow = root.put(f"/api/v1/server/redundancy/{host}", json={"redundancyAllowed": True})
    assert allow.status_code == 204
    assert root.put("/api/v1/server/redundancy/nowhere.example",
                    json={"redundancyAllowed": True}).status_code == 404  # fmt: skip
    assert root.put(f"/api/v1/server/redundancy/{host}", json={}).status_code == 400
    (follow,) = root.get("/api/v1/server/following").json()["data"]
    assert follow["following"]["host"] == host and follow["following"]["hostRedundancyAllowed"]

    page = mirror.client()
    page.login("root", PASSWORD)
    saved = page.form("/admin/redundancy", {
        "action": "strategies", "recently-added.enabled": "on", "recently-added.size": "1",
        "recently-added.lifetime": "24", "recently-added.views": "10", "free_floor": "0",
    })  # fmt: skip
    assert saved.status_code == 303, saved.text
    assert "Saved." in page.get(saved.headers["location"]).text
    with mirror.use():
        sweep(mirror.settings)  # the worker's housekeeping runs the strategies
    settle(mirror, origin, viewer)

    base = f"{mirror.url}/static/redundancy/hls/{popular['uuid']}"
    assert redundancies(origin, popular["uuid"]) == [{"baseUrl": base}]
    assert redundancies(origin, quiet["uuid"]) == []  # 2 views: fewer than 10
    # The origin forwarded the CacheFile: the third server's viewers use the mirror too.
    assert redundancies(viewer, popular["uuid"]) == [{"baseUrl": base}]
    watch = viewer.client().get(f"/w/{popular['shortUUID']}").text
    assert f"{base}/" in watch and "data-mirrors" in watch
    admin_page = page.get("/admin/redundancy").text
    assert "Popular" in admin_page and "Recently added" in admin_page and "<meter" in admin_page
    (item,) = root.get(
        "/api/v1/server/redundancy/videos", params={"target": "remote-videos"}
    ).json()["data"]
    (copy,) = item["redundancies"]["streamingPlaylists"]
    assert copy["strategy"] == "recently-added" and copy["state"] == "ready" and copy["size"] > 0

    # The admin stops mirroring the origin: Undo, forwarded; every server forgets the copy.
    stop = page.form("/admin/redundancy", {"action": "forbid", "host": host})
    assert stop.status_code == 303
    settle(mirror, origin, viewer)
    assert redundancies(origin, popular["uuid"]) == []
    assert redundancies(viewer, popular["uuid"]) == []
    assert httpx.get(f"{base}/{copy['fileUrl'].rsplit('/', 1)[-1]}").status_code == 404
    with viewer.use():
        assert not Mirror.select().exists()
