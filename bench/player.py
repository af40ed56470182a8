"""The watch page on a slow network: bytes before play, and time to the first frame.

One Shoal web server (in a thread of this process, SQLite, a temporary
SHOAL_DATA) with one published video: a generated clip (``--seconds`` at
``--height``, 720p by default) transcoded into ``--ladder``. Headless
Chromium opens the watch page with the network throttled as DevTools' "Fast 3G"
profile (562.5 ms latency, 1.44 Mbit/s down, 675 kbit/s up; ``--profile none``
for no throttling), a fresh browser context each run (no cache), and measures:

- bytes before play: everything the page downloaded (HTML, CSS, scripts,
  images, playlists, media) until the player is ready and the network is idle,
  as Chromium counts them on the wire (DevTools' encodedDataLength);
- play to first frame: from `video.play()` to the first frame presented
  (requestVideoFrameCallback);
- page to first frame: from navigation to that frame, pressing play as soon as
  the player is ready (what a visitor who clicks at once sees).

Prints each run and the median. Not part of the test run.

    .venv/bin/python bench/player.py [--runs 3] [--seconds 20] [--height 720]
        [--ladder 720,480,360,240] [--profile fast3g|none]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import p2p  # noqa: E402
from app.db import connect, migrate  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.p2p import Server, publish_clip, wait_until  # noqa: E402
from models import db  # noqa: E402
from tests.integration.test_browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PROFILES = {
    # Chromium DevTools' "Fast 3G" preset, in CDP's units (bytes/s, ms).
    "fast3g": {"latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375},
    "none": None,
}
READY = "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls"
READY += " && window.shoal.player.hls.levels && window.shoal.player.hls.levels.length)"
FIRST_FRAME = """async () => {
  const v = document.getElementById('player');
  v.muted = true;
  const started = performance.now();
  const shown = new Promise((resolve) => {
    v.requestVideoFrameCallback(() => resolve(performance.now()));
  });
  v.play();
  const at = await shown;
  return {play_to_frame: at - started, page_to_frame: at};
}"""


def _page(browser, profile: dict | None):
    """A fresh context (no cache) on the throttled network, counting bytes on the wire."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if profile:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    received = {"bytes": 0, "requests": 0, "urls": {}, "sizes": {}}

    def sent(event: dict) -> None:
        received["urls"][event["requestId"]] = event["request"]["url"]

    def finished(event: dict) -> None:
        size = event.get("encodedDataLength", 0)
        received["bytes"] += size
        received["requests"] += 1
        url = received["urls"].get(event["requestId"], "?").split("?")[0].rsplit("/", 1)[-1]
        received["sizes"][url] = received["sizes"].get(url, 0) + size

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    return context, page, received


def measure(browser, url: str, profile: dict | None) -> dict:
    """Bytes a visitor who does not press play costs; then, in a fresh context, the time
    to the first frame for one who presses play as soon as the player is ready."""
    context, page, received = _page(browser, profile)
    page.goto(url, wait_until="load", timeout=120_000)
    wait_until(page, READY, 120)
    page.wait_for_load_state("networkidle", timeout=120_000)
    time.sleep(2.0)  # anything late (prefetches, P2P modules, the tracker)
    before = {**received, "sizes": dict(received["sizes"])}
    context.close()

    context, page, _ = _page(browser, profile)
    page.goto(url, wait_until="commit", timeout=120_000)
    wait_until(page, READY, 120)
    timings = page.evaluate(FIRST_FRAME)
    context.close()
    top = sorted(before["sizes"].items(), key=lambda item: -item[1])[:6]
    return {"bytes": before["bytes"], "requests": before["requests"], "top": top, **timings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--ladder", default="720,480,360,240")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="fast3g")
    parser.add_argument("--p2p", choices=("on", "off"), default="on", help="the server's P2P")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"needs Chromium at {CHROMIUM} (./dev test installs it)")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when run

    work = Path(tempfile.mkdtemp(prefix="shoal-bench-player-"))
    try:
        settings = Settings.from_env(
            {
                "DATABASE_URL": f"sqlite:///{work / 'shoal.db'}",
                "SHOAL_DATA": str(work / "data"),
                "SHOAL_LADDER": args.ladder,
                "SHOAL_SECRET": "bench-secret-" + "x" * 32,
            }
        )
        connect(settings.database_url)
        migrate()
        p2p.update(args.p2p == "on", [])
        server = Server(settings)
        path = publish_clip(server.settings, args.seconds, args.height, work)
        results = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for run in range(1, args.runs + 1):
                r = measure(browser, server.url + path, PROFILES[args.profile])
                results.append(r)
                print(
                    f"run {run}: {r['bytes'] / 1000:.0f} kB in {r['requests']} requests before"
                    f" play; pressing play once ready: play to first frame"
                    f" {r['play_to_frame'] / 1000:.2f} s, page to first frame"
                    f" {r['page_to_frame'] / 1000:.2f} s"
                )
            browser.close()
        server.stop()
        print(
            "largest before play (run 1):",
            ", ".join(f"{u} {n / 1000:.0f} kB" for u, n in results[0]["top"]),
        )
        median = {k: statistics.median(r[k] for r in results) for k in results[0] if k != "top"}
        print(
            f"median ({args.profile}, {args.height}p video, ladder {args.ladder}, P2P {args.p2p}): "
            f"{median['bytes'] / 1000:.0f} kB before play, play to first frame "
            f"{median['play_to_frame'] / 1000:.2f} s, page to first frame "
            f"{median['page_to_frame'] / 1000:.2f} s"
        )
    finally:
        if not db.is_closed():
            db.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
