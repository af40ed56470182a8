"""The command line: migrate, createuser, resetpassword, and a bad setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from app import auth
from app.db import connect

ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "SHOAL_DATA": str(tmp_path / "data"), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_migrate_then_admin_commands(tmp_path):
    first = run(tmp_path, "migrate")
    assert first.returncode == 0 and "0001_initial" in first.stdout
    assert "up to date" in run(tmp_path, "migrate").stdout
    made = run(tmp_path, "createuser", "mia", "--role", "moderator", "--password", "pass-word-1")
    assert made.returncode == 0 and "created moderator mia" in made.stdout
    dup = run(tmp_path, "createuser", "mia", "--password", "pass-word-1")
    assert dup.returncode != 0 and "That username is taken." in dup.stderr
    reset = run(tmp_path, "resetpassword", "mia", "--password", "new-pass-2")
    assert reset.returncode == 0
    connect(f"sqlite:///{tmp_path / 'data' / 'shoal.db'}")
    assert auth.authenticate("mia", "new-pass-2").is_moderator


def test_a_bad_setting_stops_with_a_clear_message(tmp_path):
    result = run(tmp_path, "migrate", SHOAL_LADDER="tall")
    assert result.returncode != 0
    assert "configuration error: SHOAL_LADDER" in result.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path: Path, port: int, log: Path) -> subprocess.Popen:
    """`python -m app dev` on a port; returns once web answers and the worker is ready."""
    import time

    import httpx

    environ = {
        **os.environ,
        "SHOAL_DATA": str(tmp_path / "data"),
        "SHOAL_PORT": str(port),
        "PYTHONPATH": str(ROOT),
    }
    environ.pop("SHOAL_ROOT_PASSWORD", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "dev"], cwd=ROOT, env=environ, stderr=log.open("w")
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            web = httpx.get(f"http://127.0.0.1:{port}/api/v1/config").status_code == 200
        except httpx.TransportError:
            web = False
        if web and " ready" in log.read_text():
            return proc
        time.sleep(0.2)
    proc.kill()
    raise AssertionError(log.read_text())


def test_dev_server_creates_root_once_and_prints_its_password(tmp_path):
    import signal

    port = _free_port()
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    proc = _start(tmp_path, port, first_log)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    log = first_log.read_text()
    assert "created admin account 'root' with password:" in log
    assert "worker" in log and "stopping after the current job" in log  # worker stopped too
    password = log.split("with password: ")[1].split()[0]
    proc = _start(tmp_path, port, second_log)
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    assert "created admin account" not in second_log.read_text()
    connect(f"sqlite:///{tmp_path / 'data' / 'shoal.db'}")
    assert auth.authenticate("root", password).is_admin
