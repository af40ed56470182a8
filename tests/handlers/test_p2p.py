"""Peer-to-peer streaming: what the pages give the player, and the three ways to turn it off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import time

import pytest

from app import p2p
from models.accounts import User
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload
from tests.handlers.test_feeds import make_video, remote_channel

IMPORT_MAP = re.compile(r'<script type="importmap">(.*?)</script>', re.S)


def video_attributes(page: str) -> dict[str, str]:
    """The data-* attributes of the page's <video id="player">, unescaped."""
    tag = re.search(r'<video id="player"(.*?)>', page, re.S)
    assert tag, "no player on the page"
    return {k: html.unescape(v) for k, v in re.findall(r'data-([a-z0-9-]+)="([^"]*)"', tag[1])}


def script_src(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"script-src ([^;]+)", policy)[1].split()


def connect_src(response) -> list[str]:
    policy = response.headers["Content-Security-Policy"]
    return re.search(r"connect-src ([^;]+)", policy)[1].split()


@pytest.fixture
def published(alice_api, clip, run_jobs) -> dict:
    """alice's published video: {id, uuid, shortUUID}."""
    ids = upload(alice_api, clip, name="Shared")
    run_jobs()
    return ids


@pytest.mark.parametrize("path", ["/w/{shortUUID}", "/videos/embed/{uuid}"])
def test_player_pages_carry_the_import_map_their_csp_allows_and_p2p_settings(
    anon, published, live_settings, path
):
    response = anon.get(path.format(**published))
    assert response.status_code == 200
    (text,) = IMPORT_MAP.findall(response.text)
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    assert script_src(response) == ["'self'", f"'sha256-{digest}'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    imports = json.loads(text)["imports"]
    assert set(imports) == {"p2p-media-loader-core", "p2p-media-loader-hlsjs"}
    for name, url in imports.items():
        assert url.startswith(f"/assets/vendor/p2p-media-loader/{name}.es.min.js?v=")
        assert anon.get(url).status_code == 200
    # The import map comes before the player's scripts.
    assert response.text.index(text) < response.text.index("/assets/js/player.js")

    data = video_attributes(response.text)
    assert data["p2p"] == "on"
    assert data["tracker"] == f"ws://{live_settings.host}/tracker/socket"
    assert f"ws://{live_settings.host}" in connect_src(response)
    assert data["ice-servers"] == "[]"  # no third-party STUN server by default
    hashes = anon.get(data["segments-sha256"])
    assert hashes.status_code == 200
    assert data["segments-sha256"] == data["master"].replace("master.m3u8", "segments-sha256.json")
    files = hashes.json()
    assert all(name.endswith("-fragmented.mp4") for name in files)
    assert all(re.fullmatch(r"\d+-\d+", key) for ranges in files.values() for key in ranges)


def test_a_remote_video_uses_its_origins_tracker_and_hashes(anon, local_user):
    origin = "https://peertube.example"
    video = make_video(remote_channel(), "Elsewhere", remote=origin, hls_sha256="")
    hashes = f"{origin}/static/streaming-playlists/hls/{video.uuid}/segments-sha256.json"
    video.hls_sha256 = hashes
    video.save()
    response = anon.get(f"/w/{video.uuid}")
    data = video_attributes(response.text)
    assert data["p2p"] == "on"
    assert data["tracker"] == "wss://peertube.example/tracker/socket"
    assert data["segments-sha256"] == hashes
    assert {origin, "wss://peertube.example"} <= set(connect_src(response))

    video.hls_sha256 = ""  # nothing to check peers' segments against: no P2P
    video.save()
    response = anon.get(f"/w/{video.uuid}")
    assert video_attributes(response.text)["p2p"] == "off"
    assert not IMPORT_MAP.search(response.text)


def test_a_user_turns_p2p_off_in_settings_and_the_player_is_told(alice, published, local_user):
    settings = alice.get("/settings")
    assert "<h2>Peer-to-peer</h2>" in settings.text
    assert re.search(r'name="p2p_enabled" checked', settings.text)

    saved = alice.form("/settings", {"form": "p2p"})  # the box unticked
    assert saved.status_code == 200 and "Saved." in saved.text
    assert not re.search(r'name="p2p_enabled" checked', saved.text)
    assert User.get_by_id(local_user.id).p2p_enabled is False

    watch = alice.get(f"/w/{published['shortUUID']}")
    data = video_attributes(watch.text)
    assert data["p2p"] == "off" and "tracker" not in data
    assert not IMPORT_MAP.search(watch.text)
    assert script_src(watch) == ["'self'"]
    assert "Peer-to-peer is off in your" in watch.text
    embed = alice.get(f"/videos/embed/{published['uuid']}")
    assert video_attributes(embed.text)["p2p"] == "off"

    alice.form("/settings", {"form": "p2p", "p2p_enabled": "on"})
    assert User.get_by_id(local_user.id).p2p_enabled is True
    assert video_attributes(alice.get(f"/w/{published['shortUUID']}").text)["p2p"] == "on"


def test_the_api_reads_and_sets_a_users_p2p_choice(alice_api, local_user):
    assert alice_api.get("/api/v1/users/me").json()["p2pEnabled"] is True
    assert alice_api.put("/api/v1/users/me", json={"p2pEnabled": False}).status_code == 204
    assert alice_api.get("/api/v1/users/me").json()["p2pEnabled"] is False
    assert User.get_by_id(local_user.id).p2p_enabled is False
    wrong = alice_api.put("/api/v1/users/me", json={"p2pEnabled": "sometimes"})
    assert wrong.status_code == 400
    assert "p2pEnabled" in wrong.json()["invalid-params"]
    assert alice_api.put("/api/v1/users/me", data={"p2pEnabled": "true"}).status_code == 204
    assert alice_api.get("/api/v1/users/me").json()["p2pEnabled"] is True


def test_an_admin_turns_p2p_off_for_the_server_and_chooses_stun_servers(
    server, admin_user, anon, published
):
    root = server.client()
    root.login("root", PASSWORD)
    page = root.get("/admin/p2p")
    assert page.status_code == 200 and 'name="enabled" checked' in page.text
    assert 'href="/admin/p2p"' in page.text  # linked among the admin pages

    servers = "stun:stun.example.org:3478\nstun:[2001:db8::1]\n"
    saved = root.form("/admin/p2p", {"enabled": "on", "ice_servers": servers})
    assert saved.status_code == 303 and saved.headers["Location"] == "/admin/p2p?saved=1"
    data = video_attributes(anon.get(f"/w/{published['shortUUID']}").text)
    assert json.loads(data["ice-servers"]) == [
        {"urls": "stun:stun.example.org:3478"},
        {"urls": "stun:[2001:db8::1]"},
    ]

    bad = root.form("/admin/p2p", {"enabled": "on", "ice_servers": "https://stun.example.org"})
    assert bad.status_code == 400 and "is not a STUN or TURN address" in bad.text
    assert len(p2p.get().ice_servers) == 2  # unchanged

    config = anon.get("/api/v1/config").json()
    assert config["defaults"]["p2p"] == {"webapp": {"enabled": True}, "embed": {"enabled": True}}
    assert config["tracker"] == {"enabled": True}
    assert root.form("/admin/p2p", {"ice_servers": servers}).status_code == 303  # box unticked
    config = anon.get("/api/v1/config").json()
    assert config["defaults"]["p2p"] == {"webapp": {"enabled": False}, "embed": {"enabled": False}}
    assert config["tracker"] == {"enabled": False}
    for path in (f"/w/{published['shortUUID']}", f"/videos/embed/{published['uuid']}"):
        response = anon.get(path)
        assert video_attributes(response.text)["p2p"] == "off"
        assert not IMPORT_MAP.search(response.text)


def ice_servers_of(client, published) -> list[dict]:
    return json.loads(
        video_attributes(client.get(f"/w/{published['shortUUID']}").text)["ice-servers"]
    )


def test_turn_servers_get_fixed_or_per_page_credentials(server, admin_user, anon, published):
    root = server.client()
    root.login("root", PASSWORD)
    servers = "stun:stun.example.org\nturn:turn.example.org:3478?transport=udp"
    form = {"enabled": "on", "ice_servers": servers}
    bare = root.form("/admin/p2p", form)
    assert bare.status_code == 400
    assert "A TURN server needs a username and password, or a secret shared with it." in bare.text
    assert p2p.get().ice_servers == ()  # nothing was stored
    half = root.form("/admin/p2p", {**form, "turn_username": "shoal"})
    assert half.status_code == 400 and "A TURN username needs its password." in half.text
    assert 'value="shoal"' in half.text  # what was typed is kept

    # A fixed username and password, given to every page, never shown back to the admin.
    fixed = {**form, "turn_username": "viewers", "turn_password": "s3cret-pass"}
    assert root.form("/admin/p2p", fixed).status_code == 303
    assert ice_servers_of(anon, published) == [
        {"urls": "stun:stun.example.org"},
        {
            "urls": "turn:turn.example.org:3478?transport=udp",
            "username": "viewers",
            "credential": "s3cret-pass",
        },
    ]
    page = root.get("/admin/p2p").text
    assert "s3cret-pass" not in page and "stored; leave empty to keep it" in page
    assert root.form("/admin/p2p", {**form, "turn_username": "viewers"}).status_code == 303
    assert p2p.get().turn_password == "s3cret-pass"  # an empty field kept it

    # A secret shared with coturn: each page gets its own credentials, valid for a day.
    # (The username field emptied: its password goes with it.)
    secret = "coturn-static-auth-secret"
    assert root.form("/admin/p2p", {**form, "turn_secret": secret}).status_code == 303
    assert (p2p.get().turn_username, p2p.get().turn_password) == ("", "")
    assert secret not in root.get("/admin/p2p").text
    before = time.time()
    turn = ice_servers_of(anon, published)[1]
    expires, name = turn["username"].split(":")
    assert name == "shoal"
    assert before + p2p.TURN_TTL - 1 <= int(expires) <= time.time() + p2p.TURN_TTL
    mac = hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(mac).decode()  # what coturn checks

    # Forgotten, with the TURN server gone too.
    gone = {"enabled": "on", "ice_servers": "stun:stun.example.org", "forget_turn": "on"}
    assert root.form("/admin/p2p", gone).status_code == 303
    stored = p2p.get()
    assert (stored.turn_username, stored.turn_password, stored.turn_secret) == ("", "", "")
    assert ice_servers_of(anon, published) == [{"urls": "stun:stun.example.org"}]


def test_only_admins_reach_the_p2p_settings(alice, anon):
    assert alice.get("/admin/p2p").status_code == 403
    assert alice.form("/admin/p2p", {"enabled": "on"}).status_code == 403
    assert anon.form("/admin/p2p", {"enabled": "on"}).status_code == 401
    assert p2p.get().enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("stun:a.example\n\nstun:a.example\r\n", ("stun:a.example",)),
        ("stuns:[2001:db8::1]:5349", ("stuns:[2001:db8::1]:5349",)),
        ("turns:t.example:443?transport=tcp", ("turns:t.example:443?transport=tcp",)),
    ],
)
def test_ice_server_lists_are_cleaned(text, expected):
    assert p2p.parse_ice_servers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "stun://a.example",
        "stun:a.example:99999",
        "stun:a.example?transport=udp",
        "javascript:alert(1)",
        "\n".join(f"stun:s{i}.example" for i in range(11)),
    ],
)
def test_wrong_ice_servers_are_refused(text):
    with pytest.raises(p2p.P2PError):
        p2p.parse_ice_servers(text)


def test_tracker_urls_follow_the_master_playlists_origin():
    assert p2p.tracker_url("http://127.0.0.1:8000/static/x/master.m3u8") == (
        "ws://127.0.0.1:8000/tracker/socket"
    )
    assert p2p.tracker_url("https://v.example/static/x/master.m3u8?a=1") == (
        "wss://v.example/tracker/socket"
    )
    assert p2p.tracker_url("ftp://v.example/master.m3u8") == ""


def test_the_tracker_refuses_every_swarm_when_p2p_is_off_for_the_server(
    alice_api, anon, clip, run_jobs
):
    from urllib.parse import quote_from_bytes

    from app import p2p
    from app.tracker import bdecode
    from tests.handlers.test_api_videos import upload

    ids = upload(alice_api, clip, name="No sharing here")
    run_jobs()
    f = anon.get(f"/api/v1/videos/{ids['uuid']}").json()["streamingPlaylists"][0]["files"][0]
    infohash = bytes.fromhex(f["magnetUri"].split("urn:btih:")[1][:40])
    p2p.update(False, "")
    query = (
        f"info_hash={quote_from_bytes(infohash)}&peer_id={quote_from_bytes(b'-QB0001-123456789012')}"
        "&port=6881&uploaded=0&downloaded=0&left=0&compact=1"
    )
    answer = bdecode(anon.get(f"/tracker/announce?{query}").content)
    assert b"failure reason" in answer
