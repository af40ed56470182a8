"""Production serving: two Shoal web processes behind nginx, as README.md's "Production"
section sets them up, with deploy/nginx/shoal.conf itself (tests/nginx.py).

Both processes share one database and SHOAL_DATA, and send media through nginx
(SHOAL_ACCEL_REDIRECT). Through nginx: uploads (resumable, whose chunks land
on both processes, and multipart), pages, the API, a segment by Range sent by
nginx from disk after Shoal's checks, a private video's files refused to
visitors and given to its owner uncached, and the tracker: two WebSocket peers
and two HTTP peers of one swarm meet, as they only do when one process holds
the swarm. Transcoding runs in the test's process, as a worker would.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_from_bytes

import httpx
import pytest
import tornado.websocket

from app.settings import Settings
from app.tracker import bdecode
from handlers.media import IMMUTABLE, NAMED_BY_VIDEO, PLAYLIST, PRIVATE
from tests.conftest import PASSWORD, Client
from tests.handlers.test_api_videos import upload
from tests.handlers.test_resumable import put, start
from tests.nginx import NGINX, Nginx, WebProcess, free_port
from workers.runner import Runner

pytestmark = pytest.mark.skipif(
    not os.path.exists(NGINX),
    reason=f"needs nginx at {NGINX} (Debian's package nginx, which ./dev test installs)",
)


@dataclass
class Site:
    """nginx on `url` in front of two web processes (`webs`; the first one is the tracker's)."""

    url: str
    nginx: Nginx
    webs: list[WebProcess]
    settings: Settings

    def run_jobs(self) -> int:
        return Runner(self.settings, worker_id="test-worker").run_once()


@pytest.fixture
def behind_nginx(database: str, tmp_path: Path) -> Iterator[Site]:
    """Two `python -m app serve` processes on one database and SHOAL_DATA, and nginx."""
    port, web_ports = free_port(), [free_port(), free_port()]
    env = {
        "DATABASE_URL": database,
        "SHOAL_DATA": str(tmp_path / "data"),
        "SHOAL_HOST": f"127.0.0.1:{port}",  # the public address: nginx's
        "SHOAL_SECRET": "test-secret-" + "x" * 32,
        "SHOAL_ROOT_PASSWORD": PASSWORD,
        "SHOAL_LADDER": "240,144",
        "SHOAL_ACCEL_REDIRECT": "/internal-media/",
    }
    webs = [WebProcess(env, p, tmp_path / f"web-{p}.log") for p in web_ports]
    nginx = None
    try:
        for web in webs:
            web.wait_ready()
        nginx = Nginx(tmp_path / "nginx", port, web_ports, tmp_path / "data")
        yield Site(nginx.url, nginx, webs, Settings.from_env(env))
    finally:
        if nginx is not None:
            nginx.stop()
        for web in webs:
            web.stop()


def segment_range(client: Client, playlist: dict) -> tuple[str, int, int, str]:
    """The first rendition's URL and its first media segment's byte range and SHA-256."""
    hashes = client.get(playlist["segmentsSha256Url"]).json()
    url = playlist["files"][0]["fileUrl"]
    ranges = hashes[url.rsplit("/", 1)[1]]
    first = min(ranges, key=lambda r: int(r.split("-")[0]))
    start, end = (int(x) for x in first.split("-"))
    return url, start, end, ranges[first]


def test_two_web_processes_behind_nginx_serve_pages_api_media_and_one_tracker(
    behind_nginx: Site, clip: Path
):
    site = behind_nginx
    root = Client(site.url)
    root.token("root", PASSWORD)
    anon = Client(site.url)

    # A resumable upload in three chunks (nginx spreads them over both processes) and a
    # multipart one, private.
    data = clip.read_bytes()
    upload_id = start(root, clip, privacy="1", name="Lighthouse at dusk")
    step = len(data) // 3 + 1
    for offset in range(0, len(data), step):
        answer = put(root, upload_id, data[offset : offset + step], offset, len(data))
    assert answer.status_code == 200, answer.text
    public_uuid = answer.json()["video"]["uuid"]
    for web in site.webs:
        assert "PUT /api/v1/videos/upload-resumable" in web.log.read_text()
    private_uuid = upload(root, clip, name="Secret harbour", privacy="3")["uuid"]
    assert site.run_jobs() >= 2

    # Pages and the API, answered by both processes.
    video = anon.get(f"/api/v1/videos/{public_uuid}").json()
    assert video["name"] == "Lighthouse at dusk" and video["state"]["label"] == "Published"
    watch = anon.get(f"/w/{video['shortUUID']}")
    assert watch.headers["Content-Type"].startswith("text/html")
    assert "<title>Lighthouse at dusk" in watch.text
    listed = anon.get("/api/v1/videos").json()
    assert [v["name"] for v in listed["data"]] == ["Lighthouse at dusk"]
    for _ in range(4):
        assert anon.get("/api/v1/config").json()["instance"]["name"] == "Shoal"
    for web in site.webs:
        assert "GET /api/v1/config" in web.log.read_text(), f"{web.url} answered nothing"

    # A segment by Range: Shoal checks, nginx sends the bytes from disk.
    (playlist,) = video["streamingPlaylists"]
    url, first, last, sha = segment_range(anon, playlist)
    path = site.settings.media_dir / "hls" / public_uuid / url.rsplit("/", 1)[1]
    size, mtime = path.stat().st_size, int(path.stat().st_mtime)
    ranged = anon.get(url, headers={"Range": f"bytes={first}-{last}"})
    assert ranged.status_code == 206
    assert ranged.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
    assert hashlib.sha256(ranged.content).hexdigest() == sha
    assert ranged.headers["Content-Type"] == "video/mp4"
    assert ranged.headers["Cache-Control"] == IMMUTABLE
    assert ranged.headers["Access-Control-Allow-Origin"] == "*"
    assert ranged.headers["ETag"] == f'"{mtime:x}-{size:x}"'  # nginx's; Shoal's differs
    assert "X-Accel-Redirect" not in ranged.headers
    head = anon.head(url)
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(size), b"")
    again = anon.get(url, headers={"If-None-Match": ranged.headers["ETag"]})
    assert again.status_code == 304
    # Asked directly, a web process names the file instead of sending it.
    direct = httpx.get(site.webs[1].url + url.split(site.url, 1)[1])
    assert direct.headers["X-Accel-Redirect"] == (
        f"/internal-media/media/hls/{public_uuid}/{path.name}"
    )
    assert direct.content == b""
    master = anon.get(playlist["playlistUrl"])
    assert master.text.startswith("#EXTM3U")
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert master.headers["Cache-Control"] == PLAYLIST
    thumbnail = anon.get(video["thumbnailPath"])
    assert thumbnail.headers["Content-Type"] == "image/jpeg"
    assert thumbnail.headers["Cache-Control"] == NAMED_BY_VIDEO
    assert thumbnail.content[:2] == b"\xff\xd8"
    # The internal location is nginx's alone.
    assert anon.get(f"/internal-media/media/hls/{public_uuid}/{path.name}").status_code == 404
    assert anon.get("/internal-media/secret").status_code == 404
    assert "/internal-media/" not in "".join(web.log.read_text() for web in site.webs)

    # A private video's files: refused to visitors, given to the owner, never stored.
    private = root.get(f"/api/v1/videos/{private_uuid}").json()
    (private_playlist,) = private["streamingPlaylists"]
    for media in (private_playlist["playlistUrl"], private_playlist["files"][0]["fileUrl"],
                  private["thumbnailPath"]):  # fmt: skip
        refused = anon.get(media)
        assert refused.status_code == 404, media
        assert refused.headers["Cache-Control"] == PRIVATE
        assert b"ftyp" not in refused.content and b"#EXTM3U" not in refused.content
        owner = root.get(media)
        assert owner.status_code == 200, media
        assert owner.headers["Cache-Control"] == PRIVATE
        assert "Access-Control-Allow-Origin" not in owner.headers

    # The tracker: all its announces reach the first process, whichever socket they use.
    magnet = playlist["files"][0]["magnetUri"]
    info_hash = bytes.fromhex(re.search(r"btih:([0-9a-f]{40})", magnet)[1]).decode("latin-1")
    spoofed = {"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"}
    first_peer = announce(anon, info_hash, "-HT0001-000000000001", 6881, spoofed)
    assert (first_peer[b"incomplete"], first_peer[b"peers"]) == (1, b"")
    second_peer = announce(anon, info_hash, "-HT0001-000000000002", 6882)
    assert second_peer[b"incomplete"] == 2
    # The first peer's address is the one nginx saw, not the one its client claimed.
    assert second_peer[b"peers"] == bytes([127, 0, 0, 1]) + struct.pack("!H", 6881)
    ws_url = site.url.replace("http://", "ws://") + "/tracker/socket"
    asyncio.run(websocket_peers_meet(ws_url, info_hash, already=2))
    tracker_log = site.webs[0].log.read_text()
    assert "GET /tracker/announce" in tracker_log and "GET /tracker/socket" in tracker_log
    assert "/tracker/" not in site.webs[1].log.read_text()


def announce(
    client: Client, info_hash: str, peer_id: str, port: int, headers: dict | None = None
) -> dict:
    query = (
        f"info_hash={quote_from_bytes(info_hash.encode('latin-1'))}&peer_id={peer_id}"
        f"&port={port}&uploaded=0&downloaded=0&left=1000&compact=1"
    )
    response = client.get(f"/tracker/announce?{query}", headers=headers)
    assert response.status_code == 200
    reply = bdecode(response.content)
    assert b"failure reason" not in reply, reply
    return reply


async def websocket_peers_meet(ws_url: str, info_hash: str, already: int) -> None:
    """Two WebTorrent peers through nginx, in a swarm of `already` peers: the second's
    offer reaches the first."""

    async def recv(conn) -> dict:
        return json.loads(await asyncio.wait_for(conn.read_message(), 5))

    def message(peer_id: str) -> str:
        offer = {"offer": {"type": "offer", "sdp": f"sdp of {peer_id}"}, "offer_id": "o" * 20}
        return json.dumps({"action": "announce", "info_hash": info_hash, "peer_id": peer_id,
                           "numwant": 1, "uploaded": 0, "downloaded": 0, "event": "started",
                           "offers": [offer]})  # fmt: skip

    a = await tornado.websocket.websocket_connect(ws_url)
    b = await tornado.websocket.websocket_connect(ws_url)
    await a.write_message(message("-WW0001-00000000000a"))
    assert (await recv(a))["incomplete"] == already + 1
    await b.write_message(message("-WW0001-00000000000b"))
    assert (await recv(b))["incomplete"] == already + 2
    relayed = await recv(a)
    assert (relayed["peer_id"], relayed["offer"]["sdp"]) == (
        "-WW0001-00000000000b",
        "sdp of -WW0001-00000000000b",
    )
    a.close()
    b.close()
