"""Hostile input to the REST API and the media URLs: fields of the wrong type, out of
range, or not PeerTube's at all. Each is refused with a 400 in PeerTube's problem shape
(`invalid-params` naming the field) before anything is written, never with a 500."""

from __future__ import annotations

import uuid

import pytest

from models import utcnow
from models.accounts import Account, Channel, Role, User
from models.federation import Follow
from models.jobs import Job
from models.notifications import Notification
from models.videos import State, Video
from tests.conftest import PASSWORD

QUOTA = 10 * 1024**2


@pytest.fixture
def settings(settings):
    """conftest's settings with a finite default quota, so that a stolen one shows."""
    return settings.with_(default_video_quota=QUOTA)


@pytest.fixture
def root_api(server, admin_user):
    """An API client with root's (the administrator's) Bearer token."""
    client = server.client()
    client.token("root", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def video(local_user) -> Video:
    """alice's published public video (rows only: no file is served here)."""
    channel = Channel.select().join(Account).where(Account.user == local_user).get()
    return Video.create(
        uuid=uuid.uuid4(),
        channel=channel,
        name="Cats over P2P",
        tags=["cats"],
        language="en",
        state=State.PUBLISHED,
        published_at=utcnow(),
    )


def assert_invalid(response, name: str) -> dict:
    """A 400 in PeerTube's shape whose invalid-params names `name`; returns the body."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert name in body["invalid-params"], body
    assert body["detail"].startswith("Incorrect request parameters") and body["error"]
    return body


# --- registration -----------------------------------------------------------------------


def test_registration_cannot_grant_itself_quota_or_a_role(anon):
    """An attacker registers with an administrator's fields; they are ignored."""
    response = anon.post(
        "/api/v1/users/register",
        json={
            "username": "mallory",
            "password": "secret-pass",
            "email": "mallory@example.org",
            "displayName": "Mallory",
            "videoQuota": -1,
            "videoQuotaDaily": -1,
            "role": 0,
            "adminFlags": 1,
            "channelName": "stolen_name",
            "channel": {"name": "mallory_videos", "displayName": "Mallory's videos"},
        },
    )
    assert response.status_code == 204, response.text
    user = User.get(User.username == "mallory")
    assert (user.video_quota, user.video_quota_daily, user.role) == (QUOTA, -1, Role.USER)
    assert Account.get(Account.user == user).display_name == "Mallory"
    (channel,) = Channel.select().join(Account).where(Account.user == user)
    assert (channel.name, channel.display_name) == ("mallory_videos", "Mallory's videos")
    assert not Channel.select().where(Channel.name == "stolen_name").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": 5}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"username": ["mallory"]}, "username"),
        ({"password": 12345678}, "password"),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "x" * 121}, "displayName"),
        ({"displayName": {"a": 1}}, "displayName"),
        ({"channel": "mallory_videos"}, "channel"),
        ({"channel": {"name": 5, "displayName": "Videos"}}, "channel.name"),
        ({"channel": {"name": "mallory_videos"}}, "channel.displayName"),
        ({"channel": {"name": "mallory_videos", "displayName": "x" * 121}}, "channel.displayName"),
        ({"channel": {"name": "bad name!", "displayName": "Videos"}}, "channel.name"),
    ],
)
def test_refused_registration_says_which_field_and_creates_nobody(anon, change, field):
    """Wrong types and lengths in a sign-up are a 400 naming the field; no user is made."""
    before = User.select().count()
    body = {"username": "mallory", "password": "secret-pass", "email": "m@example.org", **change}
    assert_invalid(anon.post("/api/v1/users/register", json=body), field)
    assert User.select().count() == before
    assert not Account.select().where(Account.name == "mallory").exists()


def test_registration_channel_must_not_take_the_username(anon):
    body = {
        "username": "mallory",
        "password": "secret-pass",
        "email": "m@example.org",
        "channel": {"name": "mallory", "displayName": "Videos"},
    }
    response = anon.post("/api/v1/users/register", json=body)
    assert response.status_code == 400
    assert response.json()["detail"] == "Channel name cannot be the same as user username."
    assert not User.select().where(User.username == "mallory").exists()


# --- administrators' user management ----------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role": None}, "role"),
        ({"role": [2]}, "role"),
        ({"role": 7}, "role"),
        ({"videoQuota": "lots"}, "videoQuota"),
        ({"videoQuota": 2**63}, "videoQuota"),
        ({"videoQuota": -2}, "videoQuota"),
        ({"videoQuotaDaily": 1.5}, "videoQuotaDaily"),
        ({"email": 5}, "email"),
        ({"channelName": 5}, "channelName"),
    ],
)
def test_admin_user_creation_checks_every_field_before_writing(root_api, change, field):
    """A bad quota used to be applied after the user was made (a 500 and a half-made user)."""
    body = {"username": "newbie", "password": "secret-pass", "email": "n@example.org", **change}
    assert_invalid(root_api.post("/api/v1/users", json=body), field)
    assert not User.select().where(User.username == "newbie").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"videoQuota": 2**63}, "videoQuota"),
        ({"videoQuota": "x"}, "videoQuota"),
        ({"videoQuotaDaily": [1]}, "videoQuotaDaily"),
        ({"email": 5}, "email"),
        ({"role": None}, "role"),
        ({"blocked": "maybe"}, "blocked"),
    ],
)
def test_admin_user_update_refuses_wrong_types_and_changes_nothing(
    root_api, local_user, change, field
):
    before = User.get_by_id(local_user.id)
    response = root_api.put(f"/api/v1/users/{local_user.id}", json={"videoQuota": 7, **change})
    assert_invalid(response, field)
    after = User.get_by_id(local_user.id)
    assert (after.video_quota, after.email, after.role, after.blocked) == (
        before.video_quota,
        before.email,
        before.role,
        before.blocked,
    )


def test_admin_cannot_demote_or_block_themselves_through_the_api(root_api, admin_user):
    """As on the admin page: the last way back in must not be closed by a typo."""
    for change in ({"role": 2}, {"blocked": True}):
        response = root_api.put(f"/api/v1/users/{admin_user.id}", json=change)
        assert response.status_code == 400, response.text
    root = User.get_by_id(admin_user.id)
    assert root.role == Role.ADMIN and not root.blocked
    assert root_api.get("/api/v1/users/me").status_code == 200


def test_admin_sets_a_user_email_that_is_taken(root_api, local_user, other_user):
    response = root_api.put(f"/api/v1/users/{other_user.id}", json={"email": local_user.email})
    assert response.status_code == 409, response.text
    assert User.get_by_id(other_user.id).email is None


# --- videos -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tags": 5}, "tags"),
        ({"tags": [["nested"]]}, "tags"),
        ({"language": ["a"]}, "language"),
        ({"name": 5}, "name"),
        ({"description": {"a": 1}}, "description"),
        ({"privacy": "public"}, "privacy"),
        ({"privacy": 2**70}, "privacy"),
        ({"category": [1]}, "category"),
        ({"nsfw": "maybe"}, "nsfw"),
        ({"support": 5}, "support"),
    ],
)
def test_video_edit_refuses_wrong_json_types(alice_api, video, change, field):
    response = alice_api.put(f"/api/v1/videos/{video.id}", json={"name": "Renamed", **change})
    assert_invalid(response, field)
    after = Video.get_by_id(video.id)
    assert (after.name, after.tags, after.language) == ("Cats over P2P", ["cats"], "en")


# --- server follows ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hosts": 5}, "hosts"),
        ({"hosts": ["not a host"]}, "hosts"),
        ({"handles": "x" * 300}, "handles"),
        ({"handles": [5]}, "handles"),
        ({"hosts": ["a.example"], "handles": {"b": 1}}, "handles"),
    ],
)
def test_server_follow_refuses_what_is_not_a_list_of_hosts_or_handles(root_api, body, field):
    """A "handles" string was split into characters: 300 of them queued 300 follow jobs."""
    assert_invalid(root_api.post("/api/v1/server/following", json=body), field)
    assert Job.select().count() == 0


def test_server_follow_queues_one_job_per_host_and_handle(root_api):
    body = {"hosts": ["a.example", "a.example", "b.example:8443"], "handles": ["c@c.example"]}
    assert root_api.post("/api/v1/server/following", json=body).status_code == 204
    assert Job.select().count() == 3


def test_follower_url_without_accept_or_reject_is_not_a_post(root_api, server):
    response = root_api.post("/api/v1/server/followers/peertube@a.example")
    assert response.status_code == 405, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert response.json()["status"] == 405
    assert Follow.select().count() == 0


# --- notifications ----------------------------------------------------------------------


@pytest.mark.parametrize("ids", [[2**64], [-1], [True], [1.5], "1", None])
def test_marking_notifications_read_refuses_ids_that_are_not_ids(alice_api, local_user, ids):
    Notification.create(user=local_user, type=1)
    assert_invalid(alice_api.post("/api/v1/users/me/notifications/read", json={"ids": ids}), "ids")
    assert Notification.select().where(Notification.read).count() == 0
