"""The worker process: runs jobs, survives being killed mid-transcode, stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app import auth
from app.videos import create_video
from models.jobs import Job, JobState
from models.videos import State, Video
from tests.clips import make_clip

ROOT = Path(__file__).resolve().parents[2]


def worker_env(settings, lease: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SHOAL_DATA": str(settings.data_dir),
        "SHOAL_SECRET": settings.secret,
        "SHOAL_LADDER": "360,240",
        "SHOAL_JOB_LEASE": str(lease),
        "PYTHONPATH": str(ROOT),
    }


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def long_video(settings, tmp_path) -> Video:
    """A 12 s 640x360 upload: long enough to kill its worker mid-transcode."""
    user = auth.create_user(settings, "alice", "secret-pass")
    source = Path(make_clip(str(tmp_path / "long.mp4"), seconds=12, width=640, height=360))
    copy = tmp_path / "upload.part"
    copy.write_bytes(source.read_bytes())
    return create_video(
        settings, user, auth.channels_of(user)[0], {"name": "Long one"}, copy, "long.mp4"
    )


@pytest.mark.slow
def test_a_killed_worker_job_runs_again_after_its_lease_and_publishes(settings, long_video):
    from workers.runner import Runner

    env = worker_env(settings, lease=2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: Video.get_by_id(long_video.id).progress >= 5, 60, "transcoding to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    video = Video.get_by_id(long_video.id)
    assert video.state == State.TRANSCODING and video.progress < 100
    job = Job.get(Job.kind == "transcode")
    assert job.state == JobState.RUNNING and job.attempts == 1
    hls = settings.media_dir / "hls"
    assert any(p.name.startswith(".tmp-") for p in hls.iterdir())  # half-done, not published
    assert not (hls / str(video.uuid)).exists()
    # a new worker cannot take it while the lease runs, then does
    runner = Runner(settings.with_(ladder=(360, 240), job_lease_seconds=2), worker_id="second")
    assert runner.run_once() == 0
    time.sleep(2.1)
    assert runner.run_once() >= 1
    video = Video.get_by_id(long_video.id)
    assert video.state == State.PUBLISHED and video.duration == 12
    job = Job.get(Job.kind == "transcode")
    assert job.state == JobState.DONE and job.attempts == 2
    assert [p.name for p in hls.iterdir()] == [str(video.uuid)]  # leftovers cleaned
    files = {f.resolution: f for f in video.files}
    assert sorted(files) == [240, 360]
    for f in files.values():
        assert (hls / str(video.uuid) / f.filename).stat().st_size == f.size
    master = (hls / str(video.uuid) / video.hls_master).read_text()
    assert "RESOLUTION=640x360" in master and "RESOLUTION=426x240" in master


def test_worker_stops_cleanly_on_sigterm(settings):
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env=worker_env(settings, lease=30),
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        # SIGTERM once the worker says it is ready: before that, Python's default
        # handler would kill it (a slow start on a busy machine made this flaky).
        wait_for(lambda: any(" ready" in line for line in lines), 30, "the worker to start")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    assert any("stopping after the current job" in line for line in lines), lines


def test_quick_jobs_run_while_a_long_job_holds_the_worker(settings, monkeypatch):
    from app import jobs
    from workers import runner as runner_module

    started, release = threading.Event(), threading.Event()
    done: list[int] = []

    def long_job(_settings, _payload, _beat) -> None:
        started.set()
        assert release.wait(20)

    def quick_job(_settings, payload, _beat) -> None:
        done.append(payload["n"])

    monkeypatch.setitem(runner_module.KINDS, "test-long", long_job)
    monkeypatch.setitem(runner_module.KINDS, "test-quick", quick_job)
    monkeypatch.setattr(runner_module, "QUICK_KINDS", ["test-quick"])
    jobs.enqueue("test-long", {})
    runner = runner_module.Runner(settings, worker_id="lanes")
    thread = threading.Thread(target=runner.run_forever)
    thread.start()
    try:
        assert started.wait(10)
        for n in range(40):
            jobs.enqueue("test-quick", {"n": n})
        wait_for(lambda: len(done) == 40, 15, "the quick jobs, the long one still running")
        assert not release.is_set() and sorted(done) == list(range(40))
    finally:
        release.set()
        runner.stopping.set()
        thread.join(20)
    assert not thread.is_alive()
    states = {job.kind: job.state for job in Job.select()}
    assert states == {"test-long": JobState.DONE, "test-quick": JobState.DONE}


def test_federation_lanes_follow_the_setting_or_the_database(settings, backend):
    from workers.runner import Runner

    assert Runner(settings).quick_threads() == (2 if backend == "postgres" else 1)
    assert Runner(settings.with_(federation_threads=4)).quick_threads() == 4


def test_a_job_of_an_unknown_kind_fails_instead_of_waiting_forever(settings):
    from app import jobs
    from workers.runner import Runner

    job = jobs.enqueue("kind-of-a-newer-version", {})
    runner = Runner(settings, worker_id="lanes")
    thread = threading.Thread(target=runner.run_forever)
    thread.start()
    try:
        wait_for(lambda: Job.get_by_id(job.id).state == JobState.FAILED, 10, "the job to be failed")
    finally:
        runner.stopping.set()
        thread.join(20)
    assert "unknown job kind 'kind-of-a-newer-version'" in Job.get_by_id(job.id).last_error
