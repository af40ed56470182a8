"""Segments served per second: nginx sending them (X-Accel-Redirect) against Tornado alone.

A viewer's player fetches each HLS segment as a byte range of its rendition's
fragmented MP4 (`Range: bytes=a-b` on /static/streaming-playlists/hls/...).
This measures that request, on a real video: a noisy 720p clip
(tests/clips.make_clip, ``--seconds`` long, camera-like grain) uploaded through
the API and transcoded by Shoal's own pipeline (SHOAL_LADDER=720,240, SQLite),
so the segments are what Shoal makes: the largest 720p segment (about 1.3 MB,
4 s at its 2.5 Mb/s cap) and the largest 240p one (about 0.2 MB). Each answer
is checked once against segments-sha256.json before it is measured.

Three ways to serve it, one after the other, each with `wrk` (Debian's
package) at ``--connections`` connections, one thread, ``--warmup`` seconds
unmeasured then ``--seconds`` measured:

- tornado: one web process (python -m app serve) sending the bytes itself;
- nginx -> tornado: nginx (deploy/nginx/shoal.conf, one worker) in front of
  that process, which still sends the bytes (SHOAL_ACCEL_REDIRECT unset): the
  cost of the proxy alone;
- nginx + X-Accel: nginx in front of a web process with
  SHOAL_ACCEL_REDIRECT=/internal-media/: Shoal checks the video and names the
  file, nginx sends the range from disk (sendfile);
- (checks alone): that web process asked directly, answering with the
  X-Accel-Redirect header and no bytes: the ceiling of the row above with one
  web process (its MB/s is what nginx would send at that rate).

Every request passes Shoal's checks (the video is looked up and may be seen)
in all three; only who sends the bytes changes. Printed: requests/s, MB/s of
segment bytes, latency p50 and p99, and each row's ratio to tornado's.

    .venv/bin/python bench/segments.py [--seconds 10] [--warmup 2] [--connections 16]
        [--clip-seconds 12]

Not part of the test run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.clips import make_clip  # noqa: E402
from tests.nginx import NGINX, Nginx, WebProcess, free_port  # noqa: E402

PASSWORD = secrets.token_urlsafe(16)  # root's, for this run only

LUA = """
local path = %(path)s
local headers = {["Range"] = %(range)s}
request = function()
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "us": %%d, "bytes": %%d, ' ..
    '"bad_status": %%d, "socket_errors": %%d, "p50": %%d, "p99": %%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def publish(url: str, clip: Path, env: dict[str, str], tmp: Path) -> dict:
    """Upload `clip` as root, transcode it with one worker, and return the video's JSON."""
    client = httpx.Client(base_url=url, timeout=120)
    oauth = client.get("/api/v1/oauth-clients/local").json()
    token = client.post(
        "/api/v1/users/token",
        data={**oauth, "grant_type": "password", "username": "root", "password": PASSWORD},
    ).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    with clip.open("rb") as fh:
        answer = client.post(
            "/api/v1/videos/upload",
            data={"name": "Segments", "privacy": "1"},
            files={"videofile": (clip.name, fh, "video/mp4")},
        )
    answer.raise_for_status()
    uuid = answer.json()["video"]["uuid"]
    log = (tmp / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            video = client.get(f"/api/v1/videos/{uuid}").json()
            if video["state"]["id"] == 1:
                return video
            if video["state"]["id"] not in (2, 1):
                raise SystemExit(f"transcoding failed: {video['state']}")
            time.sleep(0.5)
        raise SystemExit("the video was not published in 15 minutes")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        log.close()


def largest_segments(url: str, video: dict) -> list[tuple[str, str, int, int, str]]:
    """(label, path, first byte, last byte, sha256) of the largest segment per rendition."""
    (playlist,) = video["streamingPlaylists"]
    hashes = httpx.get(playlist["segmentsSha256Url"]).json()
    out = []
    for f in playlist["files"]:
        name = f["fileUrl"].rsplit("/", 1)[1]
        ranges = hashes[name]
        biggest = max(ranges, key=lambda r: int(r.split("-")[1]) - int(r.split("-")[0]))
        first, last = (int(x) for x in biggest.split("-"))
        path = f["fileUrl"].split(url, 1)[1]
        out.append((f"{f['resolution']['id']}p", path, first, last, ranges[biggest]))
    return out


def check(base: str, path: str, first: int, last: int, sha: str) -> None:
    answer = httpx.get(base + path, headers={"Range": f"bytes={first}-{last}"})
    if answer.status_code != 206 or hashlib.sha256(answer.content).hexdigest() != sha:
        raise SystemExit(f"{base}{path}: {answer.status_code}, not the segment's bytes")


def wrk(base: str, path: str, first: int, last: int, seconds: float, connections: int,
        tmp: Path) -> dict:  # fmt: skip
    script = tmp / "segments.lua"
    ranged = json.dumps(f"bytes={first}-{last}")
    script.write_text(LUA % {"path": json.dumps(path), "range": ranged})
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s",
               "-s", str(script), base]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    seconds_measured = result["us"] / 1e6
    result["rate"] = result["requests"] / seconds_measured
    result["mbps"] = result["requests"] * (last - first + 1) / seconds_measured / 1e6
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds (10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--clip-seconds", type=float, default=12, help="the clip's length (12)")
    args = parser.parse_args()
    for tool, package in (("wrk", "wrk"), (NGINX, "nginx")):
        if shutil.which(tool) is None:
            raise SystemExit(f"needs {tool} (Debian's {package}; ./dev bench segments installs it)")

    with tempfile.TemporaryDirectory(prefix="shoal-segments-") as name:
        tmp = Path(name)
        data = tmp / "data"
        print("making a 720p clip with grain and transcoding it (720p, 240p)...", flush=True)
        clip = Path(make_clip(str(tmp / "clip.mp4"), seconds=args.clip_seconds, width=1280,
                              height=720, noise=40, crf=18))  # fmt: skip
        plain_port, accel_port, proxy_port, nginx_port = (free_port() for _ in range(4))
        env = {
            "SHOAL_DATA": str(data),
            "SHOAL_HOST": f"127.0.0.1:{plain_port}",
            "SHOAL_ROOT_PASSWORD": PASSWORD,
            "SHOAL_LADDER": "720,240",
            "SHOAL_SECRET": "bench-" + "x" * 40,
        }
        plain = WebProcess(env, plain_port, tmp / "plain.log")
        plain.wait_ready()
        accel = WebProcess({**env, "SHOAL_ACCEL_REDIRECT": "/internal-media/"}, accel_port,
                           tmp / "accel.log")  # fmt: skip
        servers: list = [plain, accel]
        try:
            accel.wait_ready()
            video = publish(plain.url, clip, env, tmp)
            segments = largest_segments(plain.url, video)
            proxy = Nginx(tmp / "nginx-proxy", proxy_port, [plain_port], data)
            servers.append(proxy)
            nginx = Nginx(tmp / "nginx-accel", nginx_port, [accel_port], data)
            servers.append(nginx)
            ways = [("tornado", plain.url), ("nginx -> tornado", proxy.url),
                    ("nginx + X-Accel", nginx.url), ("(checks alone)", accel.url)]  # fmt: skip
            print(f"Python {platform.python_version()}, {os.cpu_count()} cores, wrk "
                  f"{args.connections} connections, {args.seconds:g} s measured after "
                  f"{args.warmup:g} s; nginx 1 worker, 1 web process", flush=True)  # fmt: skip
            rows = []
            for label, path, first, last, sha in segments:
                size = last - first + 1
                results = {}
                for way, base in ways:
                    if base != accel.url:  # which answers without the bytes
                        check(base, path, first, last, sha)
                    wrk(base, path, first, last, args.warmup, args.connections, tmp)
                    results[way] = wrk(base, path, first, last, args.seconds, args.connections,
                                       tmp)  # fmt: skip
                    r = results[way]
                    if r["bad_status"] or r["socket_errors"]:
                        print(f"  {way}: {r['bad_status']} bad statuses, "
                              f"{r['socket_errors']} socket errors")  # fmt: skip
                rows.append((label, size, results))
        finally:
            for server in reversed(servers):
                server.stop()

    print()
    print(f"{'segment':<16} {'served by':<18} {'req/s':>8} {'MB/s':>8} {'p50 ms':>8} "
          f"{'p99 ms':>8} {'x tornado':>10}")  # fmt: skip
    for label, size, results in rows:
        base_rate = results["tornado"]["rate"]
        for way, r in results.items():
            print(f"{label + f' {size / 1e6:.2f} MB':<16} {way:<18} {r['rate']:>8.0f} "
                  f"{r['mbps']:>8.0f} {r['p50'] / 1000:>8.1f} {r['p99'] / 1000:>8.1f} "
                  f"{r['rate'] / base_rate:>9.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
