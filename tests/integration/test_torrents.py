"""Each rendition's torrent completes from the WebSeed alone in a real BitTorrent client."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from app.tracker import bdecode, bencode
from tests.handlers.test_api_videos import upload

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"


def test_torrent_and_magnet_have_peertubes_shape(alice_api, anon, clip, run_jobs, live_settings):
    ids = upload(alice_api, clip, name="Cats: torrents")
    run_jobs()
    video = anon.get(f"/api/v1/videos/{ids['uuid']}").json()
    f = video["streamingPlaylists"][0]["files"][0]
    raw = anon.get(f["torrentUrl"])
    assert raw.status_code == 200 and raw.headers["Content-Type"] == "application/x-bittorrent"
    torrent = bdecode(raw.content)
    assert list(torrent) == [
        b"announce",
        b"announce-list",
        b"created by",
        b"creation date",
        b"encoding",
        b"info",
        b"url-list",
    ]
    if (FIXTURES / "torrent-hls-240p.decoded.json").exists():
        reference = json.loads((FIXTURES / "torrent-hls-240p.decoded.json").read_text())
        assert [k.encode() for k in reference["top_level_keys_in_order"]] == list(torrent)
        assert [k.encode() for k in reference["info_keys_in_order"]] == list(torrent[b"info"])
    info = torrent[b"info"]
    assert info[b"name"] == b"Cats- torrents 240p.mp4" and info[b"length"] == f["size"]
    assert torrent[b"url-list"] == [f["fileUrl"].encode()]
    assert torrent[b"announce"] == f"ws://{live_settings.host}/tracker/socket".encode()
    infohash = hashlib.sha1(bencode(info), usedforsecurity=False).hexdigest()
    assert f"xt=urn:btih:{infohash}" in f["magnetUri"]
    assert f["magnetUri"].startswith("magnet:?xs=http%3A%2F%2F")
    download = anon.get(f["torrentDownloadUrl"])
    assert "attachment" in download.headers["Content-Disposition"]
    # the Video object names the torrent and the magnet too
    ap = anon.get(f"/videos/watch/{ids['uuid']}", headers={"Accept": "application/activity+json"})
    hls = next(u for u in ap.json()["url"] if u["mediaType"] == "application/x-mpegURL")
    kinds = [t["mediaType"] for t in hls["tag"] if t["type"] == "Link"]
    assert "application/x-bittorrent" in kinds
    assert "application/x-bittorrent;x-scheme-handler/magnet" in kinds


CLIENT = """
import sys, time
import libtorrent as lt
torrent, save_path = sys.argv[1], sys.argv[2]
session = lt.session({"listen_interfaces": "127.0.0.1:0", "enable_dht": False,
                      "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
                      "ssrf_mitigation": False, "allow_multiple_connections_per_ip": True})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = save_path
handle = session.add_torrent(params)
deadline = time.monotonic() + 30
while not handle.status().is_seeding:
    if time.monotonic() > deadline:
        sys.exit(f"stuck at {handle.status().progress:.0%}")
    time.sleep(0.1)
print("complete", handle.status().total_wanted_done)
"""


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_bittorrent_client_completes_a_rendition_from_the_webseed(
    alice_api, anon, clip, run_jobs, live_settings, tmp_path
):
    """libtorrent, in its own process, with no peer at all: the WebSeed is the only source."""
    import subprocess
    import sys

    pytest.importorskip("libtorrent", reason="the libtorrent client is not installed")
    ids = upload(alice_api, clip, name="Seeded by HTTP")
    run_jobs()
    f = anon.get(f"/api/v1/videos/{ids['uuid']}").json()["streamingPlaylists"][0]["files"][0]
    torrent = tmp_path / "video.torrent"
    torrent.write_bytes(anon.get(f["torrentUrl"]).content)
    result = subprocess.run(
        [sys.executable, "-c", CLIENT, str(torrent), str(tmp_path / "client")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert result.stdout.startswith("complete")
    got = (tmp_path / "client" / "Seeded by HTTP 240p.mp4").read_bytes()
    original = anon.get(f["fileUrl"]).content
    assert hashlib.sha256(got).digest() == hashlib.sha256(original).digest()


def test_the_tracker_accepts_the_torrents_of_known_videos(alice_api, anon, clip, run_jobs):
    from urllib.parse import quote_from_bytes

    ids = upload(alice_api, clip, name="Tracked")
    run_jobs()
    f = anon.get(f"/api/v1/videos/{ids['uuid']}").json()["streamingPlaylists"][0]["files"][0]
    infohash = bytes.fromhex(f["magnetUri"].split("urn:btih:")[1][:40])
    query = (
        f"info_hash={quote_from_bytes(infohash)}&peer_id={quote_from_bytes(b'-QB0001-123456789012')}"
        "&port=6881&uploaded=0&downloaded=0&left=0&compact=1"
    )
    answer = bdecode(anon.get(f"/tracker/announce?{query}").content)
    assert b"failure reason" not in answer and b"interval" in answer
    unknown = query.replace(quote_from_bytes(infohash), quote_from_bytes(b"x" * 20))
    assert b"failure reason" in bdecode(anon.get(f"/tracker/announce?{unknown}").content)
