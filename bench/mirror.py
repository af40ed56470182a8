"""Mirrors: copying a long video, and how viewers spread the load over origin and mirror.

Two Shoal servers on loopback in this process (the test suite's LiveServer: each a real
Tornado application in a thread, with its own SQLite database, data folder and port):
the origin and the mirror, which follow each other. The origin publishes a generated
clip (``--seconds``, 600 by default, at ``--height`` 720, with noise so that it weighs
what a real video does), transcoded into ``--ladder`` (720 by default) before any clock
starts.

Part 1, the copy. The mirror's administrator asks for a copy (POST
/api/v1/server/redundancy/videos) and the ``mirror-video`` job runs in a child process,
alone, as a worker would run it: playlists read, every fMP4 streamed to disk, each
segment checked against segments-sha256.json, then announced. Printed: bytes copied,
wall time and MB/s; the child's peak resident memory (VmHWM) against its resident memory
just before the job (VmRSS, after imports and connecting); and the yardstick: the same
files streamed from the origin to disk by plain httpx in another child, without any
check (what loopback and disk allow). Goal: the copy close to the yardstick, and its
memory flat (the peak independent of the video's size).

Part 2, the load. ``--viewers`` headless Chromium viewers (4 by default), alternately on
the origin's and on the mirror's watch page, play the video for ``--watch`` seconds
(60 by default), one every ``--stagger`` seconds, with Shoal's own player (hls.js and
p2p-media-loader: peers trade segments too). Each server counts the fMP4 bytes it
sends (its request log); printed: the origin's share of the bytes the servers sent,
against the goal of at most 1/(mirrors + 1) + 5% (55% with one mirror), and what the
players got from peers.

    .venv/bin/python bench/mirror.py [--seconds 600] [--height 720] [--ladder 720]
        [--viewers 4] [--watch 60] [--stagger 2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import auth  # noqa: E402
from app.db import connect, make_database, migrate  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.tracker import Tracker  # noqa: E402
from app.tracker_swarms import KnownSwarms  # noqa: E402
from app.videos import hls_dir  # noqa: E402
from models import use  # noqa: E402
from models.accounts import Role  # noqa: E402
from models.redundancy import Mirror  # noqa: E402
from models.videos import Video  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.conftest import PASSWORD, LiveServer  # noqa: E402
from tests.handlers.test_api_videos import upload  # noqa: E402
from tests.integration.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.integration.test_federation import admin, follow_server, make_user, settle  # noqa: E402
from tests.integration.test_p2p import WEBRTC_ARGS  # noqa: E402

ORIGIN_SEGMENT = re.compile(r"/static/streaming-playlists/hls/[^/]+/[^/]+-fragmented\.mp4$")
MIRROR_SEGMENT = re.compile(r"/static/redundancy/hls/[^/]+/[^/]+-fragmented\.mp4$")
PLAY = (
    "async () => { const v = document.getElementById('player'); v.muted = true; await v.play(); }"
)
STARTED = "() => Boolean(window.shoal.player && window.shoal.player.hls)"
STATE = """() => ({time: document.getElementById('player').currentTime, p2p: window.shoal.p2p,
                error: !document.getElementById('player-error').hidden})"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CountingServer(LiveServer):
    """A LiveServer whose request log adds up the fMP4 bytes it sends."""

    def __init__(self, settings: Settings, database, segment: re.Pattern) -> None:
        self.segment = segment
        self.segment_bytes = 0
        tracker = Tracker(KnownSwarms(settings).known_infohash, flood_burst=None)
        super().__init__(
            settings, database, port=settings.port, tracker=tracker, log_function=self._log
        )

    def _log(self, handler) -> None:
        if handler.get_status() in (200, 206) and self.segment.search(handler.request.path):
            self.segment_bytes += int(handler._headers.get("Content-Length", 0))


def make_server(work: Path, name: str, ladder: str, segment: re.Pattern) -> CountingServer:
    port = free_port()
    env = {
        "DATABASE_URL": f"sqlite:///{work / name}.db",
        "SHOAL_DATA": str(work / name),
        "SHOAL_LADDER": ladder,
        "SHOAL_SECRET": "bench-secret-" + "x" * 32,
        "SHOAL_HOST": f"127.0.0.1:{port}",
        "SHOAL_PORT": str(port),
        "SHOAL_ALLOW_LOOPBACK": "1",
    }
    settings = Settings.from_env(env)
    database = make_database(settings.database_url)
    with use(database):
        migrate()
        auth.create_user(settings, "root", PASSWORD, role=Role.ADMIN)
    server = CountingServer(settings, database, segment)
    server.env = env
    return server


def status_kb(pid: int | str, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def copy_child(env: dict, mirror_id: int) -> None:
    """In the child: run the mirror-video job once; print what it took as JSON."""
    from app.federation import mirroring

    settings = Settings.from_env(env)
    connect(settings.database_url)
    Mirror.get_by_id(mirror_id)  # connected and warmed up, as a worker between jobs
    before = status_kb("self", "VmRSS")
    started = time.monotonic()
    mirroring.run_job(settings, {"mirror_id": mirror_id})
    took = time.monotonic() - started
    mirror = Mirror.get_by_id(mirror_id)
    peak = status_kb("self", "VmHWM")
    figures = {"took": took, "rss_before_kb": before, "peak_kb": peak, "size": mirror.size}
    print(json.dumps({**figures, "state": mirror.state, "error": mirror.error}))


def download_child(urls: list[str], dest: str) -> None:
    """In the child: stream the files to disk with plain httpx, no checks (the yardstick)."""
    started = time.monotonic()
    total = 0
    with httpx.Client(timeout=60) as client:
        for url in urls:
            with (
                client.stream("GET", url) as response,
                open(Path(dest) / url.rsplit("/", 1)[-1], "wb") as out,
            ):
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    total += len(chunk)
    print(json.dumps({"took": time.monotonic() - started, "bytes": total,
                      "peak_kb": status_kb("self", "VmHWM")}))  # fmt: skip


def child(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def part_copy(origin, mirror, ids: dict, remote_id: int, work: Path) -> bool:
    print("\nPart 1: the copy job, alone in a child process")
    root = admin(mirror)
    asked = root.post("/api/v1/server/redundancy/videos", json={"videoId": remote_id})
    assert asked.status_code == 204, asked.text
    with mirror.use():
        (row,) = Mirror.select()
    copy = child("--copy-job", json.dumps(mirror.env), str(row.id))
    if copy["state"] != "ready":
        print(f"  the copy FAILED: {copy['error']}")
        return False
    with origin.use():
        folder = hls_dir(origin.settings, Video.get(Video.uuid == ids["uuid"]))
    base = f"{origin.url}/static/streaming-playlists/hls/{ids['uuid']}"
    media = sorted(p.name for p in folder.glob("*-fragmented.mp4"))
    dest = work / "yardstick"
    dest.mkdir()
    plain = child("--download", json.dumps([f"{base}/{name}" for name in media]), str(dest))
    growth = copy["peak_kb"] - copy["rss_before_kb"]
    print(
        f"  copied and checked {mb(copy['size'])} in {copy['took']:.2f} s "
        f"({copy['size'] / copy['took'] / 1e6:.0f} MB/s)\n"
        f"  yardstick, plain download of the same files: {mb(plain['bytes'])} in "
        f"{plain['took']:.2f} s ({plain['bytes'] / plain['took'] / 1e6:.0f} MB/s): the copy takes "
        f"{copy['took'] / plain['took']:.2f}x\n"
        f"  memory of the job's process: {copy['rss_before_kb'] / 1024:.1f} MB before, peak "
        f"{copy['peak_kb'] / 1024:.1f} MB (+{growth / 1024:.1f} MB for a "
        f"{mb(copy['size'])} video)"
    )
    settle(mirror, origin)
    return True


def part_load(origin, mirror, ids: dict, args: argparse.Namespace) -> bool:
    from playwright.sync_api import sync_playwright

    print(f"\nPart 2: {args.viewers} viewers for {args.watch:g} s, alternately on each server")
    origin.segment_bytes = mirror.segment_bytes = 0
    states = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBRTC_ARGS)
        contexts, pages = [], []
        for i in range(args.viewers):
            server = origin if i % 2 == 0 else mirror
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{server.url}/w/{ids['shortUUID']}")
            deadline = time.monotonic() + 20
            while not page.evaluate(
                "() => Boolean(window.shoal.player && window.shoal.player.hls)"
            ):
                if time.monotonic() > deadline:
                    raise SystemExit("the player did not start")
                time.sleep(0.2)
            page.evaluate(PLAY)
            contexts.append(context)
            pages.append(page)
            time.sleep(args.stagger)
        time.sleep(args.watch)
        for page in pages:
            states.append(page.evaluate(STATE))
        for context in contexts:
            context.close()
        browser.close()
    sent = origin.segment_bytes + mirror.segment_bytes
    share = origin.segment_bytes / sent if sent else 1.0
    goal = 1 / 2 + 0.05
    peers = sum(s["p2p"]["downloadedFromPeers"] for s in states)
    for i, state in enumerate(states):
        where = "origin" if i % 2 == 0 else "mirror"
        print(f"  viewer {i + 1} on the {where}'s page: at {state['time']:.1f} s"
              f"{', SHOWS AN ERROR' if state['error'] else ''}; from peers "
              f"{mb(state['p2p']['downloadedFromPeers'])}")  # fmt: skip
    verdict = "meets the goal" if share <= goal else "MISSES the goal"
    print(
        f"  the servers sent {mb(sent)} of segments: origin {mb(origin.segment_bytes)}, mirror "
        f"{mb(mirror.segment_bytes)}; the origin's share {share:.1%}, goal <= 1/2 + 5% = "
        f"{goal:.0%}: {verdict}; peers carried {mb(peers)} more"
    )
    return share <= goal and not any(s["error"] for s in states)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="clip length")
    parser.add_argument("--height", type=int, default=720, help="clip height")
    parser.add_argument("--ladder", default="720", help="the origin's SHOAL_LADDER")
    parser.add_argument("--viewers", type=int, default=4)
    parser.add_argument("--watch", type=float, default=60.0, help="seconds the viewers play")
    parser.add_argument("--stagger", type=float, default=2.0, help="seconds between viewers")
    parser.add_argument("--copy-job", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--download", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copy_job:
        copy_child(json.loads(args.copy_job[0]), int(args.copy_job[1]))
        return
    if args.download:
        download_child(json.loads(args.download[0]), args.download[1])
        return
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"needs Chromium at {CHROMIUM}")
    work = Path(tempfile.mkdtemp(prefix="shoal-bench-mirror-"))
    try:
        origin = make_server(work, "origin", args.ladder, ORIGIN_SEGMENT)
        mirror = make_server(work, "mirror", args.ladder, MIRROR_SEGMENT)
        follow_server(mirror, origin)
        follow_server(origin, mirror)
        width = int(args.height * 16 / 9) // 2 * 2
        started = time.monotonic()
        clip = make_clip(str(work / "clip.mp4"), seconds=args.seconds, width=width,
                         height=args.height, noise=3)  # fmt: skip
        made = time.monotonic() - started
        print(f"clip: {args.seconds:g} s {width}x{args.height}, "
              f"{mb(Path(clip).stat().st_size)}, made in {made:.0f} s")  # fmt: skip
        started = time.monotonic()
        ids = upload(make_user(origin, "alice"), Path(clip), name="A long one")
        settle(origin, mirror)
        print(f"uploaded, transcoded ({args.ladder}) and federated in "
              f"{time.monotonic() - started:.0f} s")  # fmt: skip
        remote_id = mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["id"]
        ok = part_copy(origin, mirror, ids, remote_id, work)
        ok = part_load(origin, mirror, ids, args) and ok
        origin.stop()
        mirror.stop()
        print("\nall goals met" if ok else "\nsome goals missed")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
