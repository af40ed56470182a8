"""A real PeerTube beside Shoal: what the fixtures cannot prove.

These tests talk to a running PeerTube 6.3 server (built and started outside
this repository, in test mode on loopback) and are skipped, with a message
saying so, when none is given:

    SHOAL_INTEROP_PEERTUBE=http://127.0.0.1:9001     its base URL
    SHOAL_INTEROP_PEERTUBE_PASSWORD=...              its root password
    SHOAL_INTEROP_PEERTUBE_PID=1234                  (optional) its process, checked at the end
    SHOAL_INTEROP_PEERTUBE_LOG=/path/peertube.log    (optional) its log, read for what it
                                                      said about Shoal

PeerTube must be able to reach Shoal on 127.0.0.1 over plain http (its test
mode does: `federation.prevent_ssrf` is false there). Run PeerTube with
NODE_OPTIONS="--require tests/interop/peertube_context_shim.cjs" so that its
deliveries carry JSON-LD signatures offline, as a real PeerTube's do.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import auth
from app.db import make_database, migrate
from app.settings import Settings
from models import use
from models.accounts import Role
from tests.clips import make_clip
from tests.conftest import PASSWORD, LiveServer
from tests.peertube_api import RestClient

PEERTUBE = os.environ.get("SHOAL_INTEROP_PEERTUBE", "").rstrip("/")
PEERTUBE_PASSWORD = os.environ.get("SHOAL_INTEROP_PEERTUBE_PASSWORD", "")
WAIT = 180.0

NO_PEERTUBE = pytest.mark.skipif(
    not PEERTUBE,
    reason="no real PeerTube given: set SHOAL_INTEROP_PEERTUBE and "
    "SHOAL_INTEROP_PEERTUBE_PASSWORD to run tests/interop",
)


def wait_for(what: str, check: Callable[[], Any], timeout: float = WAIT) -> Any:
    """Poll `check` until it returns something true; fail saying `what` did not happen."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as err:
            last = err
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.5)
    pytest.fail(f"{what}: not after {timeout:.0f} s (last: {last!r})")


class PeerTube(RestClient):
    """A client of the real PeerTube: OAuth tokens, users, uploads."""

    def get(self, path: str, auth: dict | None = None, **params: Any) -> httpx.Response:
        return self.http.get(path, headers=auth or {}, params=params)

    def upload(self, auth: dict, channel: str, name: str, clip: Path) -> str:
        channel_id = self.get(f"/api/v1/video-channels/{channel}").json()["id"]
        with clip.open("rb") as fh:
            response = self.http.post(
                "/api/v1/videos/upload",
                headers=auth,
                data={"name": name, "channelId": str(channel_id), "privacy": "1",
                      "tags[0]": "interop", "description": "Uploaded to **PeerTube**."},
                files={"videofile": (clip.name, fh, "video/mp4")},
            )  # fmt: skip
        assert response.status_code == 200, response.text
        uuid = response.json()["video"]["uuid"]
        wait_for(f"PeerTube publishes {name!r} with HLS", lambda: self._published(uuid))
        return uuid

    def _published(self, uuid: str) -> bool:
        video = self.get(f"/api/v1/videos/{uuid}", self.root).json()
        return video["state"]["id"] == 1 and bool(video["streamingPlaylists"])

    def use_hls(self) -> None:
        """Transcode to HLS (what Shoal plays) at 240p only, as the fixtures were made."""
        config = self.get("/api/v1/config/custom", self.root).json()
        transcoding = config["transcoding"]
        transcoding["enabled"] = True
        transcoding["hls"]["enabled"] = True
        transcoding["alwaysTranscodeOriginalResolution"] = False
        for resolution in transcoding["resolutions"]:
            transcoding["resolutions"][resolution] = resolution == "240p"
        response = self.http.put("/api/v1/config/custom", headers=self.root, json=config)
        assert response.status_code == 200, response.text


class ShoalWorker:
    """Shoal's worker, in a thread: runs due jobs while the test waits on PeerTube."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.stopping = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.server.run_jobs(20) == 0:
                    time.sleep(0.2)
            except Exception as err:  # noqa: BLE001 - kept for the test to show
                self.errors.append(f"{type(err).__name__}: {err}")
                time.sleep(0.5)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)


@pytest.fixture(scope="module")
def peertube() -> PeerTube:
    """The real PeerTube named by SHOAL_INTEROP_PEERTUBE, signed in as root."""
    if not PEERTUBE_PASSWORD:
        pytest.skip("SHOAL_INTEROP_PEERTUBE_PASSWORD is not set")
    try:
        httpx.get(f"{PEERTUBE}/api/v1/config", timeout=5).raise_for_status()
    except httpx.HTTPError as err:
        pytest.fail(f"PeerTube at {PEERTUBE} does not answer: {err}")
    client = PeerTube(PEERTUBE, PEERTUBE_PASSWORD)
    client.use_hls()
    return client


@pytest.fixture(scope="module")
def shoal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A Shoal server (SQLite) with its worker running, reachable by PeerTube."""
    folder = tmp_path_factory.mktemp("shoal-interop")
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'shoal.db'}",
            "SHOAL_DATA": str(folder / "data"),
            "SHOAL_LADDER": "240",
            "SHOAL_SECRET": "interop-secret-" + "x" * 32,
            "SHOAL_ALLOW_LOOPBACK": "1",
        }
    )
    database = make_database(settings.database_url)
    with use(database):
        migrate()
    server = LiveServer(settings, database)
    with server.use():
        auth.create_user(server.settings, "root", PASSWORD, role=Role.ADMIN)
    worker = ShoalWorker(server)
    yield server
    worker.stop()
    server.stop()
    assert worker.errors == [], worker.errors


@pytest.fixture(scope="module")
def interop_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3 s 320x240 H.264/AAC clip, for both servers."""
    folder = tmp_path_factory.mktemp("interop-clip")
    return Path(make_clip(str(folder / "clip.mp4"), seconds=3.0, width=320, height=240))
