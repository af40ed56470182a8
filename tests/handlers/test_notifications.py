"""Notifications: new videos from subscriptions, new subscribers, processing done or failed."""

from __future__ import annotations

from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload


def test_owner_and_subscribers_are_notified(server, alice, alice_api, other_user, clip, run_jobs):
    bob = server.client()
    bob.token("bob", PASSWORD)
    assert (
        bob.post("/api/v1/users/me/subscriptions", json={"uri": "alice_channel"}).status_code == 204
    )
    mine = alice_api.get("/api/v1/users/me/notifications").json()
    assert [n["type"] for n in mine["data"]] == [10]  # someone subscribed
    assert mine["data"][0]["actorFollow"]["follower"]["name"] == "bob"

    ids = upload(alice_api, clip, name="Fresh video")
    run_jobs()
    mine = alice_api.get("/api/v1/users/me/notifications", params={"unread": "true"}).json()
    assert [n["type"] for n in mine["data"]] == [6, 10]  # my video is published
    assert mine["data"][0]["video"]["uuid"] == ids["uuid"]
    theirs = bob.get("/api/v1/users/me/notifications").json()
    assert [n["type"] for n in theirs["data"]] == [1]
    assert theirs["data"][0]["video"]["name"] == "Fresh video"

    bell = alice.get("/notifications/bell", headers={"HX-Request": "true"})
    assert ">2<" in bell.text.replace("\n", "") and 'hx-trigger="every 30s"' in bell.text
    page = alice.get("/notifications")
    assert "Fresh video" in page.text and "bob@" in page.text
    assert alice.form("/notifications", {"action": "read-all"}).status_code == 303
    assert 'class="count"' not in alice.get("/notifications/bell").text
    first = theirs["data"][0]["id"]
    assert bob.post("/api/v1/users/me/notifications/read", json={"ids": [first]}).status_code == 204
    assert bob.get("/api/v1/users/me/notifications", params={"unread": "true"}).json()["total"] == 0


def test_failed_processing_is_notified_and_settings_silence_kinds(
    alice, alice_api, tmp_path, run_jobs
):
    bogus = tmp_path / "broken.mp4"
    bogus.write_bytes(b"nope" * 1000)
    upload(alice_api, bogus, name="Broken upload")
    run_jobs()
    kinds = [n["type"] for n in alice_api.get("/api/v1/users/me/notifications").json()["data"]]
    assert kinds == [101]
    assert "could not be processed" in alice.get("/notifications").text
    # turn "my video is ready" off in the page's settings form
    assert (
        alice.form(
            "/notifications",
            {
                "action": "settings",
                "newFollow": "1",
                "newVideoFromSubscription": "1",
                "myVideoTranscodingFailed": "1",
            },
        ).status_code
        == 303
    )
    settings = alice_api.get("/api/v1/users/me/notification-settings").json()
    assert settings["myVideoPublished"] == 0 and settings["newFollow"] == 1
    good = tmp_path / "good.mp4"
    from tests.clips import make_clip

    make_clip(str(good), seconds=1.0)
    upload(alice_api, good, name="Quiet success")
    run_jobs()
    kinds = [n["type"] for n in alice_api.get("/api/v1/users/me/notifications").json()["data"]]
    assert kinds == [101]
