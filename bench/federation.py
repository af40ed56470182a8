"""Federation throughput: fan-out of a published video, and inbox intake under load.

Three processes on loopback:

- Shoal's web process (``python -m app serve``, SHOAL_ALLOW_LOOPBACK=1) in a
  temporary SHOAL_DATA, on SQLite by default or on a throwaway PostgreSQL
  database (``--postgres URL``: a database named shoal_bench_<pid> is created
  on that server and dropped at the end);
- an inbox farm (bench/inbox_farm.py): ``--servers`` fake remote servers, one
  loopback port each, in ONE separate process, each verifying every signature
  it receives (fetching Shoal's actor keys once per server) and serving the
  actor documents of the farm's sender actors;
- this process, which prepares the database and runs Shoal's worker
  (workers.runner.Runner) as a worker process would.

Part A, fan-out: one local user and channel, a published video (rows inserted
directly, fake HLS names, no transcoding), ``--followers`` remote Person actors
spread over the farm's servers following the account (rows bulk-inserted,
accepted). The local actors' RSA keys are made before the clock starts, as
on a server that has been running. Times ``publish.announce_video`` (building
the Create and Announce and their Delivery rows), then runs the worker until
every delivery is sent, and reports deliveries per second and the time from
publication until the last farm server had the Create. Goal: every server has
the video within 10 s.

Part B, inbox intake: ``--senders`` remote actors hosted by the farm (distinct
RSA-2048 keys, cached under the system temp dir after the first run) send
``--activities`` distinct signed Create{Video} activities to Shoal's shared
inbox, first at ``--rate`` per second (open loop; the senders are unknown to
Shoal, so their keys are fetched from the farm on first contact, and the
worker fetches their Person and Group documents), then as fast as
``--concurrency`` connections go (senders known by then). The activities are
signed before the clock starts. The worker's federation lanes (threads, as
`python -m workers` runs them: Runner.start_quick_lanes) apply them meanwhile;
accepted POSTs/s, applied/s and the backlog of inbox jobs (sampled
every second) are reported. Goal: no backlog growth at ``--rate``.

``--profile DIR`` runs the web process under cProfile and profiles the worker
too, and prints where the time went. Not part of the test run; Linux only.

    .venv/bin/python bench/federation.py [--followers 10000] [--servers 200]
        [--activities 2000] [--rate 100] [--senders 300] [--concurrency 16]
        [--postgres postgresql://postgres@127.0.0.1:5432/] [--part a|b|both]
        [--no-max-rate] [--profile DIR]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import multiprocessing
import os
import platform
import pstats
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import peewee

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import auth  # noqa: E402
from app.db import connect, migrate  # noqa: E402
from app.federation import actors, fetch, publish  # noqa: E402
from app.federation.inbox import INBOX_JOB  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench import inbox_farm  # noqa: E402
from models import db, utcnow  # noqa: E402
from models.accounts import Account, Channel  # noqa: E402
from models.federation import (  # noqa: E402
    Actor,
    Delivery,
    DeliveryState,
    Follow,
    FollowState,
    InboxActivity,
    OutActivity,
)
from models.jobs import Job, JobState  # noqa: E402
from models.videos import Privacy, State, Video, VideoFile  # noqa: E402
from workers.runner import QUICK_BATCH, QUICK_KINDS, Runner  # noqa: E402

GOAL_SECONDS = 10.0
LADDER = ((1080, 1920), (720, 1280), (480, 854), (360, 640), (240, 426))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def epoch(naive_utc: dt.datetime) -> float:
    """A naive-UTC DateTimeField value as a Unix time (to compare with time.time())."""
    return naive_utc.replace(tzinfo=dt.UTC).timestamp()


def _ours(filename: str) -> bool:
    """A frame of Shoal's own code (not the venv's libraries, not this benchmark)."""
    path = Path(filename).resolve()
    outside = (ROOT / ".venv", ROOT / "bench")
    return path.is_relative_to(ROOT) and not any(path.is_relative_to(p) for p in outside)


class JobFailures(logging.Handler):
    """Counts the worker's "job failed" warnings by kind and reason instead of printing them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "workers.runner" and len(record.args or ()) == 4:
            _, kind, retry, error = record.args  # type: ignore[misc]
            # Logged inside the runner's except block: the traceback is still at hand.
            frames = traceback.extract_tb(sys.exc_info()[2]) if sys.exc_info()[2] else []
            where = next((f for f in reversed(frames) if _ours(f.filename)), None)
            at = f" at {Path(where.filename).relative_to(ROOT)}:{where.lineno} {where.name}()"
            self.counts[
                f"{kind}{retry}: {str(error).splitlines()[0][:90]}{at if where else ''}"
            ] += 1
        else:
            self.counts[f"{record.name}: {record.getMessage()[:100]}"] += 1

    def report(self, title: str) -> None:
        if self.counts:
            print(f"{title}: " + "; ".join(f"{n} x {m}" for m, n in self.counts.most_common(5)))
        self.counts.clear()


FAILURES = JobFailures()
_FRAME = re.compile(r'^\s+File "([^"]+)", line (\d+), in (\S+)')
_EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit)): ?(.*)$")


def web_errors(log_path: Path) -> Counter[str]:
    """The outermost exception of each traceback in the web process's log."""
    counts: Counter[str] = Counter()
    last = where = None
    with log_path.open(errors="replace") as lines:
        for line in lines:
            match = _EXCEPTION.match(line.rstrip())
            frame = _FRAME.match(line)
            if frame and _ours(frame.group(1)):
                path = Path(frame.group(1)).resolve().relative_to(ROOT)
                where = f"{path}:{frame.group(2)} {frame.group(3)}()"
            if match:
                last = f"{match.group(1)}: {match.group(2)[:90]}" + (
                    f" at {where}" if where else ""
                )
            elif line[:1].isdigit() and last:  # the next log record: the traceback ended
                counts[last] += 1
                last = where = None
    if last:
        counts[last] += 1
    return counts


def postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    """Create shoal_bench_<pid> on the server of ``url``; its URL and a function dropping it."""
    import psycopg2

    parts = urlsplit(url)
    name = f"shoal_bench_{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin, connect_timeout=5)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()

    def drop() -> None:
        if not db.is_closed():
            db.close()
        closer = getattr(db.obj, "close_all", None)
        if closer:
            closer()
        conn = psycopg2.connect(admin, connect_timeout=5)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()

    return urlunsplit(parts._replace(path=f"/{name}")), drop


class WebProcess:
    """Shoal's web process (python -m app serve), optionally under cProfile."""

    def __init__(self, env: dict[str, str], url: str, tmp: Path, profile: Path | None) -> None:
        self.url = url
        self.log = (tmp / "web.log").open("wb")
        launcher = tmp / "launch_web.py"  # python -m app serve
        launcher.write_text(
            f"import runpy, sys\nsys.path.insert(0, {str(ROOT)!r})\n"
            + "sys.argv = ['app', 'serve']\nrunpy.run_module('app', run_name='__main__')\n"
        )
        command = [sys.executable]
        if profile is not None:
            command += ["-m", "cProfile", "-o", str(profile)]
        command += [str(launcher)]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the web process exited with status {self.process.returncode}")
            try:
                if httpx.get(self.url + "/api/v1/config", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit("the web process did not start in time")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def report_errors(self) -> None:
        errors = web_errors(Path(self.log.name))
        print(
            "web process exceptions (whole run): "
            + ("; ".join(f"{n} x {m}" for m, n in errors.most_common(5)) or "none")
        )


class FarmProcess:
    """The inbox farm (bench/inbox_farm.py) in its own process; controlled over HTTP."""

    def __init__(self, servers: int, senders: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self.process = ctx.Process(
            target=inbox_farm.run, args=(child, servers, senders), daemon=True
        )
        self.process.start()
        if not parent.poll(900):  # the first run generates the senders' keys
            raise SystemExit("the inbox farm did not start")
        info = parent.recv()
        self.ports: list[int] = info["ports"]
        self.control = httpx.Client(base_url=f"http://127.0.0.1:{info['control']}", timeout=30)

    def get(self, path: str) -> dict:
        response = self.control.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, doc: dict | None = None) -> dict:
        response = self.control.post(path, json=doc or {})
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.join(10)


def print_profile(title: str, source: cProfile.Profile | str, limit: int = 14) -> None:
    """The functions that took the most time themselves, and the biggest cumulative ones."""
    out = io.StringIO()
    stats = pstats.Stats(source, stream=out)  # type: ignore[arg-type]
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit + 6)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print(f"\n--- profile: {title} ---")
    print("\n".join(line for line in lines if not line.startswith(("   Random", "   Ordered"))))


# --- setup ---------------------------------------------------------------------------------


def make_video(channel: Channel) -> Video:
    """A published local video with five renditions (rows only; the files do not exist)."""
    video_uuid = uuid.uuid4()
    prefix = uuid.uuid4().hex
    now = utcnow()
    video = Video.create(
        uuid=video_uuid, channel=channel, name="Federation benchmark video",
        description="Published by bench/federation.py.", tags=["bench", "federation"],
        category=15, licence=1, language="en", privacy=Privacy.PUBLIC, state=State.PUBLISHED,
        progress=100, duration=120, aspect_ratio=16 / 9, hls_master=f"{prefix}-master.m3u8",
        hls_sha256=f"{prefix}-segments-sha256.json", thumbnail=f"{prefix}-thumbnail.jpg",
        preview=f"{prefix}-preview.jpg", published_at=now, created_at=now, updated_at=now,
    )  # fmt: skip
    for height, width in LADDER:
        VideoFile.create(
            video=video, resolution=height, width=width, height=height, fps=30,
            size=height * 40_000, bandwidth=height * 3_000, codecs="avc1.64001f,mp4a.40.2",
            filename=f"{prefix}-{height}-fragmented.mp4", playlist=f"{prefix}-{height}.m3u8",
        )  # fmt: skip
    return video


def add_followers(target: Actor, ports: list[int], count: int) -> float:
    """``count`` remote Person actors, spread over the farm's servers, following ``target``."""
    started = time.perf_counter()
    now = utcnow()
    rows = []
    for i in range(count):
        host = f"127.0.0.1:{ports[i % len(ports)]}"
        ap_id = f"http://{host}/users/u{i}"
        rows.append(
            {"type": "Person", "name": f"u{i}", "host": host, "ap_id": ap_id,
             "inbox": f"{ap_id}/inbox", "shared_inbox": f"http://{host}/inbox",
             "outbox": f"{ap_id}/outbox", "followers_url": f"{ap_id}/followers",
             "following_url": f"{ap_id}/following", "url": ap_id, "fetched_at": now,
             "created_at": now, "updated_at": now}
        )  # fmt: skip
    with db.atomic():
        for batch in peewee.chunked(rows, 500):
            Actor.insert_many(batch).execute()
        ids = Actor.select(Actor.id, Actor.ap_id).where(
            Actor.name.startswith("u") & (Actor.host != "")
        )
        follows = [
            {"follower": a.id, "target": target.id, "state": FollowState.ACCEPTED,
             "ap_id": f"{a.ap_id}/follows/{target.id}", "created_at": now, "updated_at": now}
            for a in ids
        ]  # fmt: skip
        for batch in peewee.chunked(follows, 500):
            Follow.insert_many(batch).execute()
    return time.perf_counter() - started


# --- part A --------------------------------------------------------------------------------


def part_a(settings: Settings, video: Video, farm: FarmProcess, args: argparse.Namespace) -> bool:
    print("\n== Part A: fan-out of one published video ==", flush=True)
    account_actor = actors.account_actor(Account.get_by_id(video.channel.account_id))
    timing = time.perf_counter()
    for _ in range(50):
        fetch.signed_request(settings, "http://127.0.0.1:1/inbox", method="POST", body=b"{}" * 1500,
                             signer=account_actor)  # fmt: skip
    sign_ms = (time.perf_counter() - timing) / 50 * 1000
    farm.post("/reset")

    earlier = {out.id for out in OutActivity.select(OutActivity.id)}
    t_pub = time.time()
    started = time.perf_counter()
    publish.announce_video(settings, video)
    built = time.perf_counter() - started
    published = {out.id for out in OutActivity.select(OutActivity.id)} - earlier
    per_activity = {
        f"{out.type} #{out.id}": Delivery.select().where(Delivery.activity == out).count()
        for out in OutActivity.select().where(OutActivity.id.in_(list(published)))
    }
    print(f"announce_video (activities + Delivery rows): {built * 1000:.0f} ms; "
          f"Delivery rows per activity: {per_activity} "
          f"(expected {len(farm.ports)} each: one per server's shared inbox)")  # fmt: skip

    runner = Runner(settings, worker_id="bench-worker-a")
    profile = cProfile.Profile() if args.profile else None
    job_seconds = []
    started = time.perf_counter()
    while True:
        job_started = time.perf_counter()
        ran = profile.runcall(runner.run_once, 1) if profile else runner.run_once(1)
        if not ran:
            break
        job_seconds.append(time.perf_counter() - job_started)
    worker_seconds = time.perf_counter() - started
    states = {  # of this video's activities (the setup's Accepts were delivered before)
        s: Delivery.select()
        .where((Delivery.state == s) & Delivery.activity.in_(list(published)))
        .count()
        for s in (DeliveryState.SENT, DeliveryState.PENDING, DeliveryState.FAILED)
    }
    stats = farm.get("/stats")
    total = sum(per_activity.values())
    print(f"worker: {len(job_seconds)} deliver jobs in {worker_seconds:.2f} s "
          f"({', '.join(f'{s:.2f} s' for s in job_seconds)}); deliveries sent {states['sent']}, "
          f"pending {states['pending']}, failed {states['failed']} of {total}; "
          f"{states['sent'] / worker_seconds:.0f} deliveries/s")  # fmt: skip
    print(
        f"signing one delivery (fetch.signed_request, RSA-2048): {sign_ms:.2f} ms, "
        f"so {sign_ms * total / 1000:.2f} s of the worker's time for {total} deliveries"
    )
    ok = True
    for kind in sorted({key.split()[0] for key in per_activity}):
        arrivals = sorted(stats["first"].get(kind, {}).values())
        if not arrivals:
            print(f"{kind}: reached no server")
            ok = False
            continue
        last = arrivals[-1] - t_pub
        median = arrivals[len(arrivals) // 2] - t_pub
        print(f"{kind}: reached {len(arrivals)}/{len(farm.ports)} servers; first after "
              f"{arrivals[0] - t_pub:.2f} s, median {median:.2f} s, LAST after {last:.2f} s "
              "from publication")  # fmt: skip
        if kind == "Create":
            ok = len(arrivals) == len(farm.ports) and last <= GOAL_SECONDS
    print(f"farm signature checks: {stats['verified']} verified, "
          f"{sum(stats['failures'].values())} failed {stats['failures'] or ''}; "
          f"actor key fetches from Shoal: {stats['key_fetches']} "
          f"(one per server and signing actor)")  # fmt: skip
    print(f"GOAL every server has the video within {GOAL_SECONDS:.0f} s: "
          + ("PASS" if ok else "FAIL"), flush=True)  # fmt: skip
    FAILURES.report("worker job failures")
    if profile:
        print_profile("worker, part A (deliveries)", profile)
    return ok and not stats["failures"]


# --- part B --------------------------------------------------------------------------------


def inbox_counts(base_id: int) -> tuple[int, int, int, int]:
    """(stored, applied, failed, backlog) for activities stored after ``base_id``."""
    mine = InboxActivity.select().where(InboxActivity.id > base_id)
    stored = mine.count()
    applied = mine.where(InboxActivity.state == "done").count()
    failed = mine.where(InboxActivity.state == "failed").count()
    backlog = (
        Job.select()
        .where((Job.kind == INBOX_JOB) & Job.state.in_([JobState.PENDING, JobState.RUNNING]))
        .count()
    )
    return stored, applied, failed, backlog


def accepted_of(status: dict) -> int:
    """POSTs answered 2xx (Shoal answers 202 or 204 depending on its version)."""
    return sum(n for code, n in status.get("codes", {}).items() if code.startswith("2"))


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (t, y) points; 0 with fewer than two."""
    if len(points) < 2:
        return 0.0
    n = len(points)
    mt = sum(t for t, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (y - my) for t, y in points) / var if var else 0.0


def inbox_run(
    settings: Settings, farm: FarmProcess, label: str, rate: float, args: argparse.Namespace
) -> bool:
    count = args.activities
    base_id = InboxActivity.select(peewee.fn.MAX(InboxActivity.id)).scalar() or 0
    runner = Runner(settings, worker_id=f"bench-worker-b-{label}")
    profile = cProfile.Profile() if args.profile else None
    if profile:  # one lane, in one profiled thread
        lanes = [
            threading.Thread(
                target=profile.runcall,
                args=(runner.run_lane, QUICK_KINDS, QUICK_BATCH),
                daemon=True,
            )
        ]
        lanes[0].start()
    else:  # the worker's lanes for federation jobs, as `python -m workers` runs them
        lanes = runner.start_quick_lanes()
    print(f"worker: {len(lanes)} thread(s) for federation jobs", flush=True)
    farm.post("/send", {"inbox": f"{settings.base_url}/inbox", "count": count, "rate": rate,
                        "concurrency": args.concurrency if rate == 0 else 256,
                        "senders": args.senders})  # fmt: skip
    status = farm.get("/send")
    while status["state"] != "running":
        time.sleep(0.05)
        status = farm.get("/send")
    t_start = status["t_start"]
    print(f"\n-- {label}: {count} Create{{Video}} from {status['senders']} actors, "
          + (f"{rate:g}/s offered (open loop)" if rate else
             f"as fast as possible over {status['concurrency']} connections")
          + f"; signed beforehand in {status['sign_seconds']:.1f} s --", flush=True)  # fmt: skip
    print(f"{'t (s)':>6} {'answered':>8} {'stored':>7} {'applied':>8} {'failed':>7} {'backlog':>8}")
    samples = []
    deadline = time.time() + max(180.0, 4 * count / (rate or 100))
    next_sample = t_start + 1
    while time.time() < deadline:
        time.sleep(max(0.0, next_sample - time.time()))
        next_sample += 1
        status = farm.get("/send")
        stored, applied, failed, backlog = inbox_counts(base_id)
        t = time.time() - t_start
        samples.append((t, status.get("done", 0), stored, applied, failed, backlog))
        print(f"{t:6.1f} {status.get('done', 0):8d} {stored:7d} {applied:8d} {failed:7d} "
              f"{backlog:8d}", flush=True)  # fmt: skip
        accepted = accepted_of(status)
        if status["state"] == "done" and backlog == 0 and applied + failed >= accepted:
            break
    runner.stopping.set()
    for lane in lanes:
        lane.join(30)
    stored, applied, failed, backlog = inbox_counts(base_id)
    accepted = accepted_of(status)
    last_applied = (
        Job.select(peewee.fn.MAX(Job.updated_at))
        .where(
            (Job.kind == INBOX_JOB)
            & (Job.state == JobState.DONE)
            & (Job.created_at >= dt.datetime.fromtimestamp(t_start, dt.UTC).replace(tzinfo=None))
        )
        .scalar()
    )
    post_seconds = (status.get("t_last") or time.time()) - t_start
    apply_seconds = (epoch(last_applied) - t_start) if last_applied else float("nan")
    lat = status.get("latency", {})
    print(f"POSTs: {accepted}/{count} accepted (2xx) in {post_seconds:.2f} s = "
          f"{accepted / post_seconds:.0f}/s; answers {status.get('codes')}; latency p50 "
          f"{lat.get('p50', 0) * 1000:.0f} ms, p95 {lat.get('p95', 0) * 1000:.0f} ms, max "
          f"{lat.get('max', 0) * 1000:.0f} ms")  # fmt: skip
    if status.get("errors"):
        print(f"refusals: {status['errors']}")
    print(f"applied: {applied} (failed {failed}, still pending {stored - applied - failed}) by "
          f"{apply_seconds:.2f} s after the first POST = {applied / apply_seconds:.0f}/s; "
          f"drained {apply_seconds - post_seconds:.2f} s after the last answer")  # fmt: skip
    steps = [
        (b[3] - a[3]) / (b[0] - a[0])
        for a, b in zip(samples, samples[1:], strict=False)
        if b[0] > a[0]
    ]
    print(f"worker apply rate per 1 s sample: peak {max(steps, default=0):.0f}/s")
    ok = status["state"] == "done" and accepted == count and applied == count and backlog == 0
    if rate:
        sending = [(t, b) for t, _, _, _, _, b in samples if t <= post_seconds + 0.5]
        window = [(t, b) for t, b in sending if t >= post_seconds / 2]
        window = window if len(window) >= 3 else sending  # a short run: the whole of it
        growth = slope(window)
        peak = max((b for *_, b in samples), default=0)
        limit = 0.02 * rate  # 2 % of the arrivals: noise, not a queue that runs away
        span = "the second half of sending" if window is not sending else "the whole sending"
        print(f"backlog: peak {peak}; trend over {span}: {growth:+.2f} jobs/s")
        refused = count - accepted
        ok = ok and growth <= limit
        print(f"GOAL no backlog growth at {rate:g} activities/s: " + ("PASS" if ok else "FAIL")
              + f" (trend {growth:+.2f} jobs/s, limit +{limit:.2f}; {refused} POSTs refused, "
              f"{stored - applied} not applied)")  # fmt: skip
    stats = farm.get("/stats")
    print(f"farm actor documents served (first contact): {stats['actor_gets']}", flush=True)
    FAILURES.report("worker job failures (each retried after 10 s, 20 s, ...)")
    if profile:
        print_profile(f"worker, part B {label}", profile)
    return ok


def part_b(settings: Settings, farm: FarmProcess, args: argparse.Namespace) -> bool:
    print("\n== Part B: inbox intake, actors' keys fetched from the farm on first contact ==")
    farm.post("/reset")
    ok = inbox_run(settings, farm, f"{args.rate:g}/s", args.rate, args)
    if args.max_rate:
        ok &= inbox_run(settings, farm, "max rate", 0, args)
    return ok


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    """Run the benchmark from the command line and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000, help="remote followers (10000)")
    parser.add_argument("--servers", type=int, default=200, help="farm servers (200)")
    parser.add_argument("--activities", type=int, default=2000, help="inbox activities (2000)")
    parser.add_argument("--rate", type=float, default=100, help="inbox target rate /s (100)")
    parser.add_argument("--senders", type=int, default=300, help="farm sender actors (300)")
    parser.add_argument("--concurrency", type=int, default=16, help="max-rate connections (16)")
    parser.add_argument("--no-max-rate", dest="max_rate", action="store_false",
                        help="skip the as-fast-as-possible inbox run")  # fmt: skip
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL server to use")
    parser.add_argument("--part", choices=["a", "b", "both"], default="both")
    parser.add_argument("--profile", metavar="DIR", type=Path, help="cProfile web and worker")
    args = parser.parse_args()

    logging.getLogger().addHandler(FAILURES)
    logging.getLogger().setLevel(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="shoal-federation-bench-"))
    drop: Callable[[], None] | None = None
    if args.postgres:
        database_url, drop = postgres_database(args.postgres)
    else:
        database_url = f"sqlite:///{tmp / 'data' / 'shoal.db'}"
    port = free_port()
    env = {
        "SHOAL_DATA": str(tmp / "data"),
        "SHOAL_PORT": str(port),
        "DATABASE_URL": database_url,
        "SHOAL_ALLOW_LOOPBACK": "1",
        "SHOAL_SECRET": secrets.token_urlsafe(32),
        "SHOAL_ROOT_PASSWORD": secrets.token_urlsafe(16),
    }
    settings = Settings.from_env(env)
    web = farm = None
    ok = True
    try:
        kind = "PostgreSQL" if args.postgres else "SQLite (WAL)"
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}; "
              f"database {kind}; Shoal at {settings.base_url}")  # fmt: skip
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        connect(settings.database_url)
        migrate()
        user = auth.create_user(settings, "alice", secrets.token_urlsafe(16))
        account = Account.get(Account.user == user)
        channel = Channel.get(Channel.account == account)
        started = time.perf_counter()
        local = [
            actors.account_actor(account),
            actors.channel_actor(channel),
            actors.server_actor(),
        ]
        for actor in local:
            actors.ensure_keys(actor)
        keys_seconds = time.perf_counter() - started
        video = make_video(channel)
        print(f"local actors' RSA keys made beforehand in {keys_seconds:.1f} s", flush=True)

        profile_dir = args.profile.resolve() if args.profile else None
        if profile_dir:
            profile_dir.mkdir(parents=True, exist_ok=True)
        web = WebProcess(
            env, f"http://127.0.0.1:{port}", tmp,
            profile_dir / "web.prof" if profile_dir else None,
        )  # fmt: skip
        web.wait_ready()  # before the farm takes 200 ports, one of which could be this one
        farm = FarmProcess(args.servers, args.senders if args.part != "a" else 1)
        print(f"inbox farm: {len(farm.ports)} servers on ports "
              f"{min(farm.ports)}..{max(farm.ports)} (pid {farm.process.pid}); "
              f"web pid {web.process.pid}; worker: this process (pid {os.getpid()})")  # fmt: skip
        if args.part in ("a", "both"):
            seconds = add_followers(local[0], farm.ports, args.followers)
            print(f"{args.followers} remote followers on {len(farm.ports)} servers inserted in "
                  f"{seconds:.1f} s", flush=True)  # fmt: skip
            ok &= part_a(settings, video, farm, args)
        if args.part in ("b", "both"):
            ok &= part_b(settings, farm, args)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"\nload average at the end: {load} (other processes share these {os.cpu_count()} CPUs)"
        )
    finally:
        if web is not None:
            web.stop()
            web.report_errors()
            if args.profile and (args.profile / "web.prof").exists():
                print_profile("web process (whole run)", str(args.profile / "web.prof"))
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
