"""Memory of the web process while it receives huge uploads.

Starts a real Shoal web process (``python -m app serve``) on a free loopback
port with its own temporary data folder and SQLite database, signs in as root
through PeerTube's OAuth flow, then uploads one large file (default 2 GB)
twice:

- multipart: ``POST /api/v1/videos/upload``, the multipart framing computed
  here so the body is sent with a Content-Length and the file bytes streamed
  from a generator (``--chunked`` sends it chunked instead);
- resumable: ``POST /api/v1/videos/upload-resumable`` then ``PUT`` chunks of
  ``--chunk-mb`` MB with Content-Range until the server answers 200.

The bytes are generated as they are sent (never held in memory) and are not a
real video: no worker runs, so nothing tries to transcode them. The server's
RSS (VmRSS in /proc/<pid>/status) is sampled every 50 ms; for each method the
baseline, the peak, the peak growth, the elapsed time and the throughput are
printed. The goal is a growth of at most about 50 MB. Not part of the test
run; Linux only (it reads /proc).

    .venv/bin/python bench/upload.py [--size-gb 2] [--chunk-mb 64] [--chunked]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = secrets.token_urlsafe(16)  # root's, for this run only
PIECE = 1024 * 1024  # the generator's piece size: what the client hands to the socket
BOUNDARY = "----ShoalUploadBench7f3a9c1e5b"
MB = 1024 * 1024
GOAL_MB = 50


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def file_bytes(size: int, start: int = 0) -> Iterator[bytes]:
    """``size`` pseudo-random bytes from offset ``start`` of the notional file, piece by piece.

    One random 1 MB block, with each piece stamped with its offset, so pieces
    differ (no accidental run of zeros a filesystem might compress) at no cost.
    """
    block = random.Random(0).randbytes(PIECE)
    offset = start
    end = start + size
    while offset < end:
        n = min(PIECE, end - offset)
        piece = bytearray(block[:n])
        stamp = offset.to_bytes(8, "big")[: min(8, n)]
        piece[: len(stamp)] = stamp
        yield bytes(piece)
        offset += n


class RssSampler:
    """Samples one process's resident set size every ``interval`` seconds, in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def rss(self) -> int:
        """VmRSS of the process, in bytes."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError(f"no VmRSS for pid {self.pid}")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.peak = self.rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak = max(self.peak, self.rss())


class Server:
    """A Shoal web process in a temporary data folder; no worker."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "SHOAL_DATA": str(data),
            "SHOAL_PORT": str(self.port),
            "DATABASE_URL": f"sqlite:///{data / 'shoal.db'}",
            "SHOAL_ROOT_PASSWORD": PASSWORD,
            "SHOAL_MAX_UPLOAD_SIZE": "4G",
        }
        self.log = open(data.parent / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited with status {self.process.returncode}")
            try:
                if httpx.get(self.url + "/api/v1/config", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def sign_in(client: httpx.Client) -> None:
    """Bearer token for root through /oauth-clients/local and /users/token."""
    oauth = client.get("/api/v1/oauth-clients/local")
    oauth.raise_for_status()
    response = client.post(
        "/api/v1/users/token",
        data={**oauth.json(), "grant_type": "password", "response_type": "code",
              "username": "root", "password": PASSWORD},
    )  # fmt: skip
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"


def upload_multipart(client: httpx.Client, size: int, chunked: bool, _chunk: int) -> dict:
    """One multipart POST: a name field and the file part, streamed."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="name"\r\n\r\n'
        "Upload benchmark (multipart)\r\n"
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="videofile"; filename="x.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from file_bytes(size)
        yield tail

    headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    if not chunked:
        headers["Content-Length"] = str(len(head) + size + len(tail))
    response = client.post("/api/v1/videos/upload", content=body(), headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"multipart upload: {response.status_code} {response.text}")
    return response.json()["video"]


def upload_resumable(client: httpx.Client, size: int, _chunked: bool, chunk: int) -> dict:
    """PeerTube's resumable protocol: start a session, PUT chunks until 200."""
    started = client.post(
        "/api/v1/videos/upload-resumable",
        json={"name": "Upload benchmark (resumable)", "filename": "x.mp4"},
        headers={"X-Upload-Content-Length": str(size), "X-Upload-Content-Type": "video/mp4"},
    )
    if started.status_code != 201:
        raise SystemExit(f"resumable start: {started.status_code} {started.text}")
    location = started.headers["Location"]
    url = "http:" + location if location.startswith("//") else location
    offset = 0
    while offset < size:
        n = min(chunk, size - offset)
        end = offset + n - 1
        response = client.put(
            url,
            content=file_bytes(n, offset),
            headers={
                "Content-Type": "application/octet-stream",
                "Content-Length": str(n),
                "Content-Range": f"bytes {offset}-{end}/{size}",
            },
        )
        if end + 1 < size:
            expected = f"bytes=0-{end}"
            if response.status_code != 308 or response.headers.get("Range") != expected:
                raise SystemExit(
                    f"resumable chunk at {offset}: {response.status_code} "
                    f"Range={response.headers.get('Range')!r} {response.text}"
                )
        elif response.status_code != 200:
            raise SystemExit(f"resumable last chunk: {response.status_code} {response.text}")
        offset = end + 1
    return response.json()["video"]


def check_stored(path: Path, size: int) -> None:
    """The server kept exactly the bytes sent: size, and the offset stamps of a few pieces."""
    if path.stat().st_size != size:
        raise SystemExit(f"{path.name}: {path.stat().st_size} bytes stored, {size} sent")
    with path.open("rb") as stored:
        for offset in range(0, size - 8, max(PIECE, size // 7 // PIECE * PIECE)):
            stored.seek(offset)
            if stored.read(8) != offset.to_bytes(8, "big"):
                raise SystemExit(f"{path.name}: wrong bytes at offset {offset}")


def measure(
    name: str,
    upload: Callable[[httpx.Client, int, bool, int], dict],
    server: Server,
    client: httpx.Client,
    args: argparse.Namespace,
) -> bool:
    """Run one upload while sampling the server's RSS; print the figures; True if within goal."""
    size = int(args.size_gb * 1024**3)
    sampler = RssSampler(server.pid)
    time.sleep(0.5)  # let the previous request's garbage settle
    baseline = sampler.rss()
    started = time.perf_counter()
    with sampler:
        video = upload(client, size, args.chunked, args.chunk_mb * MB)
    elapsed = time.perf_counter() - started
    growth = (sampler.peak - baseline) / MB
    print(
        f"{name:<10} {size / MB:8.0f} MB in {elapsed:6.1f} s = {size / MB / elapsed:6.1f} MB/s; "
        f"RSS baseline {baseline / MB:6.1f} MB, peak {sampler.peak / MB:6.1f} MB, "
        f"growth {growth:6.1f} MB ({sampler.samples} samples)"
        + ("" if growth <= GOAL_MB else f"  ABOVE GOAL ({GOAL_MB} MB)"),
        flush=True,
    )
    check_stored(server.data / "originals" / f"{video['uuid']}.mp4", size)
    # Free the disk before the next run: the original would stay until transcoded.
    client.delete(f"/api/v1/videos/{video['uuid']}").raise_for_status()
    return growth <= GOAL_MB


def main() -> None:
    """Run the benchmark from the command line and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=2.0, help="file size in GiB (2)")
    parser.add_argument("--chunk-mb", type=int, default=64, help="resumable chunk in MiB (64)")
    parser.add_argument(
        "--chunked", action="store_true", help="send the multipart body chunked, no Content-Length"
    )
    args = parser.parse_args()
    if not os.path.exists("/proc/self/status"):
        raise SystemExit("this benchmark reads /proc: Linux only")

    tmp = Path(tempfile.mkdtemp(prefix="shoal-upload-bench-"))
    server = Server(tmp / "data")
    ok = True
    try:
        server.wait_ready()
        print(
            f"server pid {server.pid} on {server.url}; file {args.size_gb:g} GiB, "
            f"resumable chunks {args.chunk_mb} MiB, multipart "
            + ("chunked" if args.chunked else "with Content-Length"),
            flush=True,
        )
        timeout = httpx.Timeout(600, connect=10)
        with httpx.Client(base_url=server.url, timeout=timeout) as client:
            sign_in(client)
            ok &= measure("multipart", upload_multipart, server, client, args)
            ok &= measure("resumable", upload_resumable, server, client, args)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
