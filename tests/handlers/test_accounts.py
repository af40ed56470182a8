"""Sign-up, sign-in, sign-out, sessions, OAuth tokens, and the root account."""

from __future__ import annotations

from app import auth
from app.settings import Settings
from models.accounts import Account, Channel, OAuthToken, User
from tests.conftest import PASSWORD


def test_visitor_registers_gets_a_default_channel_and_is_signed_in(anon):
    response = anon.form(
        "/signup",
        {
            "username": "carol",
            "password": "secret-pass",
            "display_name": "Carol",
            "email": "c@example.org",
        },
    )
    assert response.status_code == 303
    user = User.get(User.username == "carol")
    account = Account.get(Account.user == user)
    assert account.display_name == "Carol"
    assert Channel.get(Channel.account == account).name == "carol_channel"
    assert "@carol" in anon.get("/").text  # signed in: the header shows the handle
    assert auth.verify_password("secret-pass", user.password_hash)
    assert "secret-pass" not in user.password_hash


def test_registration_errors_are_shown_beside_the_form(anon, local_user):
    taken = anon.form("/signup", {"username": "alice", "password": "secret-pass"})
    assert taken.status_code == 400 and "That username is taken." in taken.text
    short = anon.form("/signup", {"username": "dave", "password": "123"})
    assert short.status_code == 400 and "between 6 and 255" in short.text
    weird = anon.form("/signup", {"username": "Не ascii", "password": "secret-pass"})
    assert weird.status_code == 400 and "lowercase letters" in weird.text


def test_registration_closed_by_admin(server, database, tmp_path):
    from tests.conftest import LiveServer

    closed = LiveServer(server.settings.with_(registration_open=False))
    try:
        client = closed.client()
        assert client.get("/signup").status_code == 403
        assert (
            client.form("/signup", {"username": "eve", "password": "secret-pass"}).status_code
            == 403
        )
        assert not User.select().where(User.username == "eve").exists()
        api = client.post("/api/v1/users/register", json={"username": "eve", "password": "x" * 8})
        assert api.status_code == 403
    finally:
        closed.stop()


def test_sign_in_sets_a_safe_session_cookie_and_sign_out_ends_it(anon, local_user):
    wrong = anon.form("/login", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 400 and "Invalid username or password." in wrong.text
    ok = anon.form("/login", {"username": "alice", "password": PASSWORD, "next": "/my-videos"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/my-videos"
    cookie = [c for c in ok.headers.get_list("Set-Cookie") if c.startswith("shoal_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert anon.get("/my-videos").status_code == 200
    assert anon.form("/logout").status_code == 303
    assert anon.get("/my-videos").status_code == 302  # back to the sign-in page


def test_sign_in_never_redirects_to_another_site(anon, local_user):
    ok = anon.form(
        "/login", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert ok.headers["Location"] == "/"


def test_password_change_ends_existing_sessions(alice, local_user):
    assert alice.get("/my-videos").status_code == 200
    auth.set_password(local_user, "another password")
    assert alice.get("/my-videos").status_code == 302


def test_sign_in_is_rate_limited(anon, local_user):
    # the test server allows 5 attempts per minute per address and username
    codes = [
        anon.form("/login", {"username": "alice", "password": "bad"}).status_code for _ in range(6)
    ]
    assert codes[:5] == [400] * 5 and codes[5] == 429
    # even the right password waits now
    assert anon.form("/login", {"username": "alice", "password": PASSWORD}).status_code == 429


def test_api_token_is_rate_limited_too(anon, local_user):
    oauth = anon.get("/api/v1/oauth-clients/local").json()
    data = {**oauth, "grant_type": "password", "username": "alice", "password": "bad"}
    codes = [anon.post("/api/v1/users/token", data=data).status_code for _ in range(6)]
    assert codes[:5] == [400] * 5 and codes[5] == 429


def test_oauth_password_and_refresh_grants(anon, local_user):
    oauth = anon.get("/api/v1/oauth-clients/local").json()
    assert set(oauth) == {"client_id", "client_secret"}
    bad = anon.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "password", "username": "alice", "password": "wrong"},
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_grant"
    assert bad.json()["detail"] == "Invalid grant: user credentials are invalid"
    good = anon.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "password", "username": "alice", "password": PASSWORD},
    )
    assert good.status_code == 200 and good.headers["Cache-Control"] == "no-store"
    tokens = good.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] > 0
    # only hashes are stored
    assert not OAuthToken.select().where(OAuthToken.access_hash == tokens["access_token"]).exists()
    me = anon.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200
    body = me.json()
    assert body["username"] == "alice" and body["role"] == {"id": 2, "label": "User"}
    assert body["videoChannels"][0]["name"] == "alice_channel"
    assert body["account"]["name"] == "alice"
    refreshed = anon.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert refreshed.status_code == 200
    old = anon.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert old.status_code == 401  # the old pair stopped working
    new = refreshed.json()["access_token"]
    assert (
        anon.get("/api/v1/users/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    )


def test_root_gets_the_configured_password_or_a_generated_one(settings: Settings):
    assert auth.ensure_root(settings.with_(root_password="from-env-pw")) is None
    assert auth.authenticate("root", "from-env-pw").is_admin
    assert auth.ensure_root(settings) is None  # exists already: nothing printed again
    User.delete().execute()
    generated = auth.ensure_root(settings.with_(root_password=None))
    assert generated and auth.authenticate("root", generated).is_admin


def test_admin_creates_users_with_roles_through_the_api(server, admin_user, alice_api):
    root = server.client()
    root.token("root", PASSWORD)
    made = root.post(
        "/api/v1/users",
        json={
            "username": "mod",
            "password": "secret-pass",
            "email": "m@example.org",
            "role": 1,
            "videoQuota": 1000,
        },
    )
    assert made.status_code == 200, made.text
    assert User.get(User.username == "mod").role == 1
    assert User.get(User.username == "mod").video_quota == 1000
    refused = alice_api.post("/api/v1/users", json={"username": "x1", "password": "secret-pass"})
    assert refused.status_code == 403
