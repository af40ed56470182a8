"""Real PeerTube clients work against Shoal: each test replays what one client does.

- peertube-cli `upload` (PeerTube's apps/peertube-cli, through server-commands'
  VideosCommand.upload) polls the new video until `files[0].torrentUrl` is set;
- yt-dlp's PeerTube extractor asks /api/v1/videos/{id}/ (trailing slash),
  /captions and /description, and recognises a server by a meta tag;
- apps and admin pages list channels, accounts, plugins, playlists, comment
  threads and vocabularies, sign out with revoke-token, and resolve handles
  with WebFinger.
"""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_revoke_token_answers_success_and_the_token_stops_working(server, local_user, anon):
    """pypeertube signs out with revoke-token and reads `success`; the token is dead after."""
    client = server.client()
    oauth = client.get("/api/v1/oauth-clients/local").json()
    grant = client.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "password", "username": "alice", "password": PASSWORD},
    ).json()
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    revoked = client.post("/api/v1/users/revoke-token", headers=bearer)
    assert revoked.status_code == 200 and revoked.json() == {"success": True}
    again = client.get("/api/v1/users/me", headers=bearer)
    assert again.status_code == 401 and again.json()["code"] == "unauthorized_request"
    refreshed = client.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "refresh_token", "refresh_token": grant["refresh_token"]},
    )
    assert refreshed.status_code == 400 and refreshed.json()["code"] == "invalid_grant"
    nobody = anon.post("/api/v1/users/revoke-token", headers={"X-XSRFToken": anon.xsrf()})
    assert nobody.status_code == 401 and nobody.json()["code"] == "unauthorized_request"


def test_webfinger_refuses_malformed_resources_with_400(anon, local_user, live_settings):
    """A bad `resource` is the asker's mistake (400, PeerTube's problem); 404 is for an
    account that does not exist."""
    host = live_settings.host
    for params in (
        {},
        {"resource": ""},
        {"resource": "alice"},
        {"resource": f"alice@{host}"},
        {"resource": "acct:alice"},
        {"resource": f"acct:@{host}"},
        {"resource": f"acct:alice@{host}@{host}"},
        {"resource": "mailto:alice@example.org"},
    ):
        response = anon.get("/.well-known/webfinger", params=params)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["detail"] == "Incorrect request parameters: resource"
        assert problem["invalid-params"]["resource"]["location"] == "query"
    unknown = anon.get("/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Actor not found"
    by_url = anon.get(
        "/.well-known/webfinger", params={"resource": f"{live_settings.base_url}/accounts/alice"}
    )
    assert by_url.status_code == 200 and by_url.json()["subject"] == f"acct:alice@{host}"
