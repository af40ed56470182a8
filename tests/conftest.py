"""Shared fixtures: a real database (SQLite and PostgreSQL), a real Tornado
server on a loopback port, users, tiny generated clips and the job runner.

Every test that uses `database` runs once on SQLite and once on PostgreSQL;
without a reachable PostgreSQL the second run is skipped and says so.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import peewee
import pytest
import tornado.httpserver
import tornado.ioloop
import tornado.netutil

from app import auth
from app.db import connect, make_database, migrate
from app.settings import Settings
from models import all_models, bind_context, db, use
from models.accounts import Role, User
from tests.clips import make_clip

PG_URL = os.environ.get("SHOAL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")
_pg_state: dict[str, object] = {}


def _postgres_url(suffix: str = "") -> str:
    """Create (once per run) a throwaway database; drop it at exit."""
    key = f"url{suffix}"
    if key in _pg_state:
        return _pg_state[key]  # type: ignore[return-value]
    if "error" in _pg_state:
        pytest.skip(f"PostgreSQL not reachable ({_pg_state['error']}); skipped PostgreSQL")
    import psycopg2

    name = f"shoal_test_{os.getpid()}{suffix}"
    try:
        conn = psycopg2.connect(PG_URL + "postgres", connect_timeout=3)
    except psycopg2.OperationalError as err:
        _pg_state["error"] = str(err).strip().splitlines()[0]
        pytest.skip(f"PostgreSQL not reachable ({_pg_state['error']}); skipped PostgreSQL")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    _pg_state[key] = PG_URL + name
    _pg_state.setdefault("names", []).append(name)  # type: ignore[union-attr]
    return _pg_state[key]  # type: ignore[return-value]


def _fresh_postgres(suffix: str = "") -> tuple[str, peewee.Database]:
    """A migrated, emptied PostgreSQL database (made once, truncated for each test)."""
    url = _postgres_url(suffix)
    migrated = _pg_state.get(f"db{suffix}")
    if migrated is None:
        migrated = make_database(url)
        with use(migrated):
            migrate()
        _pg_state[f"db{suffix}"] = migrated
    tables = ", ".join(f'"{m._meta.table_name}"' for m in all_models())
    with use(migrated):  # type: ignore[arg-type]
        db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return url, migrated  # type: ignore[return-value]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if "names" not in _pg_state:
        return
    import psycopg2

    for key, value in list(_pg_state.items()):
        if key.startswith("db") and hasattr(value, "close_all"):
            value.close_all()
    conn = psycopg2.connect(PG_URL + "postgres", connect_timeout=3)
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in _pg_state["names"]:  # type: ignore[union-attr]
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database bound for the test; yields its DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shoal.db'}"
        connect(url)
        migrate()
    else:
        url, migrated = _fresh_postgres()
        db.initialize(migrated)
    yield url
    if not db.is_closed():
        db.close()


@pytest.fixture
def backend(request: pytest.FixtureRequest, database: str) -> str:
    """'sqlite' or 'postgres': the database kind of this test run."""
    return "postgres" if database.startswith("postgres") else "sqlite"


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    """Settings for one test server: its own data folder, a small ladder, short leases."""
    env = {
        "DATABASE_URL": database,
        "SHOAL_DATA": str(tmp_path / "data"),
        "SHOAL_LADDER": "240,144",
        "SHOAL_SECRET": "test-secret-" + "x" * 32,
        "SHOAL_JOB_LEASE": "30",
        "SHOAL_LOGIN_RATE": "5",
    }
    return Settings.from_env(env)


class LiveServer:
    """A real Shoal web process (Tornado) on a loopback port, in a thread."""

    def __init__(
        self,
        settings: Settings,
        database: peewee.Database | None = None,
        port: int = 0,
        **app_settings: object,
    ) -> None:
        """`app_settings` override the Application's settings (make_app's overrides)."""
        self.database = database or make_database(settings.database_url)
        self.app_settings = app_settings
        self.sockets = self.bind(port)
        port = self.sockets[0].getsockname()[1]
        self.settings = settings.with_(host=f"127.0.0.1:{port}", port=port)
        self.url = f"http://127.0.0.1:{port}"
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def bind(self, port: int) -> list:
        """The listening sockets: 127.0.0.1 (the first one's port is the server's)."""
        return tornado.netutil.bind_sockets(port, "127.0.0.1")

    def _run(self) -> None:
        from app.web import make_app

        bind_context(self.database)  # this server's own database, in its thread
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.loop = tornado.ioloop.IOLoop.current()
        self.app = make_app(self.settings, **self.app_settings)
        server = tornado.httpserver.HTTPServer(self.app, max_buffer_size=64 << 20)
        server.add_sockets(self.sockets)
        self._ready.set()
        self.loop.start()
        server.stop()
        if not db.is_closed():
            db.close()

    def stop(self) -> None:
        self.loop.add_callback(self.loop.stop)
        self._thread.join(10)
        if hasattr(self.database, "close_all"):  # a PostgreSQL pool: give its connections back
            self.database.close_all()

    def client(self, **kwargs: object) -> Client:
        return Client(self.url, **kwargs)

    def use(self):
        """Bind this server's database in the calling context (`with server.use(): ...`)."""
        return use(self.database)

    def run_jobs(self, limit: int = 100) -> int:
        """Run this server's due jobs, as its worker would; errors propagate."""
        from workers.runner import Runner

        with self.use():
            return Runner(self.settings, worker_id=f"worker-{self.settings.port}").run_once(limit)


class Client(httpx.Client):
    """An HTTP client with a cookie jar that fills in the XSRF token of forms."""

    def __init__(self, base_url: str, **kwargs: object) -> None:
        super().__init__(base_url=base_url, follow_redirects=False, timeout=30, **kwargs)

    def xsrf(self) -> str:
        token = self.cookies.get("_xsrf")
        if not token:
            self.get("/login")
            token = self.cookies.get("_xsrf")
        return token

    def form(self, path: str, data: dict | None = None, **kwargs: object) -> httpx.Response:
        return self.post(path, data={**(data or {}), "_xsrf": self.xsrf()}, **kwargs)

    def login(self, username: str, password: str) -> httpx.Response:
        response = self.form("/login", {"username": username, "password": password})
        assert response.status_code == 303, response.text
        return response

    def token(self, username: str, password: str) -> str:
        """A Bearer token through PeerTube's OAuth flow; also set on this client."""
        oauth = self.get("/api/v1/oauth-clients/local").json()
        response = self.post(
            "/api/v1/users/token",
            data={**oauth, "grant_type": "password", "response_type": "code",
                  "username": username, "password": password},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        access = response.json()["access_token"]
        self.headers["Authorization"] = f"Bearer {access}"
        return access


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    """A running Shoal web server on a free loopback port."""
    live = LiveServer(settings)
    yield live
    live.stop()


@pytest.fixture
def instances(backend: str, settings: Settings, tmp_path: Path) -> Iterator:
    """Make Shoal servers, each with its own database, data folder and port."""
    made: list[LiveServer] = []

    def make(name: str) -> LiveServer:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / name}.db"
            database = make_database(url)
            with use(database):
                migrate()
        else:
            url, database = _fresh_postgres(f"_{name}")
        own = settings.with_(database_url=url, data_dir=tmp_path / name, allow_loopback=True)
        server = LiveServer(own, database)
        with server.use():
            auth.create_user(server.settings, "root", PASSWORD, role=Role.ADMIN)
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def live_settings(server: LiveServer) -> Settings:
    """The settings the running server uses (with its real host and port)."""
    return server.settings


PASSWORD = "correct horse battery"


@pytest.fixture
def local_user(live_settings: Settings) -> User:
    """alice: a plain user of the server with a default channel, password PASSWORD."""
    return auth.create_user(live_settings, "alice", PASSWORD, email="alice@example.org")


@pytest.fixture
def other_user(live_settings: Settings) -> User:
    """bob: another plain user, to check what alice's things look like to others."""
    return auth.create_user(live_settings, "bob", PASSWORD)


@pytest.fixture
def admin_user(live_settings: Settings) -> User:
    """root: the server's administrator."""
    return auth.create_user(live_settings, "root", PASSWORD, role=Role.ADMIN)


@pytest.fixture
def alice(server: LiveServer, local_user: User) -> Client:
    """A browser-like client signed in as alice (session cookie)."""
    client = server.client()
    client.login("alice", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def alice_api(server: LiveServer, local_user: User) -> Client:
    """An API client with alice's Bearer token."""
    client = server.client()
    client.token("alice", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def anon(server: LiveServer) -> Client:
    """A visitor who is not signed in."""
    client = server.client()
    yield client
    client.close()


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("clips")


@pytest.fixture(scope="session")
def clip(clip_dir: Path) -> Path:
    """A real 3 s 320x240 H.264/AAC clip, made once per run."""
    return Path(make_clip(str(clip_dir / "clip.mp4"), seconds=3.0, width=320, height=240))


@pytest.fixture
def run_jobs(live_settings: Settings):
    """Advance the job queue as a worker would; errors propagate."""
    from workers.runner import Runner

    def run() -> int:
        return Runner(live_settings, worker_id="test-worker").run_once()

    return run
