"""A Mastodon-like remote actor for federation tests: a tiny Tornado app on a loopback port.

`StubActor` serves one Person (`/users/<name>`, with its RSA key, its own inbox
`/users/<name>/inbox` and the shared inbox `/inbox` in `endpoints`), WebFinger,
empty followers/following collections and any extra JSON documents a test adds
with `serve()`. It records every GET path and every POST it receives, and checks
each POST's HTTP signature on its own (not with Shoal's verifier): it fetches the
keyId's actor from the sender, rebuilds the signing string from the signed
headers, checks the Digest against the raw body and the RSA signature.

It also sends: `post()` signs a body as Mastodon does (keyId `<actor>#main-key`,
`(request-target) host date digest`) and lets a test break one part of it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import tornado.httpclient
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.web
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

from app.federation.signatures import generate_keypair, sign_headers

AP_JSON = "application/activity+json"
_SIGNATURE_PARAM = re.compile(r'(\w+)="([^"]*)"')


@functools.cache
def keypair(index: int = 0) -> tuple[str, str]:
    """A 2048-bit (private PEM, public PEM) pair, made once per test run for each index."""
    return generate_keypair()


@dataclass
class Received:
    """One POST the stub received, with the outcome of its signature check."""

    path: str
    headers: dict[str, str]
    body: bytes
    key_id: str = ""
    verified: bool = False
    error: str = ""
    activity: Any = field(default=None)


def verify_signature(
    method: str, target: str, headers: dict[str, str], body: bytes, public_pem: str
) -> None:
    """Check a draft-cavage signature independently of Shoal; raise ValueError if bad."""
    params = dict(_SIGNATURE_PARAM.findall(headers.get("signature", "")))
    names = params.get("headers", "date").split()
    if not {"(request-target)", "host", "date", "digest"} <= set(names):
        raise ValueError(f"signed headers are too few: {names}")
    expected = "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()
    if headers.get("digest") != expected:
        raise ValueError(f"digest {headers.get('digest')!r} is not {expected!r}")
    lines = []
    for name in names:
        value = f"{method.lower()} {target}" if name == "(request-target)" else headers[name]
        lines.append(f"{name}: {value}")
    digest = SHA256.new("\n".join(lines).encode())
    try:
        pkcs1_15.new(RSA.import_key(public_pem)).verify(
            digest, base64.b64decode(params.get("signature", ""))
        )
    except ValueError:
        raise ValueError("RSA signature does not verify") from None


class _Handler(tornado.web.RequestHandler):
    """Every path of the stub: GET serves documents, POST records and verifies."""

    def initialize(self, stub: StubActor) -> None:
        self.stub = stub

    def check_xsrf_cookie(self) -> None:
        pass

    def get(self) -> None:
        path = self.request.path
        self.stub.fetches.append(path)
        if path == "/.well-known/webfinger":
            resource = self.get_argument("resource", "")
            if resource != f"acct:{self.stub.name}@{self.stub.host}":
                raise tornado.web.HTTPError(404)
            self.set_header("Content-Type", "application/jrd+json")
            self.finish(json.dumps(self.stub.webfinger()))
            return
        doc = self.stub.document(path)
        if doc is None:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", AP_JSON)
        self.finish(json.dumps(doc))

    async def post(self) -> None:
        headers = {k.lower(): v for k, v in self.request.headers.get_all()}
        record = Received(path=self.request.path, headers=headers, body=self.request.body)
        with contextlib.suppress(ValueError):
            record.activity = json.loads(self.request.body)
        params = dict(_SIGNATURE_PARAM.findall(headers.get("signature", "")))
        record.key_id = params.get("keyId", "")
        try:
            owner = record.key_id.split("#", 1)[0]
            response = await tornado.httpclient.AsyncHTTPClient().fetch(
                owner, headers={"Accept": AP_JSON}
            )
            pem = json.loads(response.body)["publicKey"]["publicKeyPem"]
            verify_signature("POST", self.request.uri, headers, self.request.body, pem)
            record.verified = True
        except Exception as err:  # noqa: BLE001 - any failure is what the test looks at
            record.error = f"{type(err).__name__}: {err}"
        self.stub.received.append(record)
        self.set_status(202 if record.verified else 401)
        self.finish()


class StubActor:
    """A remote actor `name` on its own loopback server (run in a thread, like LiveServer)."""

    def __init__(self, name: str = "bob", keys: tuple[str, str] | None = None) -> None:
        self.name = name
        self.private_key, self.public_key = keys or keypair()
        self.sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = self.sockets[0].getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.actor_url = f"{self.url}/users/{name}"
        self.key_id = f"{self.actor_url}#main-key"
        self.inbox = f"{self.actor_url}/inbox"
        self.shared_inbox = f"{self.url}/inbox"
        self.received: list[Received] = []
        self.fetches: list[str] = []
        self.documents: dict[str, dict] = {}
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        self.loop = tornado.ioloop.IOLoop.current()
        app = tornado.web.Application([(r"/.*", _Handler, {"stub": self})])
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(self.sockets)
        self._ready.set()
        self.loop.start()
        server.stop()

    def stop(self) -> None:
        self.loop.add_callback(self.loop.stop)
        self._thread.join(10)

    # --- what it serves -------------------------------------------------------------------

    def actor_document(self) -> dict[str, Any]:
        """The Person document, shaped like Mastodon's (and the fixture stub's)."""
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.actor_url,
            "type": "Person",
            "preferredUsername": self.name,
            "name": self.name.capitalize(),
            "url": self.actor_url,
            "inbox": self.inbox,
            "outbox": f"{self.actor_url}/outbox",
            "followers": f"{self.actor_url}/followers",
            "following": f"{self.actor_url}/following",
            "endpoints": {"sharedInbox": self.shared_inbox},
            "publicKey": {
                "id": self.key_id,
                "owner": self.actor_url,
                "publicKeyPem": self.public_key,
            },
        }

    def webfinger(self) -> dict[str, Any]:
        return {
            "subject": f"acct:{self.name}@{self.host}",
            "links": [{"rel": "self", "type": AP_JSON, "href": self.actor_url}],
        }

    def document(self, path: str) -> dict | None:
        if path in self.documents:
            return self.documents[path]
        actor_path = urlsplit(self.actor_url).path
        if path == actor_path:
            return self.actor_document()
        if path in (f"{actor_path}/followers", f"{actor_path}/following"):
            url = f"{self.url}{path}"
            return {
                "id": url,
                "type": "OrderedCollection",
                "totalItems": 0,
                "first": f"{url}?page=1",
            }
        return None

    def serve(self, path: str, doc: dict) -> None:
        """Serve another JSON document (another actor, an object) at `path`."""
        self.documents[path] = doc

    def rotate_key(self, keys: tuple[str, str]) -> None:
        """Replace the actor's key pair; the actor document serves the new public key."""
        self.private_key, self.public_key = keys

    def posts(self, path: str | None = None) -> list[Received]:
        """POSTs received (to `path` only, if given), oldest first."""
        return [r for r in self.received if path is None or r.path == path]

    # --- what it sends --------------------------------------------------------------------

    def signed_headers(
        self,
        url: str,
        body: bytes,
        *,
        key_id: str | None = None,
        private_key: str | None = None,
        now: float | None = None,
    ) -> dict[str, str]:
        """Headers of a signed POST of `body` to `url`, as Mastodon sends them."""
        headers = sign_headers(
            "POST",
            url,
            key_id or self.key_id,
            private_key or self.private_key,
            body=body,
            now=now,
        )
        headers["Content-Type"] = AP_JSON
        return headers

    def post(
        self,
        url: str,
        activity: dict | bytes,
        *,
        key_id: str | None = None,
        private_key: str | None = None,
        now: float | None = None,
        send_body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """POST a signed activity. `send_body` replaces the body after signing (a tampered
        request); `headers` replaces the signed headers altogether (a replay)."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        if headers is None:
            headers = self.signed_headers(
                url, body, key_id=key_id, private_key=private_key, now=now
            )
        return httpx.post(
            url, content=body if send_body is None else send_body, headers=headers, timeout=30
        )
