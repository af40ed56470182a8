"""nginx and Shoal web processes as production runs them, on loopback ports.

`Nginx` runs Debian's nginx binary with deploy/nginx/shoal.conf as it is in the
repository, only its host-specific values replaced (ports, SHOAL_DATA), inside
a small main configuration of its own: its prefix, pid, temporary folders and
logs in a temporary folder, in the foreground, no root needed (as root, its
workers stay root so that they can read the test's private temporary folder).
`WebProcess` is `python -m app serve --port N`. tests/integration/test_nginx.py
and bench/segments.py use both.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "shoal.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")

MAIN = """\
daemon off;
worker_processes {workers};
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
{user}
events {{
    worker_connections 1024;
}}
http {{
    {types}
    default_type application/octet-stream;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/shoal.conf;
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_config(port: int, web_ports: list[int], data_dir: Path) -> str:
    """deploy/nginx/shoal.conf for these ports and SHOAL_DATA; the first web port is the
    tracker's. ValueError when the file no longer has what is replaced (it drifted)."""
    text = SITE.read_text()
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in web_ports)
    replacements = [
        ("    server 127.0.0.1:9001;\n    server 127.0.0.1:9002;\n", servers),
        ("server 127.0.0.1:9001;", f"server 127.0.0.1:{web_ports[0]};"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("listen [::]:80;", ""),
        ("/var/lib/shoal/data/", f"{data_dir.resolve()}/"),
    ]
    for old, new in replacements:
        if old not in text:
            raise ValueError(f"{SITE} no longer has {old!r}")
        text = text.replace(old, new)
    return text


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Until `url` answers (any status); the log's end if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[:3]} exited:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Nginx:
    """nginx with Shoal's site configuration in front of `web_ports`, listening on `port`."""

    def __init__(
        self, tmp: Path, port: int, web_ports: list[int], data_dir: Path, workers: int = 1
    ) -> None:
        self.tmp, self.port, self.url = tmp, port, f"http://127.0.0.1:{port}"
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "shoal.conf").write_text(site_config(port, web_ports, data_dir))
        types = f"include {MIME_TYPES};" if MIME_TYPES.exists() else ""
        user = "user root;" if os.geteuid() == 0 else ""
        config = MAIN.format(tmp=tmp, workers=workers, user=user, types=types)
        (tmp / "nginx.conf").write_text(config)
        self.error_log = tmp / "error.log"
        command = [NGINX, "-p", str(tmp), "-e", str(self.error_log), "-c", str(tmp / "nginx.conf")]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=self.error_log.open("ab")
        )
        wait_for(self.url + "/nginx-ready", self.process, self.error_log)

    @property
    def access_log(self) -> str:
        return (self.tmp / "access.log").read_text()

    def stop(self) -> None:
        stop(self.process, signal.SIGQUIT)  # graceful: workers finish what they send


class WebProcess:
    """`python -m app serve --port N` with `env` (SHOAL_DATA, DATABASE_URL, ...)."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.port, self.url, self.log = port, f"http://127.0.0.1:{port}", log
        environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=log.open("ab"),
        )

    def wait_ready(self) -> None:
        wait_for(self.url + "/api/v1/config", self.process, self.log)

    def stop(self) -> None:
        stop(self.process)
