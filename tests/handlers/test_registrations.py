"""Sign-up open, by approval or closed: the pages, PeerTube's registrations API, the limit
per address, the rules shown at sign-up, and what an applicant is told."""

from __future__ import annotations

import pytest

from app import about, auth, registrations
from models.accounts import Role, User
from models.notifications import Notification, NotificationType
from models.registrations import RegistrationState, UserRegistration
from tests.conftest import PASSWORD

REGISTRATION_KEYS = {
    "id", "state", "registrationReason", "moderationResponse", "username", "email",
    "emailVerified", "accountDisplayName", "channelHandle", "channelDisplayName", "createdAt",
    "updatedAt", "user",
}  # fmt: skip


@pytest.fixture
def approval(live_settings):
    """Sign-up by approval, as the administrator chose it."""
    registrations.update_policy(registrations.APPROVAL, 0)


@pytest.fixture
def root(server, admin_user):
    """The administrator, signed in in a browser."""
    client = server.client()
    client.login("root", PASSWORD)
    yield client
    client.close()


def _ask(client, username="carol", **extra):
    data = {
        "username": username,
        "password": "secret-pass",
        "email": f"{username}@example.org",
        "display_name": username.title(),
        "registration_reason": "I make videos about boats.",
        **extra,
    }
    return client.form("/signup", data)


def test_admin_chooses_approval_and_the_config_api_says_so(root, anon, live_settings):
    assert anon.get("/api/v1/config").json()["signup"]["requiresApproval"] is False
    page = root.get("/admin/registrations")
    assert "Who may create an account" in page.text and 'value="open" checked' in page.text
    saved = root.form("/admin/registrations", {"mode": "approval", "hourly_limit": "3"})
    assert saved.status_code == 303
    signup = anon.get("/api/v1/config").json()["signup"]
    assert signup["allowed"] is True and signup["allowedForCurrentIP"] is True
    assert signup["requiresApproval"] is True and signup["minimumAge"] == 16
    assert "Why do you want to join?" in anon.get("/signup").text
    wrong = root.form("/admin/registrations", {"mode": "maybe", "hourly_limit": "-4"})
    assert wrong.status_code == 400 and "Choose open, by approval or closed." in wrong.text
    assert registrations.policy(live_settings).hourly_limit == 3  # nothing changed
    root.form("/admin/registrations", {"mode": "closed", "hourly_limit": "0"})
    signup = anon.get("/api/v1/config").json()["signup"]
    assert signup["allowed"] is False and signup["requiresApproval"] is False
    assert anon.get("/nodeinfo/2.0.json").json()["openRegistrations"] is False
    closed = anon.get("/signup")
    assert closed.status_code == 403 and "Registration is closed" in closed.text
    assert "Create an account" not in anon.get("/login").text


def test_applicant_waits_then_signs_in_once_a_moderator_accepts(approval, anon, root):
    missing = _ask(anon, registration_reason="")
    assert missing.status_code == 400
    assert "Say why you want to join (2 to 3000 characters)." in missing.text
    assert UserRegistration.select().count() == 0
    sent = _ask(anon)
    assert sent.status_code == 303 and sent.headers["Location"] == "/signup?sent=1"
    assert "It is waiting for a moderator" in anon.get("/signup?sent=1").text
    assert not User.select().where(User.username == "carol").exists()
    waiting = anon.form("/login", {"username": "carol", "password": "secret-pass"})
    assert waiting.status_code == 403
    assert "Your request to join is waiting for a moderator." in waiting.text
    # a wrong password learns nothing about the request
    wrong = anon.form("/login", {"username": "carol", "password": "not-hers"})
    assert "Invalid username or password." in wrong.text
    # the administrator is told, and sees the request with its reason
    note = Notification.get(Notification.type == NotificationType.NEW_USER_REGISTRATION_REQUEST)
    assert note.user.username == "root"
    assert "carol asks to join this server" in root.get("/notifications").text
    page = root.get("/admin/registrations")
    assert "I make videos about boats." in page.text and "1 waiting." in page.text
    request = UserRegistration.get(UserRegistration.username == "carol")
    accepted = root.form(
        f"/admin/registrations/{request.id}/accept", {"moderation_response": "Welcome aboard"}
    )
    assert accepted.status_code == 303
    carol = User.get(User.username == "carol")
    assert carol.email == "carol@example.org" and carol.role == Role.USER
    assert auth.account_of(carol).display_name == "Carol"
    assert auth.channels_of(carol)[0].name == "carol_channel"
    anon.login("carol", "secret-pass")
    assert "@carol" in anon.get("/").text
    request = UserRegistration.get_by_id(request.id)
    assert request.state == RegistrationState.ACCEPTED and request.user_id == carol.id


def test_rejected_applicant_is_told_why_when_signing_in(approval, anon, root):
    _ask(anon, "dave")
    request = UserRegistration.get(UserRegistration.username == "dave")
    rejected = root.form(
        f"/admin/registrations/{request.id}/reject", {"moderation_response": "No spam here"}
    )
    assert rejected.status_code == 303
    assert not User.select().where(User.username == "dave").exists()
    told = anon.form("/login", {"username": "dave", "password": "secret-pass"})
    assert "Your request to join was rejected: No spam here" in told.text
    # decided once: a second decision is refused and changes nothing
    again = root.form(f"/admin/registrations/{request.id}/accept")
    assert again.status_code == 409 and "already accepted or rejected" in again.text
    assert not User.select().where(User.username == "dave").exists()
    # the name stays reserved until a moderator deletes the request
    assert "Someone already asked to join" in _ask(anon, "dave").text
    assert root.form(f"/admin/registrations/{request.id}/delete").status_code == 303
    assert _ask(anon, "dave").status_code == 303


def test_only_moderators_see_requests_and_only_admins_choose_the_mode(
    server, approval, alice, live_settings
):
    assert alice.get("/admin/registrations").status_code == 403
    auth.create_user(live_settings, "mod", PASSWORD, role=Role.MODERATOR)
    mod = server.client()
    mod.login("mod", PASSWORD)
    page = mod.get("/admin/registrations")
    assert page.status_code == 200 and "Requests to join" in page.text
    assert "Who may create an account" not in page.text
    assert mod.form("/admin/registrations", {"mode": "open"}).status_code == 403
    assert registrations.policy(live_settings).mode == registrations.APPROVAL


def test_rules_are_shown_at_sign_up_and_must_be_agreed_to(anon, live_settings):
    about.update({"codeOfConduct": "Be **kind** to each other.", "terms": "No illegal content."})
    page = anon.get("/signup")
    assert "<strong>kind</strong>" in page.text and "No illegal content." in page.text
    assert "I agree to the rules" in page.text
    data = {"username": "erin", "password": "secret-pass"}
    refused = anon.form("/signup", data)
    assert refused.status_code == 400 and "tick “I agree”" in refused.text
    assert not User.select().where(User.username == "erin").exists()
    assert anon.form("/signup", {**data, "rules": "on"}).status_code == 303
    assert "Be <strong>kind</strong> to each other." in anon.get("/about").text


def test_sign_ups_per_address_per_hour_are_limited(server, live_settings):
    registrations.update_policy(registrations.OPEN, 2)
    for name in ("fay", "gil"):
        client = server.client()
        signed_up = client.form("/signup", {"username": name, "password": "secret-pass"})
        assert signed_up.status_code == 303
    third = server.client().form("/signup", {"username": "hal", "password": "secret-pass"})
    assert third.status_code == 429 and "Too many sign-ups from your address" in third.text
    api = server.client().post(
        "/api/v1/users/register",
        json={"username": "ida", "password": "secret-pass", "email": "ida@example.org"},
    )
    assert api.status_code == 429 and api.headers["Retry-After"] == "3600"
    assert not User.select().where(User.username.in_(["hal", "ida"])).exists()


def test_registrations_api_in_peertube_shape(server, approval, admin_user, alice_api, anon):
    direct = anon.post(
        "/api/v1/users/register",
        json={"username": "jo", "password": "secret-pass", "email": "jo@example.org"},
    )
    assert direct.status_code == 403
    assert direct.json()["detail"] == "User registration requires approval"
    body = {
        "username": "jo",
        "password": "secret-pass",
        "email": "jo@example.org",
        "displayName": "Jo",
        "channel": {"name": "jo_films", "displayName": "Jo's films"},
        "registrationReason": "To share my films.",
    }
    asked = anon.post("/api/v1/users/registrations/request", json=body)
    assert asked.status_code == 200, asked.text
    data = asked.json()
    assert set(data) == REGISTRATION_KEYS
    assert data["state"] == {"id": 1, "label": "Pending"} and data["user"] is None
    assert data["channelHandle"] == "jo_films" and data["accountDisplayName"] == "Jo"
    assert "password" not in asked.text
    assert alice_api.get("/api/v1/users/registrations").status_code == 403
    root = server.client()
    root.token("root", PASSWORD)
    listed = root.get("/api/v1/users/registrations", params={"search": "JO", "sort": "createdAt"})
    assert listed.json()["total"] == 1 and listed.json()["data"][0]["username"] == "jo"
    assert root.get("/api/v1/users/registrations", params={"search": "zz"}).json()["total"] == 0
    bad_sort = root.get("/api/v1/users/registrations", params={"sort": "password"})
    assert bad_sort.status_code == 400
    notes = root.get("/api/v1/users/me/notifications").json()["data"]
    assert notes[0]["type"] == 20 and notes[0]["registration"] == {
        "id": data["id"],
        "username": "jo",
    }
    ok = root.post(
        f"/api/v1/users/registrations/{data['id']}/accept",
        json={"moderationResponse": "Welcome", "preventEmailDelivery": True},
    )
    assert ok.status_code == 204
    again = root.post(f"/api/v1/users/registrations/{data['id']}/reject", json={})
    assert again.status_code == 409
    accepted = root.get("/api/v1/users/registrations").json()["data"][0]
    assert accepted["state"] == {"id": 3, "label": "Accepted"}
    assert accepted["moderationResponse"] == "Welcome" and accepted["user"]["id"]
    jo = server.client()
    jo.token("jo", "secret-pass")
    me = jo.get("/api/v1/users/me").json()
    assert me["videoChannels"][0]["name"] == "jo_films" and me["account"]["displayName"] == "Jo"
    assert root.delete(f"/api/v1/users/registrations/{data['id']}").status_code == 204
    assert root.delete(f"/api/v1/users/registrations/{data['id']}").status_code == 404
    assert User.select().where(User.username == "jo").exists()  # the user stays


def test_bad_requests_get_peertube_errors_and_store_nothing(
    server, approval, local_user, anon, live_settings
):
    def ask(**changes):
        body = {
            "username": "kim",
            "password": "secret-pass",
            "email": "kim@example.org",
            "registrationReason": "Hello there",
            **changes,
        }
        return anon.post("/api/v1/users/registrations/request", json=body)

    missing = ask(registrationReason=None)
    assert missing.status_code == 400
    assert "registrationReason" in missing.json()["invalid-params"]
    long = ask(registrationReason="x" * 3001)
    assert long.status_code == 400 and "registrationReason" in long.json()["invalid-params"]
    taken = ask(username="alice")
    assert taken.status_code == 409 and taken.json()["detail"] == "That username is taken."
    email = ask(email="alice@example.org")
    assert email.status_code == 409 and "email" in email.json()["invalid-params"]
    assert UserRegistration.select().count() == 0
    assert ask().status_code == 200
    for clash in ({"email": "other@example.org"}, {"username": "lee"}):
        dup = ask(**clash)
        assert dup.status_code == 409, clash
        assert "Someone already asked to join" in dup.json()["detail"]
    assert (
        ask(
            username="lee", email="lee@example.org", channel={"name": "kim", "displayName": "K"}
        ).status_code
        == 409
    )
    # open again: a pending request's name is still not free
    registrations.update_policy(registrations.OPEN, 0)
    register = anon.post(
        "/api/v1/users/register",
        json={"username": "kim", "password": "secret-pass", "email": "k2@example.org"},
    )
    assert register.status_code == 409
    not_approval = ask(username="lee", email="lee@example.org")
    assert not_approval.status_code == 400
    assert not_approval.json()["detail"] == "Signup approval is not enabled on this instance"
    registrations.update_policy(registrations.CLOSED, 0)
    closed = ask(username="lee", email="lee@example.org")
    assert (
        closed.status_code == 403 and closed.json()["detail"] == "User registration is not allowed"
    )
    assert UserRegistration.select().count() == 1
    assert not User.select().where(User.username.in_(["kim", "lee"])).exists()


def test_the_environment_gives_the_default_and_the_admin_setting_wins(settings, database):
    assert registrations.policy(settings.with_(registration_open=False)).mode == "closed"
    assert registrations.policy(settings).mode == "open"
    registrations.update_policy("approval", "")
    assert registrations.policy(settings.with_(registration_open=False)).requires_approval
