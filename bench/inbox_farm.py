"""An inbox farm for bench/federation.py: many fake ActivityPub servers in one process.

One Tornado HTTPServer listens on ``servers`` loopback ports; each port stands
for one remote server (``127.0.0.1:PORT``), told apart by the socket a request
arrived on. Each server has:

- a shared inbox ``POST /inbox`` (and ``/users/<name>/inbox``) that verifies the
  HTTP signature of every delivery on its own -- Digest, Date, the signed header
  list, RSA-SHA256 against the sender's ``publicKeyPem`` -- fetching the sender's
  actor document from Shoal once per server (cached, concurrent requests wait on
  one fetch), and records when each activity type first arrived;
- actor documents ``GET /accounts/s<K>`` (Person) and ``GET /video-channels/s<K>_channel``
  (Group, attributedTo the Person) for the sender actors of the inbox test, with
  their public keys, so Shoal can fetch them on first contact.

A control server on one more port (JSON) lets the benchmark read the figures
(``GET /stats``), clear them (``POST /reset``), and make the farm's actors send
signed Create{Video} activities to Shoal's inbox (``POST /send``, progress at
``GET /send``), at a target rate or as fast as a number of connections allows.

This module does not import Shoal: signing and verifying here are written
independently from app/federation/signatures.py, so the two check each other.
Only Tornado and pycryptodome are needed. ``run()`` is the process entry point.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import hashlib
import json
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

AP_JSON = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
MAX_SKEW = 1800.0
_PARAM = re.compile(r'(\w+)="([^"]*)"')
KEY_CACHE = os.path.join(tempfile.gettempdir(), "shoal-bench", "farm-keys-2048.json")


def sender_keys(count: int) -> list[str]:
    """``count`` distinct RSA-2048 private keys (PEM), made once and cached on disk.

    pycryptodome needs about 0.3 s per key, so a first run with 300 senders spends
    about a minute and a half here; later runs read the cache.
    """
    keys: list[str] = []
    if os.path.exists(KEY_CACHE):
        with open(KEY_CACHE) as fh:
            keys = json.load(fh)
    if len(keys) < count:
        started = time.perf_counter()
        print(f"farm: generating {count - len(keys)} RSA-2048 sender keys (cached)", flush=True)
        keys += [RSA.generate(2048).export_key(pkcs=1).decode() for _ in range(count - len(keys))]
        os.makedirs(os.path.dirname(KEY_CACHE), exist_ok=True)
        partial = f"{KEY_CACHE}.{os.getpid()}"
        with open(partial, "w") as fh:
            json.dump(keys, fh)
        os.replace(partial, KEY_CACHE)
        print(f"farm: keys made in {time.perf_counter() - started:.1f} s", flush=True)
    return keys[:count]


def digest_of(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def sign(key: RSA.RsaKey, key_id: str, url: str, body: bytes) -> dict[str, str]:
    """Mastodon/PeerTube-style signed POST headers (rsa-sha256, keyId ending in #main-key)."""
    parts = urlsplit(url)
    date = email.utils.formatdate(usegmt=True)
    digest = digest_of(body)
    signed = (
        f"(request-target): post {parts.path}\nhost: {parts.netloc}\ndate: {date}\ndigest: {digest}"
    )
    signature = base64.b64encode(pkcs1_15.new(key).sign(SHA256.new(signed.encode()))).decode()
    return {
        "Host": parts.netloc,
        "Date": date,
        "Digest": digest,
        "Content-Type": AP_JSON,
        "Signature": f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="(request-target) host date digest",signature="{signature}"',
    }


class Farm:
    """The state shared by every fake server of the process."""

    def __init__(self, ports: list[int], senders: int) -> None:
        self.ports = ports
        self.private_pems = sender_keys(senders)
        self.private_keys = [RSA.import_key(pem) for pem in self.private_pems]
        self.public_pems = [k.publickey().export_key().decode() for k in self.private_keys]
        self.key_futures: dict[tuple[int, str], asyncio.Future[RSA.RsaKey]] = {}
        self.imported: dict[str, RSA.RsaKey] = {}
        self.send_status: dict[str, Any] = {"state": "idle"}
        self.reset()

    def reset(self) -> None:
        self.first: dict[str, dict[int, float]] = {}  # activity type -> port -> first arrival
        self.received: Counter[str] = Counter()
        self.verified = 0
        self.failures: Counter[str] = Counter()
        self.key_fetches = 0
        self.actor_gets = 0

    def sender_of(self, index: int) -> tuple[int, str, str]:
        """(port, Person id, Group id) of sender actor ``index``."""
        port = self.ports[index % len(self.ports)]
        base = f"http://127.0.0.1:{port}"
        return port, f"{base}/accounts/s{index}", f"{base}/video-channels/s{index}_channel"

    async def key_for(self, port: int, key_id: str) -> RSA.RsaKey:
        """The sender's public key, fetched once per (server, key) like a real server."""
        cache_key = (port, key_id.split("#", 1)[0])
        future = self.key_futures.get(cache_key)
        if future is None:
            future = asyncio.ensure_future(self._fetch_key(cache_key[1]))
            self.key_futures[cache_key] = future
        try:
            return await asyncio.shield(future)
        except Exception:
            self.key_futures.pop(cache_key, None)  # fetch again next time
            raise

    async def _fetch_key(self, actor_url: str) -> RSA.RsaKey:
        self.key_fetches += 1
        response = await AsyncHTTPClient().fetch(
            HTTPRequest(actor_url, headers={"Accept": AP_JSON}, request_timeout=30)
        )
        pem = json.loads(response.body)["publicKey"]["publicKeyPem"]
        if pem not in self.imported:
            self.imported[pem] = RSA.import_key(pem)
        return self.imported[pem]

    async def verify(self, port: int, request: tornado.httputil.HTTPServerRequest) -> None:
        """Raise ValueError unless the request carries a valid signature over the needed headers."""
        headers = request.headers
        if headers.get("Digest") != digest_of(request.body):
            raise ValueError("digest mismatch")
        params = dict(_PARAM.findall(headers.get("Signature", "")))
        if "keyId" not in params or "signature" not in params:
            raise ValueError("no signature")
        if params.get("algorithm", "rsa-sha256").lower() not in ("rsa-sha256", "hs2019"):
            raise ValueError("algorithm")
        names = params.get("headers", "date").lower().split()
        if not {"(request-target)", "host", "date", "digest"} <= set(names):
            raise ValueError("a required header is not signed")
        date = email.utils.parsedate_to_datetime(headers.get("Date", ""))
        if abs(time.time() - date.timestamp()) > MAX_SKEW:
            raise ValueError("date skew")
        lines = []
        for name in names:
            if name == "(request-target)":
                lines.append(f"(request-target): {request.method.lower()} {request.uri}")
            else:
                lines.append(f"{name}: {', '.join(headers.get_list(name))}")
        key = await self.key_for(port, params["keyId"])
        signature = base64.b64decode(params["signature"])
        try:
            pkcs1_15.new(key).verify(SHA256.new("\n".join(lines).encode()), signature)
        except ValueError:
            raise ValueError("bad RSA signature") from None

    def stats(self) -> dict[str, Any]:
        return {
            "ports": self.ports,
            "first": {kind: {str(p): t for p, t in by.items()} for kind, by in self.first.items()},
            "received": dict(self.received),
            "verified": self.verified,
            "failures": dict(self.failures),
            "key_fetches": self.key_fetches,
            "actor_gets": self.actor_gets,
        }


class FarmHandler(tornado.web.RequestHandler):
    """Base: which fake server (port) the request reached."""

    def initialize(self, farm: Farm) -> None:
        self.farm = farm

    @property
    def port(self) -> int:
        sock = self.request.connection.stream.socket  # type: ignore[union-attr]
        return sock.getsockname()[1]

    def check_xsrf_cookie(self) -> None:
        pass

    def send_json(self, doc: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", AP_JSON)
        self.finish(json.dumps(doc))


class InboxHandler(FarmHandler):
    """A shared (or personal) inbox that verifies, records and answers 202."""

    async def post(self, _name: str | None = None) -> None:
        port = self.port
        try:
            await self.farm.verify(port, self.request)
        except Exception as err:  # noqa: BLE001 - every refusal is counted by reason
            self.farm.failures[f"{type(err).__name__}: {err}"[:120]] += 1
            self.send_json({"error": str(err)}, 401)
            return
        arrived = time.time()
        kind = str(json.loads(self.request.body).get("type"))
        self.farm.verified += 1
        self.farm.received[kind] += 1
        self.farm.first.setdefault(kind, {}).setdefault(port, arrived)
        self.set_status(202)
        self.finish()


class ActorHandler(FarmHandler):
    """Person s<K> and Group s<K>_channel of this server, with the Person's public key."""

    def get(self, kind: str, name: str) -> None:
        match = re.fullmatch(r"s(\d+)(_channel)?", name)
        index = int(match.group(1)) if match else -1
        is_group = bool(match and match.group(2))
        if (
            not match
            or index >= len(self.farm.private_keys)
            or is_group != (kind == "video-channels")
            or self.farm.sender_of(index)[0] != self.port
        ):
            self.send_json({"error": "no such actor"}, 404)
            return
        self.farm.actor_gets += 1
        _, person, group = self.farm.sender_of(index)
        base = f"http://127.0.0.1:{self.port}"
        url = group if is_group else person
        doc = {
            "@context": CONTEXT,
            "type": "Group" if is_group else "Person",
            "id": url,
            "preferredUsername": name,
            "name": f"Bench {name}",
            "url": url,
            "inbox": f"{url}/inbox",
            "outbox": f"{url}/outbox",
            "followers": f"{url}/followers",
            "following": f"{url}/following",
            "endpoints": {"sharedInbox": f"{base}/inbox"},
            "publicKey": {
                "id": f"{person}#main-key",
                "owner": person,
                "publicKeyPem": self.farm.public_pems[index],
            },
            "summary": None,
        }
        if is_group:
            doc["publicKey"]["id"] = f"{group}#main-key"
            doc["attributedTo"] = [{"type": "Person", "id": person}]
        self.send_json(doc)


def video_create(farm: Farm, index: int, sender: int) -> tuple[str, dict]:
    """A Create{Video} from sender actor ``sender``, as a PeerTube server would send it."""
    port, person, group = farm.sender_of(sender)
    base = f"http://127.0.0.1:{port}"
    video_uuid = str(uuid.uuid4())
    url = f"{base}/videos/watch/{video_uuid}"
    media = f"{base}/static/streaming-playlists/hls/{video_uuid}"
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    files = [
        {"type": "Link", "mediaType": "video/mp4",
         "href": f"{media}/{video_uuid}-{h}-fragmented.mp4",
         "height": h, "width": w, "size": 1_000_000 * h // 240, "fps": 30}
        for h, w in ((720, 1280), (480, 854), (240, 426))
    ]  # fmt: skip
    video = {
        "type": "Video", "id": url, "name": f"Farm video {index}", "duration": "PT60S",
        "uuid": video_uuid, "views": 0, "sensitive": False, "waitTranscoding": True, "state": 1,
        "commentsEnabled": True, "downloadEnabled": True, "published": now, "updated": now,
        "originallyPublishedAt": None, "tag": [{"type": "Hashtag", "name": "bench"}],
        "mediaType": "text/markdown", "content": f"Video {index} of the inbox benchmark.",
        "support": None, "aspectRatio": 1.7778,
        "icon": [{"type": "Image", "url": f"{base}/lazy-static/thumbnails/{video_uuid}.jpg",
                  "mediaType": "image/jpeg", "width": 280, "height": 157}],
        "url": [
            {"type": "Link", "mediaType": "text/html", "href": url},
            {"type": "Link", "mediaType": "application/x-mpegURL", "href": f"{media}/master.m3u8",
             "tag": [{"type": "Link", "name": "sha256", "mediaType": "application/json",
                      "href": f"{media}/segments-sha256.json"}, *files]},
        ],
        "attributedTo": [{"type": "Person", "id": person}, {"type": "Group", "id": group}],
        "to": [PUBLIC], "cc": [f"{person}/followers"],
    }  # fmt: skip
    create = {
        "@context": CONTEXT, "to": [PUBLIC], "cc": [f"{person}/followers"], "type": "Create",
        "id": f"{url}/activity", "actor": person, "object": video,
    }  # fmt: skip
    return person, create


class SendHandler(FarmHandler):
    """POST: start sending signed Create{Video}s to Shoal; GET: progress and figures."""

    def get(self) -> None:
        self.send_json(self.farm.send_status)

    def post(self) -> None:
        if self.farm.send_status.get("state") == "running":
            self.send_json({"error": "already sending"}, 409)
            return
        spec = json.loads(self.request.body)
        self.farm.send_status = {"state": "signing"}
        asyncio.ensure_future(send(self.farm, spec))
        self.send_json({"state": "started"})


async def send(farm: Farm, spec: dict) -> None:
    """Sign ``count`` activities (before the clock starts), then POST them at ``rate``/s,
    or as fast as ``concurrency`` connections go when ``rate`` is 0."""
    inbox, count = spec["inbox"], int(spec["count"])
    rate, concurrency = float(spec.get("rate") or 0), int(spec.get("concurrency") or 16)
    senders = min(int(spec.get("senders") or len(farm.private_keys)), len(farm.private_keys))
    started = time.perf_counter()
    prepared = []
    for i in range(count):
        sender = i % senders
        person, create = video_create(farm, i, sender)
        body = json.dumps(create).encode()
        headers = sign(farm.private_keys[sender], f"{person}#main-key", inbox, body)
        prepared.append((body, headers))
    status: dict[str, Any] = {
        "state": "running", "count": count, "rate": rate, "concurrency": concurrency,
        "senders": senders, "sign_seconds": time.perf_counter() - started, "sent": 0, "done": 0,
        "codes": {}, "errors": {}, "t_start": time.time(), "t_end": None,
    }  # fmt: skip
    farm.send_status = status
    codes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    client = AsyncHTTPClient()

    async def post(i: int) -> None:
        body, headers = prepared[i]
        status["sent"] += 1
        began = time.perf_counter()
        try:
            response = await client.fetch(
                HTTPRequest(inbox, method="POST", headers=headers, body=body,
                            request_timeout=120, connect_timeout=60),
                raise_error=False,
            )  # fmt: skip
            codes[str(response.code)] += 1
            if response.code >= 300:
                errors[f"{response.code} {response.body[:100]!r}"] += 1
        except Exception as err:  # noqa: BLE001
            codes["error"] += 1
            errors[f"{type(err).__name__}: {err}"[:120]] += 1
        latencies.append(time.perf_counter() - began)
        status["done"] += 1
        status["codes"] = dict(codes)
        status["t_last"] = time.time()

    t0 = time.perf_counter()
    if rate > 0:  # open loop: the i-th POST leaves at i/rate whatever the answers
        tasks = []
        limit = asyncio.Semaphore(max(concurrency, 1))

        async def paced(i: int) -> None:
            async with limit:
                await post(i)

        for i in range(count):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(paced(i)))
        status["offered_seconds"] = time.perf_counter() - t0
        await asyncio.gather(*tasks)
    else:  # closed loop: ``concurrency`` connections, each sends as soon as it is answered
        queue = iter(range(count))

        async def worker() -> None:
            for i in queue:
                await post(i)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        status["offered_seconds"] = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    status.update(
        state="done",
        t_end=time.time(),
        seconds=time.perf_counter() - t0,
        errors=dict(errors.most_common(5)),
        latency={"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": pct(1.0)},
    )


class StatsHandler(FarmHandler):
    def get(self) -> None:
        self.send_json(self.farm.stats())


class ResetHandler(FarmHandler):
    def post(self) -> None:
        self.farm.reset()
        self.send_json({"ok": True})


def run(conn: Connection, servers: int, senders: int) -> None:
    """Process entry: bind the ports, report them on ``conn``, serve until terminated."""
    sockets = [tornado.netutil.bind_sockets(0, "127.0.0.1")[0] for _ in range(servers)]
    ports = [s.getsockname()[1] for s in sockets]
    control = tornado.netutil.bind_sockets(0, "127.0.0.1")
    farm = Farm(ports, senders)

    async def main() -> None:
        AsyncHTTPClient.configure(None, max_clients=1024)
        args = {"farm": farm}
        quiet = {"log_function": lambda _handler: None}  # refusals are counted in /stats
        app = tornado.web.Application(
            [
                (r"/inbox", InboxHandler, args),
                (r"/users/([^/]+)/inbox", InboxHandler, args),
                (r"/(accounts|video-channels)/([^/]+)", ActorHandler, args),
            ],
            **quiet,
        )
        server = tornado.httpserver.HTTPServer(app)
        server.add_sockets(sockets)
        control_app = tornado.web.Application(
            [
                (r"/stats", StatsHandler, args),
                (r"/reset", ResetHandler, args),
                (r"/send", SendHandler, args),
            ],
            **quiet,
        )
        control_server = tornado.httpserver.HTTPServer(control_app)
        control_server.add_sockets(control)
        conn.send({"ports": ports, "control": control[0].getsockname()[1]})
        conn.close()
        await asyncio.Event().wait()

    asyncio.run(main())
