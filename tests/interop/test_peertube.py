"""Shoal and a real PeerTube 6.3, both ways: subscriptions by handle with older videos
backfilled, servers following each other, videos published, edited and deleted on each
side reaching the other, and PeerTube still up at the end (a Shoal video once made it
exit). The tests run in order and build on each other."""

from __future__ import annotations

import collections
import os
import re
import secrets
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from app.federation import redundancy
from models.federation import InboxActivity
from tests.conftest import PASSWORD, Client, LiveServer
from tests.handlers.test_api_videos import upload
from tests.interop.conftest import NO_PEERTUBE, PeerTube, wait_for

pytestmark = NO_PEERTUBE

LOG = os.environ.get("SHOAL_INTEROP_PEERTUBE_LOG", "")
PID = os.environ.get("SHOAL_INTEROP_PEERTUBE_PID", "")


class World:
    """What the steps share: names on both sides, clients, the PeerTube log's start."""

    suffix = secrets.token_hex(3)
    log_start = 0
    pt_user: dict[str, str] = {}
    alice: Client | None = None
    carol: Client | None = None


@pytest.fixture(scope="module")
def world(peertube: PeerTube, shoal: LiveServer) -> World:
    World.log_start = Path(LOG).stat().st_size if LOG else 0
    World.pt_user = peertube.create_user(f"pt{World.suffix}", PASSWORD)
    for name in ("alice", "carol"):
        response = shoal.client().form("/signup", {"username": name, "password": PASSWORD})
        assert response.status_code == 303, response.text
    World.alice, World.carol = shoal.client(), shoal.client()
    World.alice.token("alice", PASSWORD)
    World.carol.token("carol", PASSWORD)
    return World


def names(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [v["name"] for v in response.json()["data"]]


def shoal_video(shoal: LiveServer, uuid: str) -> dict | None:
    response = shoal.client().get(f"/api/v1/videos/{uuid}")
    return response.json() if response.status_code == 200 else None


def test_subscriptions_by_handle_backfill_older_videos_both_ways(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    pt_channel = f"pt{world.suffix}_channel"
    old_pt = [f"PeerTube older {n} {world.suffix}" for n in (1, 2)]
    for name in old_pt:
        peertube.upload(world.pt_user, pt_channel, name, interop_clip)
    old_shoal = [f"Shoal older {n} {world.suffix}" for n in (1, 2)]
    for name in old_shoal:
        upload(world.alice, interop_clip, name=name)
    wait_for(
        "Shoal publishes its older videos",
        lambda: set(old_shoal) <= set(names(world.alice.get("/api/v1/videos"))),
    )

    # A Shoal user subscribes to the PeerTube channel by its handle.
    handle = f"{pt_channel}@{peertube.host}"
    response = world.carol.post("/api/v1/users/me/subscriptions", json={"uri": handle})
    assert response.status_code == 204, response.text
    wait_for(
        "the PeerTube channel's older videos backfilled on Shoal",
        lambda: set(old_pt) <= set(names(world.carol.get("/api/v1/users/me/subscriptions/videos"))),
    )
    played = shoal_video(shoal, names_to_uuid(world.carol, old_pt[0]))
    assert played["streamingPlaylists"][0]["playlistUrl"].startswith(peertube.url)

    # A PeerTube user subscribes to the Shoal channel by its handle.
    shoal_handle = f"alice_channel@{shoal.settings.host}"
    response = peertube.http.post(
        "/api/v1/users/me/subscriptions", headers=world.pt_user, json={"uri": shoal_handle}
    )
    assert response.status_code == 204, response.text
    wait_for(
        "the Shoal channel's older videos backfilled on PeerTube",
        lambda: (
            set(old_shoal)
            <= set(names(peertube.get("/api/v1/users/me/subscriptions/videos", world.pt_user)))
        ),
    )
    told = world.carol.get("/api/v1/users/me/notifications").json()["data"]
    assert [n for n in told if n["type"] == 1] == []  # backfilled videos are no news


def names_to_uuid(client: Client, name: str) -> str:
    rows = client.get("/api/v1/users/me/subscriptions/videos").json()["data"]
    return next(v["uuid"] for v in rows if v["name"] == name)


def test_the_servers_follow_each_other(world, peertube: PeerTube, shoal: LiveServer):
    admin = shoal.client()
    admin.token("root", PASSWORD)
    response = admin.post("/api/v1/server/following", json={"hosts": [peertube.host]})
    assert response.status_code == 204, response.text
    response = peertube.http.post(
        "/api/v1/server/following", headers=peertube.root, json={"hosts": [shoal.settings.host]}
    )
    assert response.status_code == 204, response.text

    def shoal_follows() -> bool:
        rows = admin.get("/api/v1/server/following").json()["data"]
        return any(r["following"]["host"] == peertube.host and r["state"] == "accepted"
                   for r in rows)  # fmt: skip

    def peertube_follows() -> bool:
        rows = peertube.get("/api/v1/server/following", peertube.root, count=100).json()["data"]
        return any(r["following"]["host"] == shoal.settings.host and r["state"] == "accepted"
                   for r in rows)  # fmt: skip

    wait_for("PeerTube accepts Shoal's follow", shoal_follows)
    wait_for("Shoal accepts PeerTube's follow", peertube_follows)
    followers = admin.get("/api/v1/server/followers").json()["data"]
    assert peertube.host in [r["follower"]["host"] for r in followers]


def test_a_shoal_video_reaches_peertube_then_its_edit_and_its_deletion(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"Shoal new {world.suffix}"
    uuid = upload(world.alice, interop_clip, name=name)["uuid"]

    def on_peertube() -> dict | None:  # as root: anonymous reads wait for the server follow
        response = peertube.get(f"/api/v1/videos/{uuid}", peertube.root)
        return response.json() if response.status_code == 200 else None

    # PeerTube reads a video and its playlists in separate queries outside a transaction: the
    # first answer after the insert may lack the playlists that came in the same Create.
    seen = wait_for(
        "the Shoal video on PeerTube, with its playlist",
        lambda: (found := on_peertube()) and found["streamingPlaylists"] and found,
    )
    assert seen["name"] == name and seen["isLocal"] is False
    assert seen["channel"]["host"] == shoal.settings.host
    assert seen["streamingPlaylists"][0]["playlistUrl"].startswith(shoal.url)
    # PeerTube's anonymous listing is cached for a few seconds: it may lag the video.
    wait_for(
        "the Shoal video in PeerTube's listing",
        lambda: name in names(peertube.get("/api/v1/videos", isLocal="false", count=100)),
        timeout=30,
    )

    edited = f"Shoal new, edited {world.suffix}"
    response = world.alice.put(f"/api/v1/videos/{uuid}", json={"name": edited, "tags": ["edit"]})
    assert response.status_code == 204, response.text
    wait_for("the edit on PeerTube", lambda: (on_peertube() or {}).get("name") == edited)
    assert on_peertube()["tags"] == ["edit"]

    assert world.alice.delete(f"/api/v1/videos/{uuid}").status_code == 204
    wait_for(
        "the deletion on PeerTube",
        lambda: peertube.get(f"/api/v1/videos/{uuid}", peertube.root).status_code == 404,
    )


def test_a_peertube_video_reaches_shoal_then_its_edit_and_its_deletion(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"PeerTube new {world.suffix}"
    uuid = peertube.upload(world.pt_user, f"pt{world.suffix}_channel", name, interop_clip)
    seen = wait_for("the PeerTube video on Shoal", lambda: shoal_video(shoal, uuid))
    assert seen["name"] == name and seen["isLocal"] is False
    assert seen["channel"]["host"] == peertube.host
    wait_for(
        "the PeerTube video playable on Shoal",
        lambda: (shoal_video(shoal, uuid) or {}).get("streamingPlaylists"),
    )
    page = shoal.client().get(f"/videos/watch/{uuid}")
    assert page.status_code == 200 and name in page.text

    edited = f"PeerTube new, edited {world.suffix}"
    response = peertube.http.put(
        f"/api/v1/videos/{uuid}", headers=world.pt_user, data={"name": edited}
    )
    assert response.status_code == 204, response.text
    wait_for("the edit on Shoal", lambda: (shoal_video(shoal, uuid) or {}).get("name") == edited)

    response = peertube.http.delete(f"/api/v1/videos/{uuid}", headers=world.pt_user)
    assert response.status_code == 204, response.text
    wait_for("the deletion on Shoal", lambda: shoal_video(shoal, uuid) is None)


def shoal_threads(shoal: LiveServer, uuid: str) -> list[dict]:
    response = shoal.client().get(f"/api/v1/videos/{uuid}/comment-threads")
    return response.json()["data"] if response.status_code == 200 else []


def test_comments_replies_and_likes_on_a_shoal_video_from_peertube(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"Shoal talk {world.suffix}"
    uuid = upload(world.alice, interop_clip, name=name)["uuid"]
    wait_for(
        "the Shoal video on PeerTube",
        lambda: peertube.get(f"/api/v1/videos/{uuid}", peertube.root).status_code == 200,
    )
    text = f"Nice **clip** from PeerTube {world.suffix}"
    response = peertube.http.post(
        f"/api/v1/videos/{uuid}/comment-threads", headers=world.pt_user, json={"text": text}
    )
    assert response.status_code == 200, response.text
    (thread,) = wait_for("PeerTube's comment on Shoal", lambda: shoal_threads(shoal, uuid))
    assert thread["text"] == text and thread["account"]["host"] == peertube.host
    response = peertube.http.put(
        f"/api/v1/videos/{uuid}/rate", headers=world.pt_user, json={"rating": "like"}
    )
    assert response.status_code == 204, response.text
    wait_for("PeerTube's like on Shoal", lambda: (shoal_video(shoal, uuid) or {}).get("likes"))

    reply = f"Thanks from Shoal {world.suffix}"
    response = world.carol.post(
        f"/api/v1/videos/{uuid}/comments/{thread['id']}", json={"text": reply}
    )
    assert response.status_code == 200, response.text
    pt_thread = peertube.get(f"/api/v1/videos/{uuid}/comment-threads", peertube.root).json()[
        "data"
    ][0]

    def replies_on_peertube() -> list[str]:
        tree = peertube.get(
            f"/api/v1/videos/{uuid}/comment-threads/{pt_thread['id']}", peertube.root
        )
        return [c["comment"]["text"] for c in tree.json().get("children", [])]

    assert reply in wait_for("Shoal's reply on PeerTube", replies_on_peertube)
    # The storyboard Shoal made is listed by PeerTube too.
    boards = peertube.get(f"/api/v1/videos/{uuid}/storyboards", peertube.root).json()
    assert boards["storyboards"] and boards["storyboards"][0]["spriteDuration"] == 1


def test_comments_and_likes_on_a_peertube_video_from_shoal(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"PeerTube talk {world.suffix}"
    uuid = peertube.upload(world.pt_user, f"pt{world.suffix}_channel", name, interop_clip)
    wait_for("the PeerTube video on Shoal", lambda: shoal_video(shoal, uuid))
    text = f"Hello PeerTube, from Shoal {world.suffix}"
    response = world.carol.post(f"/api/v1/videos/{uuid}/comment-threads", json={"text": text})
    assert response.status_code == 200, response.text
    assert (
        world.carol.put(f"/api/v1/videos/{uuid}/rate", json={"rating": "like"}).status_code == 204
    )

    def threads_on_peertube() -> list[str]:
        data = peertube.get(f"/api/v1/videos/{uuid}/comment-threads", peertube.root).json()["data"]
        return [c["text"] for c in data]

    assert text in wait_for("Shoal's comment on PeerTube", threads_on_peertube)
    wait_for(
        "Shoal's like on PeerTube",
        lambda: peertube.get(f"/api/v1/videos/{uuid}", peertube.root).json()["likes"] == 1,
    )
    # PeerTube's storyboard (made after transcoding) reaches Shoal with a later Update.
    wait_for(
        "PeerTube's storyboard on Shoal",
        lambda: shoal.client().get(f"/api/v1/videos/{uuid}/storyboards").json()["storyboards"],
    )


def test_peertube_mirrors_a_shoal_video_and_shoal_lists_the_mirror(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    uuid = upload(world.alice, interop_clip, name=f"Shoal mirrored {world.suffix}")["uuid"]
    seen = wait_for(
        "the Shoal video on PeerTube",
        lambda: peertube.get(f"/api/v1/videos/{uuid}", peertube.root).json().get("id"),
    )
    response = peertube.http.put(
        f"/api/v1/server/redundancy/{shoal.settings.host}",
        headers=peertube.root,
        json={"redundancyAllowed": True},
    )
    assert response.status_code == 204, response.text
    response = peertube.http.post(
        "/api/v1/server/redundancy/videos", headers=peertube.root, json={"videoId": seen}
    )
    assert response.status_code == 204, response.text

    def mirrors_on_shoal() -> list[dict]:
        playlists = (shoal_video(shoal, uuid) or {}).get("streamingPlaylists") or [{}]
        return playlists[0].get("redundancies") or []

    (mirror,) = wait_for("PeerTube's mirror listed by Shoal", mirrors_on_shoal)
    assert mirror["baseUrl"].startswith(peertube.url)
    # PeerTube copied the files from Shoal and serves them itself.
    listed = peertube.get("/api/v1/server/redundancy/videos", peertube.root, target="remote-videos")
    (item,) = [v for v in listed.json()["data"] if v["uuid"] == uuid]
    # PeerTube's admin removes its copy: its Undo{Create{CacheFile}} reaches Shoal.
    (copy,) = item["redundancies"]["streamingPlaylists"]
    response = peertube.http.delete(
        f"/api/v1/server/redundancy/videos/{copy['id']}", headers=peertube.root
    )
    assert response.status_code == 204, response.text
    wait_for("Shoal forgetting PeerTube's mirror", lambda: mirrors_on_shoal() == [])


def test_shoal_mirrors_a_peertube_video_and_peertube_lists_the_mirror(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"PeerTube mirrored {world.suffix}"
    uuid = peertube.upload(world.pt_user, f"pt{world.suffix}_channel", name, interop_clip)
    wait_for(
        "the PeerTube video playable on Shoal",
        lambda: (shoal_video(shoal, uuid) or {}).get("streamingPlaylists"),
    )
    root = shoal.client()
    root.token("root", PASSWORD)
    video_id = shoal_video(shoal, uuid)["id"]
    response = root.post("/api/v1/server/redundancy/videos", json={"videoId": video_id})
    assert response.status_code == 204, response.text

    def copy_state() -> str:
        listed = root.get("/api/v1/server/redundancy/videos", params={"target": "remote-videos"})
        rows = [v for v in listed.json()["data"] if v["uuid"] == uuid]
        copy = rows[0]["redundancies"]["streamingPlaylists"][0] if rows else {}
        assert copy.get("state") != "failed", copy.get("error")
        return copy.get("state") == "ready" and copy["fileUrl"]

    base = wait_for("Shoal's copy of the PeerTube video", copy_state)

    def mirrors_on_peertube() -> list[str]:
        video = peertube.get(f"/api/v1/videos/{uuid}", peertube.root).json()
        return [r["baseUrl"] for r in video["streamingPlaylists"][0]["redundancies"]]

    assert base in wait_for("Shoal listed as a mirror by PeerTube", mirrors_on_peertube)


def test_a_shoal_strategy_mirrors_a_new_peertube_video_until_peertube_is_no_longer_allowed(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    name = f"PeerTube newest {world.suffix}"
    uuid = peertube.upload(world.pt_user, f"pt{world.suffix}_channel", name, interop_clip)
    wait_for(
        "the newest PeerTube video playable on Shoal",
        lambda: (shoal_video(shoal, uuid) or {}).get("streamingPlaylists"),
    )
    root = shoal.client()
    root.token("root", PASSWORD)
    allowed = root.put(
        f"/api/v1/server/redundancy/{peertube.host}", json={"redundancyAllowed": True}
    )
    assert allowed.status_code == 204, allowed.text
    with shoal.use():
        redundancy.save(
            replace(
                redundancy.get(),
                strategies=(redundancy.Strategy("recently-added", 1024**3, 3600, min_views=0),),
                free_floor=0,
            )
        )
        notes = redundancy.run(shoal.settings)
    assert f"recently-added: mirroring {name!r}" in " ".join(notes), notes

    def mirrors_on_peertube() -> list[str]:
        video = peertube.get(f"/api/v1/videos/{uuid}", peertube.root).json()
        return [r["baseUrl"] for r in video["streamingPlaylists"][0]["redundancies"]]

    base = f"{shoal.url}/static/redundancy/hls/{uuid}"
    assert base in wait_for("Shoal's strategy copy listed by PeerTube", mirrors_on_peertube)

    # No longer allowed: the copy goes, with Undo{CacheFile}; PeerTube stops listing it.
    stop = root.put(f"/api/v1/server/redundancy/{peertube.host}", json={"redundancyAllowed": False})
    assert stop.status_code == 204
    wait_for("PeerTube forgetting Shoal's copy", lambda: base not in mirrors_on_peertube())


def test_reports_cross_both_ways_as_flags(
    world, peertube: PeerTube, shoal: LiveServer, interop_clip: Path
):
    # A Shoal user reports a PeerTube video: PeerTube's moderators see it.
    name = f"PeerTube reported {world.suffix}"
    uuid = peertube.upload(world.pt_user, f"pt{world.suffix}_channel", name, interop_clip)
    seen = wait_for("the PeerTube video on Shoal", lambda: shoal_video(shoal, uuid))
    sent = world.carol.post("/api/v1/abuses", json={
        "reason": "Reported from Shoal", "predefinedReasons": ["spamOrMisleading"],
        "video": {"id": seen["id"], "startAt": 1, "endAt": 3},
    })  # fmt: skip
    assert sent.status_code == 200, sent.text

    def on_peertube() -> list[dict]:
        rows = peertube.get("/api/v1/abuses", peertube.root, count=50).json()["data"]
        return [a for a in rows if (a.get("video") or {}).get("uuid") == uuid]

    (abuse,) = wait_for("the report in PeerTube's abuse list", on_peertube)
    assert abuse["reason"] == "Reported from Shoal"
    assert "spamOrMisleading" in abuse["predefinedReasons"]
    assert abuse["reporterAccount"]["host"] == shoal.settings.host

    # A PeerTube user reports a Shoal video: Shoal's moderators see it.
    ours = upload(world.alice, interop_clip, name=f"Shoal reported {world.suffix}")["uuid"]
    pt_id = wait_for(
        "the Shoal video on PeerTube",
        lambda: peertube.get(f"/api/v1/videos/{ours}", peertube.root).json().get("id"),
    )
    response = peertube.http.post("/api/v1/abuses", headers=world.pt_user, json={
        "reason": "Reported from PeerTube", "predefinedReasons": ["privacy"],
        "video": {"id": pt_id},
    })  # fmt: skip
    assert response.status_code == 200, response.text
    root = shoal.client()
    root.token("root", PASSWORD)

    def on_shoal() -> list[dict]:
        rows = root.get("/api/v1/abuses", params={"count": 50}).json()["data"]
        return [a for a in rows if (a.get("video") or {}).get("uuid") == ours]

    (report,) = wait_for("the report in Shoal's abuse list", on_shoal)
    assert report["reason"] == "Reported from PeerTube" and "privacy" in report["predefinedReasons"]
    assert report["reporterAccount"]["host"] == peertube.host


# A PeerTube log record starts with "[host:port] date time level: message".
_RECORD = re.compile(r"^\[[^\]]+\] \S+ \S+ (?:\x1b\[\d+m)?(\w+)(?:\x1b\[\d+m)?: ", re.M)


def test_peertube_stayed_up_and_said_nothing_bad_about_shoal(
    world, peertube: PeerTube, shoal: LiveServer
):
    assert httpx.get(f"{peertube.url}/api/v1/config", timeout=10).status_code == 200
    with shoal.use():  # and Shoal applied everything PeerTube sent it
        received = [(a.type, a.state, a.error) for a in InboxActivity.select()]
    print(f"\nShoal received from PeerTube: {sorted(collections.Counter(received).items())}")
    assert [r for r in received if r[1] != "done"] == []
    if PID:
        os.kill(int(PID), 0)  # raises if the process is gone
    if not LOG:
        return
    with open(LOG, encoding="utf-8", errors="replace") as fh:
        fh.seek(world.log_start)
        text = fh.read()
    starts = [(m.start(), m.group(1)) for m in _RECORD.finditer(text)]
    about_shoal = []
    for n, (start, level) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(text)
        record = text[start:end]
        if level in ("warn", "error") and shoal.settings.host in record:
            about_shoal.append(record.strip()[:600])
    print(f"\nPeerTube logged {len(about_shoal)} warnings and errors naming Shoal's host:")
    for record in about_shoal:
        print("---", record)
    fatal = [r for r in about_shoal if re.search(r"unhandled|uncaught|exiting", r, re.I)]
    assert fatal == []
