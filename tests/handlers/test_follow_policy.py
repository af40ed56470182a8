"""Other servers' follows of this one: accepted automatically, approved by an administrator,
or refused with Reject, as the administrator chose on /admin/federation."""

from __future__ import annotations

from app.federation import follow_policy
from models.federation import Follow, FollowState
from tests.conftest import PASSWORD
from tests.integration.test_federation import admin, follow_server


def _root(server):
    client = server.client()
    client.login("root", PASSWORD)
    return client


def test_a_refused_follow_is_answered_with_reject_and_stored_as_rejected(instances):
    origin, mirror = instances("origin"), instances("mirror")
    root = _root(origin)
    saved = root.form("/admin/federation", {"action": "policy", "policy": "refuse"})
    assert saved.status_code == 303
    assert "follows of this one are refused" in root.get("/admin/federation").text
    follow_server(mirror, origin)
    with origin.use():
        assert Follow.get().state == FollowState.REJECTED
    with mirror.use():
        assert Follow.get().state == FollowState.REJECTED  # the Reject arrived
    following = admin(mirror).get("/api/v1/server/following").json()["data"]
    assert following[0]["state"] == "rejected"
    # the admin may still accept it by hand
    assert "Accept</button>" in root.get("/admin/federation").text


def test_manual_approval_chosen_on_the_page_leaves_follows_pending(instances):
    origin, mirror = instances("origin"), instances("mirror")
    root = _root(origin)
    root.form("/admin/federation", {"action": "policy", "policy": "manual"})
    follow_server(mirror, origin)
    assert "approved by an administrator" in root.get("/admin/federation").text
    with origin.use():
        assert Follow.get().state == FollowState.PENDING
    wrong = root.form("/admin/federation", {"action": "policy", "policy": "maybe"})
    assert wrong.status_code == 400
    assert "Choose how follows of this server are answered." in wrong.text


def test_the_environment_gives_the_default_and_the_admin_setting_wins(settings, database):
    assert follow_policy.get(settings) == follow_policy.AUTO
    assert follow_policy.get(settings.with_(followers_manual_approval=True)) == "manual"
    follow_policy.update(follow_policy.REFUSE)
    assert follow_policy.get(settings.with_(followers_manual_approval=True)) == "refuse"
