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

from app import auth
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload


def test_yt_dlp_extracts_a_video_with_its_own_requests(alice_api, anon, clip, run_jobs):
    """yt-dlp's PeerTube extractor: the watch page is recognised, /videos/{id}/ (with the
    slash), /captions and /description answer, and its formats have URLs that play."""
    ids = upload(alice_api, clip, description="Long enough. " * 30)
    run_jobs()
    for page in (f"/videos/watch/{ids['uuid']}", f"/w/{ids['shortUUID']}"):
        html = anon.get(page).text
        assert 'meta property="og:platform" content="PeerTube"' in html, page
    embed = anon.get(f"/videos/embed/{ids['uuid']}").text
    assert 'meta property="og:platform" content="PeerTube"' in embed

    for ref in (ids["uuid"], ids["shortUUID"]):
        slashed = anon.get(f"/api/v1/videos/{ref}/")
        assert slashed.status_code == 200, slashed.text
        assert slashed.json() == anon.get(f"/api/v1/videos/{ref}").json()
    video = slashed.json()
    formats = video["files"] + video["streamingPlaylists"][0]["files"]
    for f in formats:
        assert f["resolution"]["label"] in ("240p", "144p")
        assert anon.head(f["fileUrl"]).status_code == 200
    captions = anon.get(f"/api/v1/videos/{ids['uuid']}/captions")
    assert captions.status_code == 200 and captions.json() == {"total": 0, "data": []}
    description = anon.get(f"/api/v1/videos/{ids['uuid']}/description").json()
    assert description["description"].startswith("Long enough.")

    missing = anon.get("/api/v1/videos/00000000-0000-4000-8000-000000000000/captions")
    assert missing.status_code == 404 and missing.json()["detail"] == "Video not found"
    assert missing.headers["Content-Type"].startswith("application/problem+json")


def test_api_routes_accept_one_trailing_slash(anon, alice_api):
    """As on PeerTube (Express), any API route answers with one trailing slash too."""
    assert anon.get("/api/v1/config/").json()["serverVersion"] == "6.3.0"
    assert anon.get("/api/v1/videos/").json() == {"total": 0, "data": []}
    assert alice_api.get("/api/v1/users/me/").json()["username"] == "alice"
    assert anon.get("/api/v1/accounts/alice/").json()["name"] == "alice"
    nothing = anon.get("/api/v1/nothing-here/")
    assert nothing.status_code == 404 and nothing.json()["detail"] == "Not found"


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


def test_admin_listings_answer_peertube_empty_lists(
    server, anon, alice_api, admin_user, clip, run_jobs
):
    """Plugins (admins only), playlists, comment threads and vocabularies answer as
    PeerTube does with nothing stored, instead of a 404 that broke client pages."""
    root = server.client()
    root.token("root", PASSWORD)
    for path in ("/api/v1/plugins", "/api/v1/plugins/available"):
        assert anon.get(path).status_code == 401, path
        refused = alice_api.get(path)
        assert refused.status_code == 403 and refused.json()["detail"], path
        assert root.get(path).json() == {"total": 0, "data": []}, path
    bad = root.get("/api/v1/plugins", params={"pluginType": "7"})
    assert bad.status_code == 400 and "pluginType" in bad.json()["invalid-params"]
    assert root.get("/api/v1/plugins/available", params={"sort": "-popularity"}).status_code == 200
    assert root.get("/api/v1/plugins", params={"sort": "npmName"}).status_code == 400

    assert anon.get("/api/v1/video-playlists").json() == {"total": 0, "data": []}
    assert anon.get("/api/v1/video-playlists", params={"playlistType": "3"}).status_code == 400
    assert anon.get("/api/v1/accounts/alice/video-playlists").json()["total"] == 0
    assert anon.get("/api/v1/video-channels/alice_channel/video-playlists").json()["total"] == 0
    assert anon.get("/api/v1/accounts/nobody/video-playlists").status_code == 404

    ids = upload(alice_api, clip)
    threads = anon.get(f"/api/v1/videos/{ids['uuid']}/comment-threads")
    assert threads.json() == {"total": 0, "totalNotDeletedComments": 0, "data": []}
    assert anon.get(f"/api/v1/videos/{ids['shortUUID']}/comment-threads").status_code == 200
    gone = anon.get("/api/v1/videos/00000000-0000-4000-8000-000000000000/comment-threads")
    assert gone.status_code == 404 and gone.json()["detail"] == "Video not found"
    assert anon.get("/api/v1/videos/not-an-id!/comment-threads").status_code == 400
    sorted_bad = anon.get(f"/api/v1/videos/{ids['id']}/comment-threads", params={"sort": "x"})
    assert sorted_bad.status_code == 400

    assert anon.get("/api/v1/videos/categories").json()["15"] == "Science & Technology"
    assert anon.get("/api/v1/videos/licences").json()["1"] == "Attribution"
    assert anon.get("/api/v1/videos/languages").json()["en"] == "English"
    assert anon.get("/api/v1/videos/privacies").json() == {
        "1": "Public",
        "2": "Unlisted",
        "3": "Private",
    }
    assert anon.get("/api/v1/video-playlists/privacies").json()["1"] == "Public"
    assert auth.account_of(admin_user).name == "root"
