"""Administrators manage users: quota, role, blocking."""

from __future__ import annotations

import pytest

from app.federation import redundancy
from models.accounts import User
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload


def test_admin_sets_a_quota_that_then_stops_uploads(
    server, admin_user, local_user, alice_api, clip
):
    root = server.client()
    root.login("root", PASSWORD)
    page = root.get("/admin/users")
    assert page.status_code == 200 and "alice" in page.text
    row = root.post(
        f"/admin/users/{local_user.id}",
        data={"_xsrf": root.xsrf(), "quota_mb": "0.001", "role": "2"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200 and row.text.strip().startswith(f'<tr id="user-{local_user.id}"')
    assert User.get_by_id(local_user.id).video_quota == 1048
    with clip.open("rb") as fh:
        refused = alice_api.post(
            "/api/v1/videos/upload",
            data={"name": "Too much"},
            files={"videofile": ("c.mp4", fh, "video/mp4")},
        )
    assert refused.status_code == 413
    bad = root.form(f"/admin/users/{local_user.id}", {"quota_mb": "lots", "role": "2"})
    assert bad.status_code == 400 and "number of MB" in bad.text


def test_only_admins_reach_the_admin_pages_and_api(alice, alice_api, local_user):
    assert alice.get("/admin/users").status_code == 403
    assert alice.form(f"/admin/users/{local_user.id}", {"quota_mb": "-1"}).status_code == 403
    assert alice_api.get("/api/v1/users").status_code == 403
    assert (
        alice_api.put(f"/api/v1/users/{local_user.id}", json={"videoQuota": -1}).status_code == 403
    )


def test_admin_api_changes_quota_role_and_blocks(server, admin_user, local_user, alice_api, clip):
    root = server.client()
    root.token("root", PASSWORD)
    listing = root.get("/api/v1/users").json()
    assert listing["total"] == 2
    assert (
        root.put(f"/api/v1/users/{local_user.id}", json={"videoQuota": 5000, "role": 1}).status_code
        == 204
    )
    got = root.get(f"/api/v1/users/{local_user.id}").json()
    assert got["videoQuota"] == 5000 and got["role"]["id"] == 1
    assert root.put(f"/api/v1/users/{local_user.id}", json={"role": 9}).status_code == 400
    assert root.put(f"/api/v1/users/{local_user.id}", json={"blocked": True}).status_code == 204
    assert alice_api.get("/api/v1/users/me").status_code == 401  # tokens revoked
    anon = server.client()
    assert anon.form("/login", {"username": "alice", "password": PASSWORD}).status_code == 400


def test_deleting_a_user_removes_their_videos(
    server, admin_user, alice_api, clip, run_jobs, live_settings
):
    ids = upload(alice_api, clip)
    run_jobs()
    root = server.client()
    root.token("root", PASSWORD)
    alice_id = User.get(User.username == "alice").id
    assert root.delete(f"/api/v1/users/{alice_id}").status_code == 204
    assert root.get(f"/api/v1/videos/{ids['uuid']}").status_code == 404
    assert not (live_settings.media_dir / "hls" / ids["uuid"]).exists()
    assert root.delete(f"/api/v1/users/{admin_user.id}").status_code == 400


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # a page's words
def test_the_mirrors_page_says_what_is_wrong_and_keeps_only_good_policies(
    server, admin_user, alice
):
    assert alice.get("/admin/redundancy").status_code == 403
    root = server.client()
    root.login("root", PASSWORD)
    page = root.get("/admin/redundancy")
    assert page.status_code == 200 and "follows no server yet" in page.text
    form = {"action": "strategies", "trending.enabled": "on", "trending.lifetime": "24",
            "free_floor": "2"}  # fmt: skip
    for size, words in (("lots", "budget is a number of GB"), ("0", "must be a positive size")):
        bad = root.form("/admin/redundancy", {**form, "trending.size": size})
        assert bad.status_code == 400 and words in bad.text
        assert 'aria-invalid="true"' in bad.text
    late = root.form("/admin/redundancy", {**form, "trending.size": "5", "trending.lifetime": "x"})
    assert late.status_code == 400 and "whole number" in late.text
    assert root.form("/admin/redundancy", {**form, "trending.size": "5"}).status_code == 303
    with server.use():
        (strategy,) = redundancy.get().strategies
    assert (strategy.name, strategy.size, strategy.min_lifetime) == ("trending", 5 * 1024**3, 86400)
    nowhere = root.form("/admin/redundancy", {"action": "mirror", "video": "https://x.example/v/1"})
    assert nowhere.status_code == 400 and "No video known here" in nowhere.text
    assert root.form("/admin/redundancy", {"action": "remove", "mirror": "7"}).status_code == 404
    assert (
        root.form("/admin/redundancy", {"action": "allow", "host": "x.example"}).status_code == 404
    )
    assert root.form("/admin/redundancy", {"action": "explode"}).status_code == 400
