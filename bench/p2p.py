"""Peer-to-peer streaming: how much of a video's bytes the server still sends.

One Shoal web server (in a thread of this process, SQLite, in a temporary
SHOAL_DATA) with one published video: a generated clip (``--seconds``, 60 by
default, at ``--height``) transcoded once, before the clock starts, into the
``--ladder``. Then, for each N in ``--viewers`` (2,4,6), N headless Chromium
viewers (one browser context each: own cache, own storage, own peer id) open
the watch page and play the video from the start to the end, one every
``--stagger`` seconds, muted, at normal speed. The players are Shoal's own
(assets/js/player.js: hls.js + p2p-media-loader), announcing to the server's
tracker and trading segments over loopback WebRTC.

Per N it prints each viewer's `window.shoal.p2p` counters and the server's
share of the segment bytes the viewers got:

    share = sum(downloadedFromServer) / sum(downloadedFromServer + downloadedFromPeers)

next to the goal ``share <= 1.5 / N + 5%``, plus, as a cross-check, the bytes
of fMP4 the server actually wrote (counted by the server's request log) over
the bytes the players loaded. Every viewer must have played to the end without
a media error, or the round is reported as failed.

All viewers share 127.0.0.1, so the tracker is made without its per-address
flood limit (a real audience comes from many addresses); everything else is
Shoal as it runs. Not part of the test run.

    .venv/bin/python bench/p2p.py [--viewers 2,4,6] [--seconds 60] [--stagger 3]
        [--height 360] [--ladder 360,240]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import auth, videos  # noqa: E402
from app.db import connect, migrate  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.tracker import Tracker  # noqa: E402
from app.tracker_swarms import KnownSwarms  # noqa: E402
from app.web import make_app  # noqa: E402
from models import db  # noqa: E402
from models.videos import State  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.integration.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.integration.test_p2p import WEBRTC_ARGS  # noqa: E402
from workers.runner import Runner  # noqa: E402

SEGMENT_FILE = re.compile(r"/static/streaming-playlists/hls/[^/]+/[^/]+-fragmented\.mp4$")
PLAY = (
    "async () => { const v = document.getElementById('player'); v.muted = true; await v.play(); }"
)
# Rebuffering: "waiting" after playback began (media events do not bubble, but are captured).
STALLS = """window.shoalStalls = 0; let began = false;
document.addEventListener("playing", () => { began = true; }, true);
document.addEventListener("waiting", () => { if (began) window.shoalStalls += 1; }, true);
"""
STATE = """() => {
  const v = document.getElementById('player');
  return {time: v.currentTime, duration: v.duration, ended: v.ended, error: v.error && v.error.code,
          shown: !document.getElementById('player-error').hidden, p2p: window.shoal.p2p,
          stalls: window.shoalStalls};
}"""


class Server:
    """Shoal's web application on a loopback port, in a thread; counts fMP4 bytes it sends."""

    def __init__(self, settings: Settings) -> None:
        self.sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        port = self.sockets[0].getsockname()[1]
        self.settings = settings.with_(host=f"127.0.0.1:{port}", port=port)
        self.url = f"http://127.0.0.1:{port}"
        self.segment_bytes = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _log(self, handler: tornado.web.RequestHandler) -> None:
        """Tornado's log_function: add up the body bytes of fMP4 responses."""
        if handler.get_status() in (200, 206) and SEGMENT_FILE.search(handler.request.path):
            self.segment_bytes += int(handler._headers.get("Content-Length", 0))

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.loop = tornado.ioloop.IOLoop.current()
        known = KnownSwarms(self.settings).known_infohash
        app = make_app(
            self.settings, tracker=Tracker(known, flood_burst=None), log_function=self._log
        )
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(self.sockets)
        self._ready.set()
        self.loop.start()
        server.stop()

    def stop(self) -> None:
        self.loop.add_callback(self.loop.stop)
        self._thread.join(10)


def publish_clip(settings: Settings, seconds: float, height: int, work: Path) -> str:
    """Generate, upload and transcode the clip; return its watch path."""
    width = int(height * 16 / 9) // 2 * 2
    started = time.monotonic()
    clip = make_clip(str(work / "clip.mp4"), seconds=seconds, width=width, height=height, noise=3)
    print(f"clip: {seconds:g} s {width}x{height} generated in {time.monotonic() - started:.1f} s")
    user = auth.create_user(settings, "bench", "bench password", email="bench@example.org")
    channel = auth.channels_of(user)[0]
    video = videos.create_video(
        settings, user, channel, {"name": "P2P bench", "privacy": 1}, Path(clip), "clip.mp4"
    )
    started = time.monotonic()
    Runner(settings, worker_id="bench").run_once()
    video = videos.find_video(str(video.uuid))
    if video is None or video.state != State.PUBLISHED:
        raise SystemExit(f"transcoding failed: {video and video.state_error}")
    sizes = {f.resolution: f.size for f in video.files}
    print(
        f"transcoded in {time.monotonic() - started:.1f} s; renditions (bytes): "
        + ", ".join(f"{r}p {s}" for r, s in sorted(sizes.items(), reverse=True))
    )
    return f"/w/{videos.short_uuid(video.uuid)}"


def wait_until(page, predicate: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(predicate)
        time.sleep(0.2)


def run_round(browser, server: Server, path: str, n: int, stagger: float, seconds: float) -> dict:
    """N viewers play the video to the end; their counters and the server's fMP4 bytes."""
    server.segment_bytes = 0
    contexts, pages, starts = [], [], []
    began = time.monotonic()
    for i in range(n):
        if i:
            time.sleep(max(0.0, began + i * stagger - time.monotonic()))
        context = browser.new_context()
        context.add_init_script(STALLS)
        page = context.new_page()
        page.goto(server.url + path)
        wait_until(page, "() => Boolean(window.shoal.player && window.shoal.player.hls)", 20)
        page.evaluate(PLAY)
        contexts.append(context)
        pages.append(page)
        starts.append(time.monotonic() - began)
    deadline = time.monotonic() + seconds * 2 + 60
    states = [page.evaluate(STATE) for page in pages]
    while not all(s["ended"] or s["error"] or s["shown"] for s in states):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
        states = [page.evaluate(STATE) for page in pages]
    took = time.monotonic() - began
    for context in contexts:
        context.close()
    return {"states": states, "starts": starts, "took": took, "server_bytes": server.segment_bytes}


def size(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def report(n: int, result: dict) -> bool:
    states = result["states"]
    every = (result["starts"][-1] - result["starts"][0]) / max(1, n - 1)
    print(f"\nN = {n} viewers, one every {every:.1f} s")
    ok = True
    for i, (state, start) in enumerate(zip(states, result["starts"], strict=True)):
        p = state["p2p"]
        played = state["ended"] and not state["error"] and not state["shown"]
        ok = ok and played
        print(
            f"  viewer {i + 1} (started at {start:4.1f} s): "
            f"{'played to the end' if played else 'DID NOT FINISH'} "
            f"({state['time']:.1f}/{state['duration']:.1f} s, {state['stalls']} stalls); "
            f"from server {size(p['downloadedFromServer'])}, from peers "
            f"{size(p['downloadedFromPeers'])}, sent {size(p['uploadedToPeers'])}, "
            f"rejected {p['rejectedFromPeers']}, peers at the end {p['peers']}"
        )
    server = sum(s["p2p"]["downloadedFromServer"] for s in states)
    peers = sum(s["p2p"]["downloadedFromPeers"] for s in states)
    total = server + peers
    share = server / total if total else 1.0
    goal = 1.5 / n + 0.05
    verdict = "meets the goal" if share <= goal else "MISSES the goal"
    print(
        f"  server share of segment bytes: {share:.1%} ({size(server)} of {size(total)}); "
        f"goal <= 1.5/{n} + 5% = {goal:.1%}: {verdict}"
    )
    print(
        f"  cross-check: the server wrote {size(result['server_bytes'])} of fMP4 "
        f"({result['server_bytes'] / total:.1%} of the bytes the players loaded); "
        f"round took {result['took']:.0f} s"
    )
    return ok and share <= goal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", default="2,4,6", help="comma-separated viewer counts")
    parser.add_argument("--seconds", type=float, default=60.0, help="clip length")
    parser.add_argument("--stagger", type=float, default=3.0, help="seconds between viewers")
    parser.add_argument("--height", type=int, default=360, help="clip height")
    parser.add_argument("--ladder", default="360,240", help="SHOAL_LADDER")
    args = parser.parse_args()
    counts = [int(n) for n in args.viewers.split(",")]
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"needs Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="shoal-bench-p2p-"))
    try:
        env = {
            "DATABASE_URL": f"sqlite:///{work / 'shoal.db'}",
            "SHOAL_DATA": str(work / "data"),
            "SHOAL_LADDER": args.ladder,
            "SHOAL_SECRET": "bench-secret-" + "x" * 32,
        }
        connect(env["DATABASE_URL"])
        migrate()
        server = Server(Settings.from_env(env))
        path = publish_clip(server.settings, args.seconds, args.height, work)
        results = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBRTC_ARGS)
            for n in counts:
                result = run_round(browser, server, path, n, args.stagger, args.seconds)
                results.append(report(n, result))
            browser.close()
        server.stop()
        print("\nall rounds met the goal" if all(results) else "\nsome rounds missed the goal")
    finally:
        if not db.is_closed():
            db.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
