"""View storms: a thousand views a second on one video, counted in batches.

Four processes on loopback, set up as in bench/federation.py (whose helpers this
module imports):

- Shoal's web process (``python -m app serve``) on SQLite, or on a throwaway
  PostgreSQL database (``--postgres URL``), with SHOAL_VIEW_FLUSH_SECONDS (5)
  and SHOAL_COUNTS_WINDOW (``--window``, 10 s here, 30 s by default): the web
  process flushes the views and queues the ``federate-counts`` job, so both are
  its settings;
- the inbox farm (bench/inbox_farm.py), one fake server per follower, each
  verifying every signature; its inboxes here also note the ``views`` of every
  Update{Video} and when it came (``farm_main``);
- the storm client, a child process: ``--rate`` POST /api/v1/videos/{id}/views
  a second for ``--seconds`` (open loop: the i-th leaves at i/rate whatever the
  answers), from ``--viewers`` client addresses 127.0.0.2, 127.0.0.3, ... (Linux
  routes all of 127/8 to lo), each with up to 8 keep-alive connections. Viewers
  join one after another over the first ``--ramp`` seconds (half the storm by
  default; 0: all at once), so the count grows for a while and the counts
  window is put to work; afterwards requests go round the viewers;
- this process: prepares the rows (a local user, channel, a published video
  with fake HLS names, ``--followers`` remote followers of the account),
  runs Shoal's worker lanes in threads as ``python -m workers`` does, and
  samples GET /api/v1/videos and the watch page four times a second, first
  for ``--seconds`` of quiet, then during the storm.

Figures: the view POSTs' rate and latency (from the moment each was due),
UPDATEs of the video table per second (pg_stat_user_tables on PostgreSQL, a
trigger counting row updates on SQLite), the Update{Video}s each follower got
and when one carried the final count, the other activities the farm received,
the sampled pages' p95 quiet and during the storm, and the final views count.

Goals (from the issue): a few writes per flush, not one per view; every follower
has the final count within 60 s after the storm, with at most one Update{Video}
per video per window; the pages' p95 during the storm within 2x of quiet; the
final count equals the number of distinct viewers.

    .venv/bin/python bench/views.py [--postgres postgresql://postgres@127.0.0.1:5432/]
        [--rate 1000] [--viewers 100] [--seconds 60] [--followers 20] [--window 10]
        [--ramp SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import auth  # noqa: E402
from app.db import connect, dialect, migrate  # noqa: E402
from app.federation import actors  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.social.views import FLUSH_SECONDS  # noqa: E402
from app.videos import short_uuid  # noqa: E402
from bench import inbox_farm  # noqa: E402
from bench.federation import (  # noqa: E402
    FAILURES,
    FarmProcess,
    WebProcess,
    add_followers,
    free_port,
    make_video,
    postgres_database,
)
from models import db  # noqa: E402
from models.accounts import Account, Channel  # noqa: E402
from models.videos import Video  # noqa: E402
from workers.runner import Runner  # noqa: E402

AFTER_GOAL = 60.0  # seconds after the storm by which every follower has the final count
SLOTS = 8  # keep-alive connections per viewer at most
SAMPLES_PER_SECOND = 4


def pct(values: list[float], p: float) -> float:
    """The p-quantile (0..1) of ``values``, nearest rank; NaN when empty."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


# --- the farm, noting each Update{Video} ---------------------------------------------------


class CountsFarm(inbox_farm.Farm):
    """The farm's state, plus (port, arrival, views) of every Update{Video} received."""

    def reset(self) -> None:
        super().reset()
        self.updates: list[tuple[int, float, int | None]] = []

    def stats(self) -> dict:
        return {**super().stats(), "updates": self.updates}


class CountsInbox(inbox_farm.InboxHandler):
    """The farm's verifying inbox; a verified Update{Video} is noted with its views."""

    async def post(self, name: str | None = None) -> None:
        port = self.port  # the socket is gone once answered
        await super().post(name)
        doc = json.loads(self.request.body)
        obj = doc.get("object")
        video = isinstance(obj, dict) and obj.get("type") == "Video"
        if self.get_status() == 202 and doc.get("type") == "Update" and video:
            self.farm.updates.append((port, time.time(), obj.get("views")))


def farm_main(conn: Connection, servers: int, senders: int) -> None:
    """Process entry: inbox_farm.run with the classes above in place of its own."""
    inbox_farm.Farm = CountsFarm  # type: ignore[misc]
    inbox_farm.InboxHandler = CountsInbox  # type: ignore[misc]
    inbox_farm.run(conn, servers, senders)


def start_farm(servers: int) -> FarmProcess:
    """bench/federation.py's FarmProcess, started on ``farm_main``."""
    original = inbox_farm.run
    inbox_farm.run = farm_main  # FarmProcess spawns whatever inbox_farm.run is
    try:
        return FarmProcess(servers, 1)
    finally:
        inbox_farm.run = original


# --- the storm client (a child process) ----------------------------------------------------


class Viewer:
    """One client address and its keep-alive connections to Shoal."""

    def __init__(self, address: str, port: int) -> None:
        self.address, self.port = address, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(SLOTS)

    async def post(self, request: bytes, due: float, out: dict) -> None:
        """Send one view POST on an idle connection (or a new one); note how it went."""
        async with self.slots:
            if self.idle:
                reader, writer = self.idle.pop()
            else:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=(self.address, 0)
                )
            try:
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                if length:
                    await reader.readexactly(int(length.group(1)))
            except (OSError, asyncio.IncompleteReadError) as err:
                writer.close()
                out["codes"][type(err).__name__] += 1
                return
            self.idle.append((reader, writer))
        out["codes"][head.split(b" ", 2)[1].decode()] += 1
        out["latencies"].append(time.perf_counter() - due)
        out["t_last"] = time.time()


async def storm(conn: Connection, port: int, path: str, args: argparse.Namespace) -> dict:
    """POST ``args.rate`` views a second for ``args.seconds``, open loop; the figures."""
    request = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    viewers = [Viewer(f"127.0.0.{2 + v}", port) for v in range(args.viewers)]
    out: dict = {"codes": Counter(), "latencies": [], "t_last": None}
    total = int(args.rate * args.seconds)
    tasks = set()
    t0 = time.perf_counter()
    out["t_start"] = time.time()
    conn.send({"t_start": out["t_start"]})
    for i in range(total):
        due = t0 + i / args.rate
        if due > time.perf_counter():
            await asyncio.sleep(due - time.perf_counter())
        joined = args.viewers
        if i / args.rate < args.ramp:  # viewer k joins at k * ramp / viewers
            joined = min(args.viewers, 1 + int(args.viewers * i / args.rate / args.ramp))
        task = asyncio.ensure_future(viewers[i % joined].post(request.encode(), due, out))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    out["lag"] = time.perf_counter() - (t0 + (total - 1) / args.rate)  # the last one's
    out["t_sent"] = time.time()
    await asyncio.gather(*tasks)
    lat = out.pop("latencies")
    return {**out, "sent": total, "p50": pct(lat, 0.5), "p95": pct(lat, 0.95)}


def storm_main(conn: Connection, port: int, path: str, args: argparse.Namespace) -> None:
    """Process entry: run the storm, send its figures back on ``conn``."""
    conn.send(asyncio.run(storm(conn, port, path, args)))


# --- measuring from this process -----------------------------------------------------------


def sample(client: httpx.Client, paths: list[str], seconds: float) -> dict[str, list[float]]:
    """GET ``paths`` in turn, SAMPLES_PER_SECOND a second for ``seconds``; their latencies."""
    times: dict[str, list[float]] = {p: [] for p in paths}
    t0 = time.perf_counter()
    n = 0
    while (due := t0 + n / SAMPLES_PER_SECOND) < t0 + seconds:
        time.sleep(max(0.0, due - time.perf_counter()))
        path = paths[n % len(paths)]
        began = time.perf_counter()
        client.get(path).raise_for_status()
        times[path].append(time.perf_counter() - began)
        n += 1
    return times


def count_video_writes() -> None:
    """On SQLite, a trigger counting the video table's row updates (PostgreSQL has its stats)."""
    if dialect() == "postgres":
        return
    db.execute_sql("CREATE TABLE bench_video_writes (n INTEGER NOT NULL)")
    db.execute_sql("INSERT INTO bench_video_writes VALUES (0)")
    db.execute_sql(
        "CREATE TRIGGER bench_video_write AFTER UPDATE ON video "
        "BEGIN UPDATE bench_video_writes SET n = n + 1; END"
    )


def video_writes() -> int:
    """Row updates of the video table so far (PostgreSQL's counters lag by up to ~10 s)."""
    if dialect() != "postgres":
        return db.execute_sql("SELECT n FROM bench_video_writes").fetchone()[0]
    db.execute_sql("SELECT pg_stat_clear_snapshot()")
    query = "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'video'"
    return db.execute_sql(query).fetchone()[0]


def final_count_reached(stats: dict, final: int, ports: list[int]) -> dict[int, float]:
    """Port -> first arrival of an Update{Video} carrying ``final`` views."""
    reached: dict[int, float] = {}
    for port, arrived, views in stats["updates"]:
        if views == final and port in ports:
            reached.setdefault(port, arrived)
    return reached


def report_updates(stats: dict, ports: list[int], window: float) -> bool:
    """Print the Update{Video}s each follower server got; True if none came within a window
    of the previous one (less 1 s for delivery jitter)."""
    by_port: dict[int, list[tuple[float, int | None]]] = {p: [] for p in ports}
    for port, arrived, views in stats["updates"]:
        by_port[port].append((arrived, views))
    counts = Counter(len(got) for got in by_port.values())
    gaps = [b[0] - a[0] for got in by_port.values() for a, b in zip(got, got[1:], strict=False)]
    views_seen = list(dict.fromkeys(views for _, _, views in stats["updates"]))  # as they came
    print("Update{Video} per follower server: "
          + ", ".join(f"{n} servers got {k}" for k, n in sorted(counts.items()))
          + f"; views carried, in order: {views_seen}; shortest gap between two at one server: "
          + (f"{min(gaps):.1f} s" if gaps else "none (one each)")
          + f" (window {window:g} s)")  # fmt: skip
    return all(g >= window - 1 for g in gaps)


def latency_line(label: str, quiet: list[float], busy: list[float]) -> bool:
    """Print one sampled page's p50/p95 quiet and in the storm; True if p95 stayed within 2x."""
    q95, b95 = pct(quiet, 0.95), pct(busy, 0.95)
    ok = b95 <= 2 * q95
    print(f"GOAL {label} p95 during storm within 2x of quiet: {'PASS' if ok else 'FAIL'} "
          f"(quiet p50 {pct(quiet, 0.5) * 1000:.1f} ms p95 {q95 * 1000:.1f} ms, n={len(quiet)}; "
          f"storm p50 {pct(busy, 0.5) * 1000:.1f} ms p95 {b95 * 1000:.1f} ms, "
          f"n={len(busy)}; {b95 / q95:.2f}x)")  # fmt: skip
    return ok


# --- the run -------------------------------------------------------------------------------


def run_storm(
    settings: Settings, web: WebProcess, farm: FarmProcess, video: Video, args: argparse.Namespace
) -> bool:
    """Quiet sampling, then the storm with the same sampling; wait for the followers; print."""
    paths = ["/api/v1/videos", f"/w/{short_uuid(video.uuid)}"]
    client = httpx.Client(base_url=web.url, timeout=30)
    sample(client, paths, 2)  # warm up: templates, connections
    print(f"\n-- quiet: sampling {', '.join(paths)} for {args.seconds:g} s --", flush=True)
    quiet = sample(client, paths, args.seconds)

    farm.post("/reset")
    writes_before = video_writes()
    ctx = multiprocessing.get_context("spawn")
    conn, child_conn = ctx.Pipe()
    port = int(web.url.rsplit(":", 1)[1])
    child = ctx.Process(
        target=storm_main, args=(child_conn, port, f"/api/v1/videos/{video.id}/views", args)
    )
    child.start()
    if not conn.poll(60):
        raise SystemExit("the storm client did not start")
    t_start = conn.recv()["t_start"]
    print(f"-- storm: {args.rate:g} views/s from {args.viewers} viewers for {args.seconds:g} s "
          f"(viewers join over {args.ramp:g} s), same sampling --", flush=True)  # fmt: skip
    busy = sample(client, paths, args.seconds)
    result = conn.recv()
    child.join(10)
    t_end = result["t_last"] or result["t_sent"]  # the storm is over when Shoal has answered

    time.sleep(FLUSH_SECONDS + 1)  # the last views reach the database
    final = Video.get_by_id(video.id).views
    ports = farm.ports
    deadline = t_end + AFTER_GOAL + 30  # a little past the goal, to tell how late
    while time.time() < deadline:
        reached = final_count_reached(farm.get("/stats"), final, ports)
        if len(reached) == len(ports):
            break
        time.sleep(1)
    time.sleep(args.window + 3)  # an Update after the final one would show now
    writes = video_writes() - writes_before
    stats = farm.get("/stats")
    reached = final_count_reached(stats, final, ports)

    answered = sum(n for code, n in result["codes"].items() if code.startswith("2"))
    seconds = t_end - t_start
    print(f"view POSTs: {result['sent']} sent in {result['t_sent'] - t_start:.1f} s "
          f"(asked {args.rate:g}/s; the last left {result['lag'] * 1000:.0f} ms late), answers "
          f"{dict(result['codes'])}; {answered / seconds:.0f}/s answered 2xx, the last "
          f"{seconds:.1f} s after the first was sent; latency from when due: "
          f"p50 {result['p50'] * 1000:.1f} ms, p95 {result['p95'] * 1000:.1f} ms")  # fmt: skip
    flushes = seconds / FLUSH_SECONDS + 2  # at most one UPDATE of this video per flush
    print(f"GOAL at most a write per flush, not one per view: "
          f"{'PASS' if writes <= flushes else 'FAIL'} ({writes} row updates of table video "
          f"= {writes / seconds:.2f}/s for {answered} views, over {seconds:.0f} s with a flush "
          f"every {FLUSH_SECONDS:g} s that had new views)")  # fmt: skip
    print(f"final views count: {final} (distinct viewers {args.viewers}): "
          + ("PASS" if final == args.viewers else "FAIL"))  # fmt: skip
    print(f"farm received: {stats['received']}; signatures verified {stats['verified']}, "
          f"failed {sum(stats['failures'].values())} {stats['failures'] or ''}")  # fmt: skip
    windows_ok = report_updates(stats, ports, args.window)
    last = max(reached.values()) if len(reached) == len(ports) else None
    in_time = last is not None and last - t_end <= AFTER_GOAL
    print(f"GOAL every follower has an Update{{Video}} with views={final} within "
          f"{AFTER_GOAL:g} s after the storm, at most one per {args.window:g} s window: "
          f"{'PASS' if in_time and windows_ok else 'FAIL'} ("
          + (f"last server at {last - t_start:.1f} s after the storm's start = "
             f"{last - t_end:+.1f} s after the last view was answered" if last is not None else
             f"{len(reached)}/{len(ports)} servers got it")
          + ")")  # fmt: skip
    ok = [latency_line(f"GET {p}", quiet[p], busy[p]) for p in paths]
    FAILURES.report("worker job failures")
    return all(ok) and in_time and windows_ok and final == args.viewers


def main() -> None:
    """Run the benchmark from the command line and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server to use")
    parser.add_argument("--rate", type=float, default=1000, help="view POSTs per second (1000)")
    parser.add_argument("--viewers", type=int, default=100, help="distinct client IPs (100)")
    parser.add_argument("--seconds", type=float, default=60, help="storm (and quiet) length (60)")
    parser.add_argument("--followers", type=int, default=20, help="remote followers (20)")
    parser.add_argument("--window", type=float, default=10, help="SHOAL_COUNTS_WINDOW (10)")
    parser.add_argument("--ramp", type=float, help="seconds over which viewers join (seconds/2)")
    args = parser.parse_args()
    args.ramp = args.seconds / 2 if args.ramp is None else args.ramp
    if not 0 < args.viewers <= 250:
        parser.error("--viewers: from 1 to 250 (client addresses 127.0.0.2 and up)")

    logging.getLogger().addHandler(FAILURES)
    logging.getLogger().setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="shoal-views-bench-"))
    drop: Callable[[], None] | None = None
    if args.postgres:
        database_url, drop = postgres_database(args.postgres)
    else:
        database_url = f"sqlite:///{tmp / 'data' / 'shoal.db'}"
    env = {
        "SHOAL_DATA": str(tmp / "data"),
        "SHOAL_PORT": str(free_port()),
        "DATABASE_URL": database_url,
        "SHOAL_ALLOW_LOOPBACK": "1",
        "SHOAL_SECRET": secrets.token_urlsafe(32),
        "SHOAL_ROOT_PASSWORD": secrets.token_urlsafe(16),
        "SHOAL_VIEW_FLUSH_SECONDS": f"{FLUSH_SECONDS:g}",
        "SHOAL_COUNTS_WINDOW": f"{args.window:g}",
    }
    settings = Settings.from_env(env)
    web = farm = None
    lanes = []
    runner = None
    ok = False
    try:
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}; "
              f"database {'PostgreSQL' if args.postgres else 'SQLite (WAL)'}; "
              f"SHOAL_VIEW_FLUSH_SECONDS={FLUSH_SECONDS:g}, "
              f"SHOAL_COUNTS_WINDOW={args.window:g}")  # fmt: skip
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        connect(settings.database_url)
        migrate()
        count_video_writes()
        user = auth.create_user(settings, "alice", secrets.token_urlsafe(16))
        account = Account.get(Account.user == user)
        channel = Channel.get(Channel.account == account)
        local = [actors.account_actor(account), actors.channel_actor(channel)]
        for actor in [*local, actors.server_actor()]:
            actors.ensure_keys(actor)  # as on a server that has been running
        video = make_video(channel)
        web = WebProcess(env, f"http://127.0.0.1:{env['SHOAL_PORT']}", tmp, None)
        web.wait_ready()
        farm = start_farm(args.followers)
        add_followers(local[0], farm.ports, args.followers)
        runner = Runner(settings, worker_id="bench-views-worker")
        lanes = runner.start_quick_lanes()
        print(f"web pid {web.process.pid}; farm: {args.followers} follower servers "
              f"(pid {farm.process.pid}); worker: {len(lanes)} lane(s) in this process "
              f"(pid {os.getpid()})", flush=True)  # fmt: skip
        ok = run_storm(settings, web, farm, video, args)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average at the end: {load}")
    finally:
        if runner is not None:
            runner.stopping.set()
            for lane in lanes:
                lane.join(30)
        if web is not None:
            web.stop()
            web.report_errors()
        if farm is not None:
            farm.stop()
        if not db.is_closed():
            db.close()
        if drop is not None:
            drop()
        shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
