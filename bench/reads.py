"""Reads side by side: requests/s per endpoint on Shoal and on a real PeerTube (issue 15).

Shoal runs as its web process (``python -m app serve``, one process) in a
temporary SHOAL_DATA, on SQLite by default or on a throwaway PostgreSQL database
(``--postgres URL``: bench/federation.py's shoal_bench_<pid>, dropped at the
end), with ``--workers`` transcoding workers (``python -m workers``, children,
SHOAL_LADDER=``--ladder``) while the data set is built; the workers are stopped
before the first measurement, so that the web process is alone.

The data set is built THROUGH THE API, the same way on both servers (Shoal
speaks PeerTube's REST API, so one client does both): root signs in with OAuth,
creates a user ``reads_<random>`` with its channel ``reads_<random>_channel``
(POST /api/v1/users), the user signs in and uploads ``--videos`` clips (POST
/api/v1/videos/upload, multipart) with a name (every name has the word
"lighthouse", the search term), a Markdown description and three tags. The
clips are a handful (at most 5) of tiny real H.264/AAC files made by
tests/clips.make_clip (1 to 3 s, ``--height``), uploaded in turn; every video is
a real upload, transcoded by the server's own worker and published. No row is
written directly and nothing is faked, whatever ``--videos`` is: 1,000 videos
took a minute of uploads and four more of transcoding with ``--workers 2`` on
two busy cores (about 0.3 s a clip at 240p per worker). The benchmark waits
until the channel lists every video (as an anonymous visitor sees it: published
and public).

With ``--peertube URL --peertube-password PW`` the same is done on that
PeerTube (a user and channel of the same name, the same clips in the same
order, PeerTube's own transcoding with its configuration as it is); the user
and its videos are deleted at the end (``--keep`` keeps them). PeerTube's
other content (from earlier tests) stays; the list totals of both servers are
printed so that a difference shows.

Each endpoint is first fetched once with the same headers and checked: status
200, the expected content type and something of the data set in the body (a
404 measured at 10,000 req/s would be a lie). Then ``wrk`` (Debian's package),
16 connections, one thread, ``--warmup`` seconds unmeasured and ``--seconds``
measured, against each server in turn, endpoint by endpoint (Shoal first on
even rows, PeerTube first on odd ones, so drift falls on both). Shoal's pages
are compared with the PeerTube API calls that give PeerTube's web client the
same content (PeerTube renders in the browser): home / with GET
/api/v1/videos?count=25&sort=-publishedAt, the channel page /c/{name} with GET
/api/v1/video-channels/{name} plus its videos (two requests, alternated by
wrk: counted as one page per pair), the watch page /w/{shortUUID} with GET
/api/v1/videos/{uuid}. The issue's goal is at least 3x PeerTube's rate on every
row.

    .venv/bin/python bench/reads.py [--videos 30] [--seconds 10] [--warmup 2]
        [--postgres postgresql://postgres@127.0.0.1:5432/]
        [--peertube http://127.0.0.1:9001 --peertube-password PW] [--keep]
        [--workers 1] [--ladder 240] [--height 240] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.federation import WebProcess, free_port, postgres_database  # noqa: E402
from tests.clips import make_clip  # noqa: E402
from tests.peertube_api import RestClient  # noqa: E402

GOAL = 3.0
WORD = "lighthouse"  # in every title: the search term and the body check of lists and pages
PLACES = ["harbour", "cliff", "island", "storm", "dawn", "fog", "reef", "pier", "cape", "bay"]
AP = "application/activity+json"
PASSWORD = secrets.token_urlsafe(12)  # the bench user's, on both servers


# --- a client of PeerTube's REST API, for both servers -------------------------------------


class Server(RestClient):
    """One server (Shoal or PeerTube) through its PeerTube REST API, signed in as root."""

    def __init__(self, label: str, url: str, root_password: str) -> None:
        self.label = label
        super().__init__(url, root_password, timeout=120)
        self.uuids: list[str] = []
        self.short_uuids: list[str] = []

    def upload(self, auth: dict, channel_id: int, i: int, clip: Path) -> None:
        name = f"{PLACES[i % len(PLACES)].capitalize()} {WORD} {i + 1}"
        description = (
            f"Clip {i + 1} of the reads benchmark: the **{WORD}** seen from the "
            f"{PLACES[(i + 3) % len(PLACES)]}, one of a series.\n\n"
            "Made with [PyAV](https://pyav.org) from FFmpeg's test pattern and a sine tone."
        )
        with clip.open("rb") as fh:
            response = self.http.post(
                "/api/v1/videos/upload",
                headers=auth,
                data={"name": name, "channelId": str(channel_id), "privacy": "1",
                      "tags[0]": WORD, "tags[1]": PLACES[i % len(PLACES)],
                      "tags[2]": f"part{i % 7}", "description": description},
                files={"videofile": (clip.name, fh, "video/mp4")},
            )  # fmt: skip
        if response.status_code != 200:
            raise SystemExit(f"{self.label}: upload {i + 1} refused: {response.text}")
        video = response.json()["video"]
        self.uuids.append(video["uuid"])
        self.short_uuids.append(video["shortUUID"])

    def listed(self, channel: str) -> int:
        """How many videos an anonymous visitor sees in ``channel`` (published, public)."""
        response = self.http.get(f"/api/v1/video-channels/{channel}/videos", params={"count": 1})
        return response.json()["total"] if response.status_code == 200 else -1

    def delete_user(self) -> None:
        if self.user_id is not None:
            self.http.delete(f"/api/v1/users/{self.user_id}", headers=self.root)


def build(server: Server, name: str, clips: list[Path], count: int, timeout: float) -> None:
    """User, channel and ``count`` uploads on ``server``; wait until all are listed."""
    started = time.monotonic()
    auth = server.create_user(name, PASSWORD)
    channel = f"{name}_channel"
    channel_id = server.http.get(f"/api/v1/video-channels/{channel}").json()["id"]
    for i in range(count):
        server.upload(auth, channel_id, i, clips[i % len(clips)])
    uploaded = time.monotonic()
    print(f"{server.label}: {count} uploads in {uploaded - started:.1f} s", flush=True)
    deadline, said = uploaded + timeout, uploaded
    while (listed := server.listed(channel)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{server.label}: {listed}/{count} videos published after {timeout} s")
        if time.monotonic() - said > 15:
            print(f"{server.label}: {listed}/{count} published", flush=True)
            said = time.monotonic()
        time.sleep(1)
    print(f"{server.label}: all {count} published {time.monotonic() - uploaded:.1f} s after the "
          "last upload", flush=True)  # fmt: skip


# --- what is measured ----------------------------------------------------------------------


@dataclass
class Endpoint:
    """One row: the paths on each server (several: alternated, one unit per round), the
    Accept header, the content type expected, and a check of the body."""

    label: str
    shoal: list[str]
    peertube: list[str]
    kind: str  # json | activity | xml | html
    check: Callable[[Any], bool] = lambda body: True
    accept: str = "*/*"
    note: str = ""
    results: dict[str, dict] = field(default_factory=dict)


def listing(body: Any) -> bool:
    return bool(body["data"]) and WORD in body["data"][0]["name"].lower()


def any_listing(body: Any) -> bool:
    return bool(body["data"])


def ap_type(*types: str) -> Callable[[Any], bool]:
    return lambda body: body.get("type") in types


def has_word(body: Any) -> bool:
    return WORD in body.lower()


def endpoints(shoal: Server, peertube: Server | None, name: str) -> list[Endpoint]:
    """The rows of the table, with each server's ids filled in."""
    middle = len(shoal.uuids) // 2
    uuid = shoal.uuids[middle]
    pt_uuid = peertube.uuids[middle] if peertube else ""
    channel = f"{name}_channel"
    same = lambda path: ([path], [path])  # noqa: E731
    rows = [
        Endpoint("GET /api/v1/videos?count=15&sort=-publishedAt",
                 *same("/api/v1/videos?count=15&sort=-publishedAt"), "json", listing),
        Endpoint("GET /api/v1/videos?count=50&sort=-views",
                 *same("/api/v1/videos?count=50&sort=-views"), "json", any_listing),
        Endpoint("GET /api/v1/videos/{uuid}", [f"/api/v1/videos/{uuid}"],
                 [f"/api/v1/videos/{pt_uuid}"], "json", lambda b: WORD in b["name"].lower()),
        Endpoint("GET /api/v1/video-channels/{name}/videos",
                 *same(f"/api/v1/video-channels/{channel}/videos"), "json", listing),
        Endpoint(f"GET /api/v1/search/videos?search={WORD}",
                 *same(f"/api/v1/search/videos?search={WORD}"), "json", listing),
        Endpoint("GET /videos/watch/{uuid} (AP Video)", [f"/videos/watch/{uuid}"],
                 [f"/videos/watch/{pt_uuid}"], "activity", ap_type("Video"), AP),
        Endpoint("GET /feeds/videos.xml", *same("/feeds/videos.xml"), "xml", has_word),
        Endpoint("GET /accounts/{name} (AP Person)", *same(f"/accounts/{name}"), "activity",
                 ap_type("Person"), AP),
        Endpoint("GET /video-channels/{name} (AP Group)", *same(f"/video-channels/{channel}"),
                 "activity", ap_type("Group"), AP),
        Endpoint("GET /accounts/peertube (AP server actor)", *same("/accounts/peertube"),
                 "activity", ap_type("Application"), AP),
        Endpoint("GET /accounts/{name}/outbox?page=1", *same(f"/accounts/{name}/outbox?page=1"),
                 "activity", ap_type("OrderedCollectionPage"), AP),
        Endpoint("GET /accounts/{name}/followers?page=1",
                 *same(f"/accounts/{name}/followers?page=1"), "activity",
                 ap_type("OrderedCollectionPage"), AP),
        Endpoint("page / (PT: /api/v1/videos?count=25&sort=-publishedAt)", ["/"],
                 ["/api/v1/videos?count=25&sort=-publishedAt"], "html", has_word,
                 note="page"),
        Endpoint("page /c/{name} (PT: channel + its videos, 2 req)", [f"/c/{channel}"],
                 [f"/api/v1/video-channels/{channel}",
                  f"/api/v1/video-channels/{channel}/videos?count=25&sort=-publishedAt"],
                 "html", has_word, note="page"),
        Endpoint("page /w/{shortUUID} (PT: /api/v1/videos/{uuid})",
                 [f"/w/{shoal.short_uuids[middle]}"], [f"/api/v1/videos/{pt_uuid}"], "html",
                 has_word, note="page"),
    ]  # fmt: skip
    return rows


def api_check(path: str) -> Callable[[Any], bool]:
    """The body check of PeerTube's side of a page row: a list, a video or a channel."""
    if path.split("?")[0].endswith("/videos"):
        return listing
    if path.startswith("/api/v1/videos/"):
        return lambda body: WORD in body["name"].lower()
    return lambda body: "displayName" in body


def verify(server: Server, row: Endpoint, paths: list[str]) -> str | None:
    """Why a path of ``row`` on ``server`` would not be worth measuring, or None."""
    for path in paths:
        response = server.http.get(path, headers={"Accept": row.accept})
        ctype = response.headers.get("content-type", "")
        kind, check = row.kind, row.check
        if kind == "html" and path.startswith("/api/"):  # PeerTube's side of a page row
            kind, check = "json", api_check(path)
        expected = {"json": "application/json", "activity": AP, "xml": "xml",
                    "html": "text/html"}[kind]  # fmt: skip
        if response.status_code != 200:
            return f"{path}: status {response.status_code} {response.text[:120]!r}"
        if expected not in ctype:
            return f"{path}: content type {ctype!r}, not {expected}"
        body: Any = response.json() if kind in ("json", "activity") else response.text
        if not check(body):
            return f"{path}: the body is not what was expected: {response.text[:160]!r}"
    return None


# --- wrk -----------------------------------------------------------------------------------

LUA = """
local paths = {%(paths)s}
local headers = {%(headers)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], headers)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "us": %%d, "bad_status": %%d, ' ..
    '"socket_errors": %%d, "p50": %%d, "p99": %%d}\\n', summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50),
    latency:percentile(99)))
end
"""


# Shoal keeps what it rendered for anonymous visitors until the data changes
# (app/read_cache.py); a request with a session cookie, even one that signs nobody in, is
# rendered anew: the "rendered" column, what every read costs right after a change.
RENDER = {"Cookie": "shoal_session=bench"}


def wrk(
    server: Server,
    row: Endpoint,
    paths: list[str],
    seconds: int,
    args,
    tmp: Path,
    extra: dict[str, str] | None = None,
) -> dict:
    """Run wrk on ``paths`` for ``seconds``; units (rounds of ``paths``) per second and latency."""
    script = tmp / "reads.lua"
    headers = {"Host": server.host, "Accept": row.accept, **(extra or {})}
    lua_headers = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    script.write_text(
        LUA
        % {
            "paths": ", ".join(json.dumps(p) for p in paths),
            "headers": lua_headers,
        }
    )
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{seconds:g}s", "--timeout", "10s",
               "-s", str(script), server.url]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result = json.loads(line[len("RESULT ") :])
    result["rate"] = result["requests"] / (result["us"] / 1e6) / len(paths)
    return result


def measure(servers: list[tuple[Server, str]], rows: list[Endpoint], args, tmp: Path) -> None:
    for n, row in enumerate(rows):
        order = servers if n % 2 == 0 else servers[::-1]
        for server, side in order:
            paths = getattr(row, side)
            problem = verify(server, row, paths)
            if problem:
                print(f"  {server.label}: NOT MEASURED, {problem}", flush=True)
                row.results[side] = {"problem": problem}
                continue
            wrk(server, row, paths, args.warmup, args, tmp)
            row.results[side] = wrk(server, row, paths, args.seconds, args, tmp)
            if side == "shoal":
                row.results["rendered"] = wrk(server, row, paths, args.seconds, args, tmp, RENDER)
        print(f"{row.label}: " + "; ".join(f"{server.label} {line(row.results[side])}"
                                           for server, side in servers)
              + f"; Shoal rendered {line(row.results.get('rendered', {'problem': ''}))}",
              flush=True)  # fmt: skip


def line(result: dict) -> str:
    if "problem" in result:
        return "not measured"
    bad = result["bad_status"] + result["socket_errors"]
    return (f"{result['rate']:.0f}/s p50 {result['p50'] / 1000:.1f} ms "
            f"p99 {result['p99'] / 1000:.1f} ms" + (f" ({bad} ERRORS)" if bad else ""))  # fmt: skip


def table(rows: list[Endpoint], with_peertube: bool) -> bool:
    """Print the table; True if every row meets the goal."""
    head = f"{'endpoint':<58} {'Shoal/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'rendered/s':>10}"
    if with_peertube:
        head += (f" {'PeerTube/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} "
                 f"{'rendered':>8}  goal >= {GOAL:g}x")  # fmt: skip
    print("\n" + head + "\n" + "-" * len(head))
    ok = True
    for row in rows:
        cells = [f"{row.label:<58}"]
        for side in ("shoal", "peertube") if with_peertube else ("shoal",):
            r = row.results.get(side, {"problem": "-"})
            if "problem" in r:
                cells.append(f"{'n/a':>8} {'':>7} {'':>7}")
            else:
                errors = r["bad_status"] + r["socket_errors"]
                cells.append(f"{r['rate']:>{8 if side == 'shoal' else 10}.0f} "
                             f"{r['p50'] / 1000:>7.1f} {r['p99'] / 1000:>7.1f}"
                             + (f" {errors} errors!" if errors else ""))  # fmt: skip
            if side == "shoal":
                rendered = row.results.get("rendered", {})
                cells.append(f"{rendered['rate']:>10.0f}" if "rate" in rendered else f"{'':>10}")
        if with_peertube:
            s, p = row.results.get("shoal", {}), row.results.get("peertube", {})
            rendered = row.results.get("rendered", {})
            if "rate" in s and "rate" in p:
                ratio = s["rate"] / p["rate"]
                met = ratio >= GOAL
                slow = rendered["rate"] / p["rate"] if "rate" in rendered else 0.0
                cells.append(f"{ratio:>6.2f} {slow:>8.2f}  {'yes' if met else 'NO'}")
            else:
                met = False
                cells.append(f"{'n/a':>6} {'':>8}  NO")
            ok = ok and met
        print(" ".join(cells))
    print("Pages: a Shoal page (server-rendered HTML) against the PeerTube API call(s) its web "
          "client makes for the same content; a pair of calls counts as one page.")  # fmt: skip
    print("Shoal/s: anonymous reads as visitors and other servers make them (answered from what "
          "Shoal kept while nothing changed); rendered/s: the same with a session cookie that "
          "signs nobody in, so that every request is rendered anew (the cost right after a "
          "change); 'rendered' is its ratio to PeerTube.")  # fmt: skip
    return ok


# --- the run -------------------------------------------------------------------------------


class Workers:
    """``count`` Shoal workers (``python -m workers``), children, logging to a file."""

    def __init__(self, env: dict[str, str], count: int, tmp: Path) -> None:
        self.log = (tmp / "workers.log").open("wb")
        self.processes = [
            subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT,
                             env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT)
            for _ in range(count)
        ]  # fmt: skip

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def make_clips(count: int, height: int, folder: Path) -> list[Path]:
    width = int(height * 4 / 3) // 2 * 2
    return [
        Path(make_clip(str(folder / f"clip{i}.mp4"), seconds=1.0 + i % 3, width=width,
                       height=height))
        for i in range(min(count, 5))
    ]  # fmt: skip


def analyze(database_url: str) -> None:
    """ANALYZE the freshly loaded database, as PostgreSQL's autovacuum does by itself within
    a minute or so of such a load: without statistics the planner takes every table for
    nearly empty and sorts whole lists instead of reading them in index order."""
    import psycopg2

    conn = psycopg2.connect(database_url, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ANALYZE")
    conn.close()


def drop_database(server_url: str, database_url: str) -> None:
    """Drop the throwaway database made by bench/federation.py's postgres_database()."""
    import psycopg2

    admin = urlunsplit(urlsplit(server_url)._replace(path="/postgres"))
    name = urlsplit(database_url).path.lstrip("/")
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def main() -> None:
    """Run the benchmark from the command line and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=30, help="videos on each server (30)")
    parser.add_argument("--seconds", type=int, default=10, help="measured seconds per run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured seconds before (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server for Shoal")
    parser.add_argument("--peertube", metavar="URL", help="a PeerTube to compare with")
    parser.add_argument("--peertube-password", metavar="PW", help="its root password")
    parser.add_argument("--keep", action="store_true", help="keep the user made on PeerTube")
    parser.add_argument("--workers", type=int, default=1, help="Shoal transcoding workers (1)")
    parser.add_argument("--ladder", default="240", help="Shoal's SHOAL_LADDER (240)")
    parser.add_argument("--height", type=int, default=240, help="clip height (240)")
    args = parser.parse_args()
    if args.peertube and not args.peertube_password:
        parser.error("--peertube needs --peertube-password")
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk (Debian package wrk; ./dev bench reads installs it)")

    tmp = Path(tempfile.mkdtemp(prefix="shoal-reads-bench-"))
    drop: Callable[[], None] | None = None
    if args.postgres:
        database_url, _ = postgres_database(args.postgres)  # its drop() needs models.db set
        drop = lambda: drop_database(args.postgres, database_url)  # noqa: E731
    else:
        database_url = f"sqlite:///{tmp / 'data' / 'shoal.db'}"
    root_password = secrets.token_urlsafe(16)
    env = {
        "SHOAL_DATA": str(tmp / "data"),
        "SHOAL_PORT": str(free_port()),
        "DATABASE_URL": database_url,
        "SHOAL_SECRET": secrets.token_urlsafe(32),
        "SHOAL_ROOT_PASSWORD": root_password,
        "SHOAL_LADDER": args.ladder,
    }
    name = f"reads_{secrets.token_hex(3)}"
    web = workers = peertube = None
    ok = False
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}; "
              f"Shoal on {'PostgreSQL' if args.postgres else 'SQLite (WAL)'}, one web process, "
              f"SHOAL_LADDER={args.ladder}; {args.videos} videos; wrk {args.connections} "
              f"connections, {args.warmup:g} s warm-up + {args.seconds:g} s per endpoint and "
              "server", flush=True)  # fmt: skip
        clips = make_clips(args.videos, args.height, tmp)
        web = WebProcess(env, f"http://127.0.0.1:{env['SHOAL_PORT']}", tmp, None)
        web.wait_ready()
        workers = Workers(env, args.workers, tmp)
        shoal = Server("Shoal", web.url, root_password)
        servers = [(shoal, "shoal")]
        if args.peertube:
            peertube = Server("PeerTube", args.peertube, args.peertube_password)
            servers.append((peertube, "peertube"))
        timeout = 120 + 5 * args.videos
        for server, _ in servers:
            build(server, name, clips, args.videos, timeout)
        workers.stop()
        workers = None
        if args.postgres:
            analyze(database_url)
        rows = endpoints(shoal, peertube, name)
        print(f"\nuser {name}, channel {name}_channel; list totals (all public videos, search "
              f"'{WORD}'): " + "; ".join(
                  f"{s.label} {s.http.get('/api/v1/videos').json()['total']}, "
                  f"{s.http.get('/api/v1/search/videos', params={'search': WORD}).json()['total']}"
                  for s, _ in servers) + "\n", flush=True)  # fmt: skip
        measure(servers, rows, args, tmp)
        ok = table(rows, peertube is not None)
        if peertube is not None:
            print(f"every row at {GOAL:g}x PeerTube or more: {'yes' if ok else 'NO'}")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average at the end: {load}")
    finally:
        if workers is not None:
            workers.stop()
        if peertube is not None and not args.keep:
            peertube.delete_user()
        if web is not None:
            web.stop()
            web.report_errors()
        if drop is not None:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)
    if peertube is not None and not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
