"""Video blocks and mutes: a blocked video (or a blocked user's) leaves every public
surface and answers only its owner and the moderators; muted accounts and servers leave
the lists of the server, or of the user who muted them; PeerTube's REST shapes."""

from __future__ import annotations

import pytest

from app.moderation import blocks
from app.tracker_swarms import all_infohashes
from models.accounts import User
from models.moderation import VideoBlock
from models.notifications import Notification, NotificationType
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload

LISTS = ("/", "/c/alice_channel", "/a/alice", "/search?q=Forbidden", "/feeds/videos.xml",
         "/feeds/videos.xml?accountName=alice", "/accounts/alice/outbox?page=1")  # fmt: skip
API_LISTS = ("/api/v1/videos", "/api/v1/video-channels/alice_channel/videos",
             "/api/v1/accounts/alice/videos", "/api/v1/search/videos?search=Forbidden")  # fmt: skip


def listed(client, name: str) -> list[str]:
    """The surfaces that show a video named `name`."""
    shown = [url for url in LISTS if name in client.get(url).text]
    for url in API_LISTS:
        if name in [v["name"] for v in client.get(url).json()["data"]]:
            shown.append(url)
    return shown


def reachable(client, ids: dict) -> list[str]:
    urls = [
        f"/w/{ids['shortUUID']}",
        f"/videos/watch/{ids['uuid']}",
        f"/api/v1/videos/{ids['uuid']}",
    ]
    return [url for url in urls if client.get(url).status_code == 200]


@pytest.fixture
def moderator(server, admin_user):
    client = server.client()
    client.token("root", PASSWORD)
    return client


def test_a_blocked_video_leaves_every_public_surface_until_unblocked(
    server, alice_api, anon, moderator, clip, run_jobs, live_settings
):
    ids = upload(alice_api, clip, name="Forbidden fruit")
    run_jobs()
    assert len(listed(anon, "Forbidden fruit")) == len(LISTS) + len(API_LISTS)
    hashes = all_infohashes(live_settings)

    assert alice_api.post(f"/api/v1/videos/{ids['uuid']}/blacklist", json={}).status_code == 403
    too_long = moderator.post(f"/api/v1/videos/{ids['uuid']}/blacklist", json={"reason": "x" * 301})
    assert too_long.status_code == 400
    blocked = moderator.post(
        f"/api/v1/videos/{ids['uuid']}/blacklist", json={"reason": "Spam", "unfederate": True}
    )
    assert blocked.status_code == 204
    again = moderator.post(f"/api/v1/videos/{ids['uuid']}/blacklist", json={})
    assert again.status_code == 409

    assert listed(anon, "Forbidden fruit") == [] and reachable(anon, ids) == []
    assert all_infohashes(live_settings) < hashes  # the tracker no longer serves its swarms
    # Its owner still sees it, and why; and was told.
    assert reachable(alice_api, ids) != []
    mine = alice_api.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert mine["blacklisted"] is True and mine["blacklistedReason"] == "Spam"
    alice = User.get(User.username == "alice")
    told = [n.type for n in Notification.select().where(Notification.user == alice)]
    assert NotificationType.BLACKLIST_ON_MY_VIDEO in told

    listing = moderator.get("/api/v1/videos/blacklist").json()
    (row,) = listing["data"]
    assert listing["total"] == 1 and row["reason"] == "Spam" and row["unfederated"] is True
    assert row["type"] == 1 and row["video"]["uuid"] == ids["uuid"]
    assert set(row) == {"id", "createdAt", "updatedAt", "reason", "unfederated", "type", "video"}
    assert alice_api.get("/api/v1/videos/blacklist").status_code == 403
    assert moderator.put(f"/api/v1/videos/{ids['uuid']}/blacklist",
                         json={"reason": "Spam, twice"}).status_code == 204  # fmt: skip
    assert VideoBlock.get().reason == "Spam, twice"

    assert moderator.delete(f"/api/v1/videos/{ids['uuid']}/blacklist").status_code == 204
    assert moderator.delete(f"/api/v1/videos/{ids['uuid']}/blacklist").status_code == 404
    assert len(listed(anon, "Forbidden fruit")) == len(LISTS) + len(API_LISTS)
    assert len(reachable(anon, ids)) == 3
    told = [n.type for n in Notification.select().where(Notification.user == alice)]
    assert NotificationType.UNBLACKLIST_ON_MY_VIDEO in told


def test_a_blocked_users_videos_leave_the_public_surfaces_too(
    server, alice_api, anon, moderator, local_user, clip, run_jobs
):
    ids = upload(alice_api, clip, name="Forbidden by a blocked user")
    run_jobs()
    response = moderator.put(f"/api/v1/users/{local_user.id}", json={"blocked": True})
    assert response.status_code == 204
    assert listed(anon, "Forbidden by a blocked user") == [] and reachable(anon, ids) == []
    assert (
        moderator.put(f"/api/v1/users/{local_user.id}", json={"blocked": False}).status_code == 204
    )
    assert listed(anon, "Forbidden by a blocked user") != []


def test_auto_block_holds_new_videos_of_untrusted_users_for_a_moderator(
    server, alice_api, anon, moderator, local_user, admin_user, clip, run_jobs, live_settings
):
    blocks.set_auto_block(True)
    ids = upload(alice_api, clip, name="Forbidden until looked at")
    run_jobs()
    (row,) = VideoBlock.select()
    assert row.kind == 2 and listed(anon, "Forbidden until looked at") == []
    waiting = [n.type for n in Notification.select().where(Notification.user == admin_user)]
    assert NotificationType.VIDEO_AUTO_BLACKLIST_FOR_MODERATORS in waiting
    auto = moderator.get("/api/v1/videos/blacklist", params={"type": 2}).json()
    assert [b["video"]["uuid"] for b in auto["data"]] == [ids["uuid"]]
    assert moderator.delete(f"/api/v1/videos/{ids['uuid']}/blacklist").status_code == 204
    assert listed(anon, "Forbidden until looked at") != []
    # A trusted user's videos go out at once (PeerTube's adminFlags, or the users page).
    flagged = moderator.put(f"/api/v1/users/{local_user.id}", json={"adminFlags": 1})
    assert flagged.status_code == 204
    assert moderator.get(f"/api/v1/users/{local_user.id}").json()["adminFlags"] == 1
    upload(alice_api, clip, name="Forbidden? no, trusted")
    run_jobs()
    assert VideoBlock.select().count() == 0


def test_mutes_hide_an_account_for_a_user_or_for_everyone(
    server, alice_api, anon, moderator, other_user, clip, run_jobs
):
    upload(alice_api, clip, name="Forbidden to some")
    run_jobs()
    bob = server.client()
    bob.token("bob", "correct horse battery")
    bob_page = server.client()
    bob_page.login("bob", "correct horse battery")
    muted = bob.post("/api/v1/users/me/blocklist/accounts", json={"accountName": "alice"})
    assert muted.status_code == 204
    # Gone from bob's lists, not from others'.
    mine = ("/api/v1/videos", "/api/v1/search/videos?search=Forbidden")
    for url in mine:
        assert "Forbidden to some" not in [v["name"] for v in bob.get(url).json()["data"]], url
    assert "Forbidden to some" not in bob_page.get("/").text
    assert "Forbidden to some" not in bob_page.get("/c/alice_channel").text
    assert "Forbidden to some" in anon.get("/c/alice_channel").text
    (mute,) = bob.get("/api/v1/users/me/blocklist/accounts").json()["data"]
    assert mute["blockedAccount"]["name"] == "alice" and mute["byAccount"]["name"] == "bob"
    status = bob.get("/api/v1/blocklist/status", params={"accounts": "alice"}).json()
    assert status["accounts"]["alice"] == {"blockedByServer": False, "blockedByUser": True}
    assert bob.delete("/api/v1/users/me/blocklist/accounts/alice").status_code == 204
    assert bob.delete("/api/v1/users/me/blocklist/accounts/alice").status_code == 404
    assert "Forbidden to some" in [v["name"] for v in bob.get("/api/v1/videos").json()["data"]]

    # The whole server: moderators only; nobody sees alice's videos in lists.
    assert (
        bob.post("/api/v1/server/blocklist/accounts", json={"accountName": "alice"}).status_code
        == 403
    )
    assert moderator.post("/api/v1/server/blocklist/accounts",
                          json={"accountName": "alice"}).status_code == 204  # fmt: skip
    assert listed(anon, "Forbidden to some") == [] and listed(bob, "Forbidden to some") == []
    status = anon.get("/api/v1/blocklist/status", params={"accounts": "alice"}).json()
    assert status["accounts"]["alice"]["blockedByServer"] is True
    assert moderator.delete("/api/v1/server/blocklist/accounts/alice").status_code == 204
    assert listed(anon, "Forbidden to some") != []


def test_bad_mutes_are_refused_with_a_reason(server, alice_api, moderator, local_user):
    cases = [
        ("/api/v1/users/me/blocklist/accounts", {"accountName": "nobody@nowhere.example"}, 404),
        ("/api/v1/users/me/blocklist/accounts", {"accountName": "alice"}, 409),  # herself
        ("/api/v1/users/me/blocklist/accounts", {}, 400),
        ("/api/v1/users/me/blocklist/servers", {"host": "not a host"}, 400),
        ("/api/v1/users/me/blocklist/servers", {"host": server.settings.host}, 409),
        ("/api/v1/server/blocklist/accounts", {"accountName": "root"}, 409),  # a moderator
    ]
    for path, body, status in cases:
        client = moderator if path.startswith("/api/v1/server") else alice_api
        response = client.post(path, json=body)
        assert response.status_code == status, (path, body, response.text)
    assert (
        alice_api.post(
            "/api/v1/users/me/blocklist/servers", json={"host": "spam.example"}
        ).status_code
        == 204
    )
    (row,) = alice_api.get("/api/v1/users/me/blocklist/servers").json()["data"]
    assert row["blockedServer"] == {"host": "spam.example"}
    assert alice_api.delete("/api/v1/users/me/blocklist/servers/spam.example").status_code == 204


def test_moderation_pages_block_unblock_and_mute_with_plain_forms(
    server, alice, alice_api, anon, admin_user, other_user, clip, run_jobs
):
    ids = upload(alice_api, clip, name="Forbidden on the page")
    run_jobs()
    watch = f"/w/{ids['shortUUID']}"
    root = server.client()
    root.login("root", PASSWORD)
    assert "Block this video" in root.get(watch).text
    assert "Block this video" not in alice.get(watch).text
    assert alice.form(f"/videos/{ids['uuid']}/block", {"reason": "Mine"}).status_code == 403
    done = root.form(f"/videos/{ids['uuid']}/block", {"reason": "Off topic", "unfederate": "on"})
    assert done.status_code == 303 and done.headers["Location"] == f"{watch}#blocked"
    assert anon.get(watch).status_code == 404
    owner_view = alice.get(watch).text
    assert "blocked by the moderators" in owner_view and "Off topic" in owner_view
    # She contests it with a report of her own; the moderators answer in its thread.
    assert f'href="/report?video={ids["uuid"]}">Disagree?' in owner_view
    contest = alice.form(f"/report?video={ids['uuid']}", {"reason": "It is on topic, look again"})
    assert contest.status_code == 303
    assert "It is on topic, look again" in root.get("/admin/abuses").text
    again = root.form(f"/videos/{ids['uuid']}/block", {"reason": ""})
    assert again.status_code == 409 and "already blocked" in again.text
    page = root.get("/admin/moderation")
    assert page.status_code == 200 and "Forbidden on the page" in page.text
    assert alice.get("/admin/moderation").status_code == 403
    assert root.form(f"/videos/{ids['uuid']}/unblock").status_code == 303
    assert anon.get(watch).status_code == 200

    # Auto-block, turned on by an administrator on the same page.
    assert (
        root.form("/admin/moderation", {"action": "auto_block", "enabled": "on"}).status_code == 303
    )
    assert blocks.auto_block_enabled()

    # A user mutes an account for themselves; a moderator mutes a server for everyone.
    bob = server.client()
    bob.login("bob", "correct horse battery")
    assert bob.form("/my-mutes", {"action": "mute_account", "account": "alice"}).status_code == 303
    assert "Forbidden on the page" not in bob.get("/").text
    assert "Forbidden on the page" in anon.get("/").text
    mutes = bob.get("/my-mutes").text
    assert "@alice" in mutes
    unknown = bob.form("/my-mutes", {"action": "mute_account", "account": "nobody@nowhere.example"})
    assert unknown.status_code == 404 and "Account not found" in unknown.text
    bad_host = root.form("/admin/moderation", {"action": "mute_host", "host": "not a host"})
    assert bad_host.status_code == 400
    assert (
        root.form("/admin/moderation", {"action": "mute_host", "host": "spam.example"}).status_code
        == 303
    )
    assert "spam.example" in root.get("/admin/moderation").text


def test_nothing_is_notified_from_a_muted_account(
    server, alice_api, other_user, local_user, clip, run_jobs
):
    ids = upload(alice_api, clip, name="Forbidden to comment")
    run_jobs()
    bob = server.client()
    bob.token("bob", "correct horse battery")
    thread = f"/api/v1/videos/{ids['uuid']}/comment-threads"
    assert bob.post(thread, json={"text": "First"}).status_code == 200
    comments = NotificationType.NEW_COMMENT_ON_MY_VIDEO
    told = Notification.select().where(
        (Notification.user == local_user) & (Notification.type == comments)
    )
    assert told.count() == 1
    muted = alice_api.post("/api/v1/users/me/blocklist/accounts", json={"accountName": "bob"})
    assert muted.status_code == 204
    assert told.count() == 0  # what came from bob goes too, as PeerTube
    assert bob.post(thread, json={"text": "Second"}).status_code == 200
    assert told.count() == 0
    # and alice no longer sees bob's comments; others do
    assert alice_api.get(thread).json()["total"] == 0
    assert bob.get(thread).json()["total"] == 2
