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

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from app import auth, channels
from app.federation import actors, follows
from app.tracker import bdecode, bencode
from models.accounts import Account, Channel
from models.federation import Actor, ActorType, Follow, FollowState
from models.videos import State, Video
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload

AP = {"Accept": "application/activity+json"}


def remote_actor(kind: ActorType, name: str, host: str) -> Actor:
    """An actor of another server, as if fetched from there."""
    return Actor.create(type=kind, name=name, host=host, ap_id=f"https://{host}/accounts/{name}")


def cli_token(client, username: str) -> None:
    """What the CLI's assignToken does: fetch the local OAuth client, then a password grant."""
    oauth = client.get("/api/v1/oauth-clients/local").json()
    response = client.post(
        "/api/v1/users/token",
        data={
            "client_id": oauth["client_id"],
            "client_secret": oauth["client_secret"],
            "username": username,
            "password": PASSWORD,
            "response_type": "code",
            "grant_type": "password",
        },
    )
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def cli_upload(client, clip: Path, privacy: str = "1") -> str:
    """VideosCommand.upload in legacy mode, with the fields `peertube-cli upload` sends."""
    channel_id = client.get("/api/v1/users/me").json()["videoChannels"][0]["id"]
    fields = {
        "name": "Cats from the CLI",
        "channelId": str(channel_id),
        "nsfw": "false",
        "waitTranscoding": "true",
        "privacy": privacy,
        "downloadEnabled": "true",
        "category": "15",
        "tags[0]": "cats",
        "tags[1]": "cli",
    }
    with clip.open("rb") as fh:
        response = client.post(
            "/api/v1/videos/upload",
            data=fields,
            files={"videofile": (clip.name, fh, "video/mp4")},
        )
    assert response.status_code == 200, response.text
    return response.json()["video"]["uuid"]


def test_cli_upload_finds_a_torrent_in_files_from_the_upload_on(server, local_user, clip, run_jobs):
    """The CLI's poll gets files[0].torrentUrl at once (it crashed on an empty `files`),
    the torrent and the file it names really download, and after publishing
    files[0] is a rendition with its torrent."""
    client = server.client()
    cli_token(client, "alice")
    uuid = cli_upload(client, clip)

    video = client.get(f"/api/v1/videos/{uuid}").json()
    assert video["state"]["label"] == "To transcode"
    (original,) = video["files"]
    assert original["torrentUrl"]  # the CLI's loop ends here instead of crashing
    assert original["resolution"] == {"id": 240, "label": "240p"}
    assert (original["width"], original["height"]) == (320, 240)
    assert original["size"] == clip.stat().st_size
    # A BitTorrent client can complete it: the torrent names the file, the WebSeed serves it.
    data = clip.read_bytes()
    fetched = client.get(original["fileUrl"])
    assert fetched.status_code == 200 and fetched.content == data
    torrent = bdecode(client.get(original["torrentUrl"]).content)
    info = torrent[b"info"]
    assert info[b"length"] == len(data)
    piece = info[b"piece length"]
    hashes = b"".join(
        hashlib.sha1(data[i : i + piece], usedforsecurity=False).digest()
        for i in range(0, len(data), piece)
    )
    assert info[b"pieces"] == hashes
    assert torrent[b"url-list"] == [original["fileUrl"].encode()]
    infohash = hashlib.sha1(bencode(info), usedforsecurity=False).hexdigest()
    magnet = parse_qs(urlsplit(original["magnetUri"]).query)
    assert magnet["xt"] == [f"urn:btih:{infohash}"]
    download = client.get(original["fileDownloadUrl"])
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    assert client.get(original["torrentDownloadUrl"]).status_code == 200

    assert run_jobs() >= 1
    video = client.get(f"/api/v1/videos/{uuid}").json()
    assert video["state"]["label"] == "Published"
    renditions = video["streamingPlaylists"][0]["files"]
    assert [f["resolution"]["id"] for f in video["files"]] == [240, 144]
    assert video["files"][0]["torrentUrl"] == renditions[0]["torrentUrl"]
    assert client.get(video["files"][0]["torrentUrl"]).status_code == 200
    assert client.get(video["files"][0]["fileUrl"]).status_code == 200
    # The raw upload is no longer listed, nor served.
    assert client.get(original["fileUrl"]).status_code == 404
    assert client.get(original["torrentUrl"]).status_code == 404


def test_a_private_upload_is_listed_to_its_owner_only(server, local_user, anon, clip):
    """Before transcoding, a private video's original and torrent are the owner's alone."""
    client = server.client()
    cli_token(client, "alice")
    uuid = cli_upload(client, clip, privacy="3")
    (original,) = client.get(f"/api/v1/videos/{uuid}").json()["files"]
    assert client.get(original["fileUrl"]).status_code == 200
    assert "no-store" in client.get(original["fileUrl"]).headers["Cache-Control"]
    for url in (original["fileUrl"], original["torrentUrl"], original["fileDownloadUrl"]):
        assert anon.get(url).status_code == 404, url
    assert anon.get(f"/api/v1/videos/{uuid}").status_code == 404


@pytest.fixture(scope="session")
def peertube_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real `peertube-cli` from npm (@peertube/peertube-cli), installed once per run."""
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        pytest.skip("npm/node not installed: the real peertube-cli cannot run")
    folder = tmp_path_factory.mktemp("peertube-cli")
    try:
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--silent", "@peertube/peertube-cli@1"],
            cwd=folder,
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        pytest.skip(f"npm could not install @peertube/peertube-cli: {err}")
    return folder / "node_modules" / ".bin" / "peertube-cli"


@pytest.mark.slow
def test_the_real_peertube_cli_uploads_a_video(
    server, local_user, clip, peertube_cli, tmp_path, run_jobs
):
    """`peertube-cli upload` ends with "uploaded" (it waits for files[0].torrentUrl), and the
    video it uploaded is published."""
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(
        [
            str(peertube_cli),
            "upload",
            "--url",
            server.url,
            "--username",
            "alice",
            "--password",
            PASSWORD,
            "--file",
            str(clip.resolve()),
            "--video-name",
            "Cats from the real CLI",
            "--tags",
            "cats,cli",
        ],  # fmt: skip
        env={**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Video Cats from the real CLI uploaded." in result.stdout
    video = Video.get(Video.name == "Cats from the real CLI")
    assert video.tags == ["cats", "cli"]
    run_jobs()
    assert Video.get_by_id(video.id).state == State.PUBLISHED


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


def test_channels_and_accounts_are_listed_to_anyone_in_pages(server, anon, alice_api, other_user):
    """GET /video-channels and /accounts list publicly (they answered 401, then 405)."""
    assert alice_api.post(
        "/api/v1/video-channels", json={"name": "alice_music", "displayName": "Music"}
    ).status_code == 200  # fmt: skip
    xsrf = {"X-XSRFToken": anon.xsrf()}
    assert (
        anon.post("/api/v1/video-channels", json={"name": "x_y"}, headers=xsrf).status_code == 401
    )
    # A channel of a server we follow is listed; one of a server we do not follow is not.
    for host in ("followed.example", "stranger.example"):
        account = Account.create(name="dora", host=host, display_name="Dora")
        Channel.create(account=account, name="dora_channel", host=host, display_name="Dora's")
    remote_server = remote_actor(ActorType.APPLICATION, "peertube", "followed.example")
    Follow.create(follower=actors.server_actor(), target=remote_server, state=FollowState.ACCEPTED)

    for client in (anon, alice_api):
        body = client.get("/api/v1/video-channels", params={"sort": "name"}).json()
        assert [(c["name"], c["host"]) for c in body["data"]] == [
            ("alice_channel", server.settings.host),
            ("alice_music", server.settings.host),
            ("bob_channel", server.settings.host),
            ("dora_channel", "followed.example"),
        ]
        assert body["total"] == 4
        assert body["data"][0]["ownerAccount"]["name"] == "alice"
    page = anon.get("/api/v1/video-channels", params={"sort": "-name", "start": 1, "count": 2})
    assert [c["name"] for c in page.json()["data"]] == ["bob_channel", "alice_music"]

    accounts = anon.get("/api/v1/accounts", params={"sort": "createdAt"}).json()
    assert accounts["total"] == 4
    assert [(a["name"], a["host"]) for a in accounts["data"][:2]] == [
        ("alice", server.settings.host),
        ("bob", server.settings.host),
    ]
    one = anon.get("/api/v1/accounts", params={"count": 1, "sort": "-createdAt"}).json()
    assert one["total"] == 4 and len(one["data"]) == 1

    for path, params, field in (
        ("/api/v1/video-channels", {"sort": "views"}, "sort"),
        ("/api/v1/video-channels", {"start": "-1"}, "start"),
        ("/api/v1/accounts", {"count": "500"}, "count"),
        ("/api/v1/accounts", {"sort": "name"}, "sort"),
        ("/api/v1/accounts", {"start": "first"}, "start"),
    ):
        bad = anon.get(path, params=params)
        assert bad.status_code == 400, (path, params)
        problem = bad.json()
        assert problem["detail"] == f"Incorrect request parameters: {field}"
        assert problem["invalid-params"][field]["location"] == "query"


def test_follower_counts_are_real_and_cost_no_query_per_row(
    server, anon, alice_api, local_user, other_user
):
    """followersCount counts accepted follows (local subscriptions included), as the
    ActivityPub followers collection does; a page costs the same queries for 1 or 6."""
    alice = Account.get(Account.name == "alice")
    for i in range(5):
        channels.create_channel(alice, f"extra_{i}", f"Extra {i}", "", "")
    bob = server.client()
    bob.token("bob", PASSWORD)
    assert bob.post(
        "/api/v1/users/me/subscriptions", json={"uri": "alice_channel"}
    ).status_code == 204  # fmt: skip
    remote = remote_actor(ActorType.PERSON, "zed", "far.example")
    channel_actor = actors.channel_actor(Channel.get(Channel.name == "alice_channel"))
    Follow.create(follower=remote, target=channel_actor, state=FollowState.ACCEPTED)
    pending = remote_actor(ActorType.PERSON, "yan", "far.example")
    Follow.create(follower=pending, target=channel_actor, state=FollowState.PENDING)
    follows.follow_local(
        actors.account_actor(Account.get(Account.name == "bob")), actors.account_actor(alice)
    )

    channel = anon.get("/api/v1/video-channels/alice_channel").json()
    assert channel["followersCount"] == 2  # bob (local) and zed (remote); yan is pending
    collection = anon.get("/video-channels/alice_channel/followers", headers=AP).json()
    assert collection["totalItems"] == channel["followersCount"]
    assert channel["ownerAccount"]["followersCount"] == 1
    assert anon.get("/api/v1/accounts/alice").json()["followersCount"] == 1
    bob_account = anon.get("/api/v1/accounts/bob").json()
    assert bob_account["followingCount"] == 2  # alice_channel and alice
    listed = anon.get("/api/v1/video-channels", params={"sort": "name"}).json()["data"]
    assert listed[0]["name"] == "alice_channel" and listed[0]["followersCount"] == 2
    mine = bob.get("/api/v1/users/me/subscriptions").json()["data"]
    assert mine[0]["followersCount"] == 2
    assert alice_api.get("/api/v1/users/me").json()["videoChannels"][0]["followersCount"] == 2
    accounts = anon.get("/api/v1/accounts", params={"sort": "createdAt"}).json()["data"]
    assert [a["followersCount"] for a in accounts] == [1, 0]

    queries: list[str] = []
    execute_sql = server.database.execute_sql

    def counting(sql, *args, **kwargs):
        queries.append(sql)
        return execute_sql(sql, *args, **kwargs)

    server.database.execute_sql = counting
    try:
        costs = []
        for count in (1, 6):
            queries.clear()
            body = anon.get("/api/v1/video-channels", params={"count": count}).json()
            assert len(body["data"]) == count
            costs.append(len(queries))
        assert costs[0] == costs[1], costs
    finally:
        server.database.execute_sql = execute_sql


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
    none = anon.get("/api/v1/videos/00000000-0000-4000-8000-000000000000/storyboards")
    assert none.status_code == 404
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
