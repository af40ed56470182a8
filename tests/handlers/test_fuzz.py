"""A bounded, seeded fuzz of Shoal's PeerTube API: no request may get a 5xx.

The requests come from PeerTube 6.3's own OpenAPI description of its REST API
(`peertube-6.3-openapi.yaml` beside this file: PeerTube's published
support/doc/api/openapi.yaml, AGPLv3, as captured in shared/fixtures/peertube-6.3/
with its test servers replaced by a loopback address; the file is unchanged, and
two slips of it are mended when it is read). schemathesis turns each operation
into requests:
- a few random ones drawn by Hypothesis with a fixed seed, valid and (where a
  query or a body can be broken) schema-breaking, each sent by an anonymous
  visitor and by the administrator (Bearer token);
- for operations with a body, its coverage cases: every field missing, of each
  wrong type, at and past its bounds, sent as the administrator to alice's real
  user, video or channel, since a refusal for an unknown id would hide the rest.
Every operation whose path reaches one of Shoal's handlers is tried, and every
API route also gets a few bodies that break JSON or forms. The run is the same
every time and takes about a minute.

It runs on SQLite only: the handlers' input checks do not depend on the
database, and one backend keeps the fuzz inside the suite's time. A 5xx fails
the test with the requests that caused it, as curl commands.

Nothing leaves the machine: outgoing fetches (a search for a remote handle,
say) are refused before any name is resolved.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import hypothesis.configuration
import hypothesis.errors
import pytest
import requests
import schemathesis
import tornado.web
import yaml
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode

from app import auth
from app.db import make_database, migrate
from app.federation import fetch
from app.settings import Settings
from app.web import NotFoundAPIHandler, NotFoundPageHandler, routes
from models import use, utcnow
from models.accounts import Account, Channel, Role
from models.videos import State, Video
from tests.conftest import PASSWORD, LiveServer
from tests.handlers.test_security import _url

SPEC = Path(__file__).with_name("peertube-6.3-openapi.yaml")
SEED = 20241119
EXAMPLES = 3  # random cases per operation and generation mode, each sent by both clients
# Values tried for a path parameter to see whether an operation reaches a handler.
SAMPLES = ("1", "xml", "atom", "json", "root", "root_channel", "root@127.0.0.1")


def _ecma_patterns(node: object) -> object:
    """PeerTube writes some patterns as JavaScript literals ('/^[a-z0-9._]+$/'); JSON
    Schema's are bare, so no string ever matched them and no body could be generated."""
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and (literal := re.fullmatch(r"/(.*)/[a-z]*", pattern)):
            node["pattern"] = literal.group(1)
        for value in node.values():
            _ecma_patterns(value)
    elif isinstance(node, list):
        for value in node:
            _ecma_patterns(value)
    return node


def _load_spec() -> schemathesis.BaseSchema:
    text = SPEC.read_text(encoding="utf-8")
    # One example in PeerTube's file indents with a tab, which YAML forbids.
    raw = yaml.load(text.replace("\t", " "), Loader=yaml.CSafeLoader)  # libyaml: 5 times faster
    return schemathesis.openapi.from_dict(_ecma_patterns(raw))


def _handler_of(path: str) -> type | None:
    """The handler Shoal routes `path` to, if not one of the 404 catch-alls."""
    for route in routes():
        if re.fullmatch(route[0], path):
            handler = route[1]
            return None if handler in (NotFoundAPIHandler, NotFoundPageHandler) else handler
    return None


def _reaches_shoal(operation) -> bool:
    method = operation.method.lower()
    for sample in SAMPLES:
        handler = _handler_of(re.sub(r"\{[^}]+\}", sample, operation.path))
        implemented = getattr(handler, method, None)
        if implemented is not None and implemented is not getattr(
            tornado.web.RequestHandler, method
        ):
            return True
    return False


SCHEMA = _load_spec()
# 5xx this fuzz found outside the API's input checks, reported to be fixed where they
# are. Each is expected to fail until then, and fails the run (strict) once it does not.
KNOWN_5XX: dict[tuple[str, str], str] = {}  # (method, path) -> why, while one is being fixed
OPERATIONS = [
    pytest.param(
        op,
        id=f"{op.method.upper()} {op.path}",
        marks=[
            pytest.mark.xfail(strict=True, reason=reason)
            for reason in [KNOWN_5XX.get((op.method.upper(), op.path))]
            if reason
        ],
    )
    for op in (result.ok() for result in SCHEMA.get_all_operations())
    if _reaches_shoal(op)
]


class Fuzzed:
    """The server under fuzz, its administrator, and the objects paths can name."""

    def __init__(self, server: LiveServer, root, known: dict[str, object]) -> None:
        self.server = server
        self.root = root
        self.known = known

    def admin_headers(self) -> dict[str, str]:
        """A fresh token for each operation: one may revoke it (revoke-token)."""
        with self.server.use():
            token = auth.issue_token(self.root, auth.local_client())
        return {"Authorization": f"Bearer {token.access_token}"}

    def known_path(self, operation) -> dict[str, object] | None:
        """Path parameters naming alice's things, so that bodies reach a real object
        (not for DELETE: what it removes, later operations would miss)."""
        names = [p.name for p in operation.path_parameters]
        if not names or operation.method.lower() == "delete":
            return None
        kind = "user" if operation.path.startswith("/api/v1/users/{id}") else "video"
        values = {**self.known, "id": self.known[f"{kind}_id"]}
        if not all(name in values for name in names):
            return None
        return {name: values[name] for name in names}


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A Shoal server on SQLite with root (administrator), alice, her channel and her
    published video; outgoing fetches are refused while it runs."""
    tmp = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{tmp / 'shoal.db'}"
    database = make_database(url)
    with use(database):
        migrate()
    settings = Settings.from_env(
        {
            "DATABASE_URL": url,
            "SHOAL_DATA": str(tmp / "data"),
            "SHOAL_LADDER": "240,144",
            "SHOAL_SECRET": "fuzz-secret-" + "x" * 32,
            "SHOAL_LOGIN_RATE": "1000",
        }
    )

    def offline(settings: Settings, url: str) -> None:
        raise fetch.FetchError(f"the fuzz fetches nothing ({url[:100]})", 400)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fetch, "check_url", offline)
        # Hypothesis keeps what it learns in .hypothesis/ of the working folder: not ours
        hypothesis.configuration.set_hypothesis_home_dir(tmp / "hypothesis")
        server = LiveServer(settings, database)
        try:
            with server.use():
                root = auth.create_user(server.settings, "root", PASSWORD, role=Role.ADMIN)
                alice = auth.create_user(server.settings, "alice", PASSWORD)
                channel = Channel.select().join(Account).where(Account.user == alice).get()
                video = Video.create(
                    uuid=uuid.uuid4(),
                    channel=channel,
                    name="Cats over P2P",
                    state=State.PUBLISHED,
                    published_at=utcnow(),
                )
            known = {
                "user_id": alice.id,
                "video_id": video.id,
                "name": "alice",
                "channelHandle": channel.name,
                "subscriptionHandle": channel.name,
            }
            yield Fuzzed(server, root, known)
        finally:
            server.stop()
            hypothesis.configuration.set_hypothesis_home_dir(None)


def _call(url: str, case, headers: dict, session: requests.Session) -> str | None:
    """Send one case; for a 5xx, the request as a curl command (the token filtered out)."""
    response = case.call(base_url=url, session=session, headers=headers, timeout=20)
    if response.status_code < 500:
        return None
    return f"{response.status_code} from {case.as_curl_command(headers=headers)}"


def _random_cases(url: str, strategy, clients: list[dict], examples: int) -> list[str]:
    """A few cases drawn from `strategy` (seeded), each sent once per client."""
    found: list[str] = []
    session = requests.Session()

    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.seed(SEED)
    @hypothesis.given(case=strategy)
    def probe(case) -> None:
        found.extend(filter(None, (_call(url, case, h, session) for h in clients)))

    try:
        probe()
    except hypothesis.errors.Unsatisfiable:
        pass  # no such case for this operation
    finally:
        session.close()
    return found


def _coverage_cases(url: str, operation, headers: dict, known: dict | None) -> list[str]:
    """schemathesis's coverage cases of a body: each field missing, of every wrong type,
    at and past its bounds, and the whole body valid; sent as root to a known object."""
    found: list[str] = []
    cases = SCHEMA.iter_coverage_cases(
        operation,
        generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=SCHEMA.config.generation_for(operation=operation),
    )
    with requests.Session() as session:
        for case in cases:
            if known is not None:
                case.path_parameters = dict(known)
            found.extend(filter(None, [_call(url, case, headers, session)]))
    return found


@pytest.mark.parametrize("operation", OPERATIONS)
def test_no_request_gets_a_server_error(fuzzed, operation):
    """Valid and schema-breaking requests, as root and as a visitor: none gets a 5xx."""
    url, admin = fuzzed.server.url, fuzzed.admin_headers()
    # A path's strings cannot be broken (in a URL everything is a string): requests
    # that break the schema need a query or a body.
    breakable = bool(len(operation.body) or len(operation.query))
    errors: list[str] = []
    for mode in [GenerationMode.POSITIVE] + [GenerationMode.NEGATIVE] * breakable:
        strategy = operation.as_strategy(generation_mode=mode)
        errors += _random_cases(url, strategy, [{}, admin], EXAMPLES)
    if len(operation.body):
        errors += _coverage_cases(url, operation, admin, fuzzed.known_path(operation))
    assert not errors, "\n".join(dict.fromkeys(errors))


# Bodies no client should send, for every API route that takes one.
HOSTILE_BODIES = [
    ("application/json", b"[" * 100_000),  # deeper than any parser recurses
    ("application/json", b'{"name": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
    ("application/json", b'\xff\xfe{"name": "x"}'),  # not UTF-8
    ("application/json", b"[1, 2]"),
    (
        "application/json",
        b'{"ids": [1e400], "videoQuota": 1e400, "name": {"$gt": ""}, "tags": null}',
    ),
    ("application/x-www-form-urlencoded", b"tags[%C2%B2]=x&tags[99999999999999999999]=y&name=%FF"),
]


def test_every_api_route_refuses_hostile_bodies_without_a_server_error(fuzzed):
    """Every API route and write method, as root, with bodies that break JSON or forms
    (including routes PeerTube's description does not have). Runs last: it may delete."""
    errors: list[str] = []
    for route in routes():
        pattern, handler = route[0], route[1]
        if not pattern.startswith("/api/") or handler is NotFoundAPIHandler:
            continue
        path = _url(pattern)
        for method in ("post", "put", "patch", "delete"):
            implemented = getattr(handler, method, None)
            if implemented is None or implemented is getattr(tornado.web.RequestHandler, method):
                continue
            for ctype, body in HOSTILE_BODIES:
                headers = {**fuzzed.admin_headers(), "Content-Type": ctype}
                response = requests.request(
                    method, fuzzed.server.url + path, data=body, headers=headers, timeout=20
                )
                if response.status_code >= 500:
                    errors.append(
                        f"{response.status_code} from {method.upper()} {path} {body[:80]!r}"
                    )
    assert not errors, "\n".join(errors)


def test_the_fuzz_reaches_the_api_that_takes_input():
    """If routes or the description drift apart, the fuzz must not quietly shrink."""
    reached = {f"{p.values[0].method.upper()} {p.values[0].path}" for p in OPERATIONS}
    assert {
        "POST /api/v1/users/register",
        "POST /api/v1/users",
        "PUT /api/v1/users/{id}",
        "PUT /api/v1/users/me",
        "PUT /api/v1/videos/{id}",
        "POST /api/v1/videos/upload",
        "POST /api/v1/server/following",
        "POST /api/v1/users/me/subscriptions",
        "POST /api/v1/users/me/notifications/read",
        "PUT /api/v1/users/me/notification-settings",
        "POST /api/v1/video-channels",
        "GET /api/v1/search/videos",
    } <= reached
    assert len(reached) >= 70
