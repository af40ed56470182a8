"""The tracker's wire protocols: WebTorrent over WebSocket and BitTorrent over HTTP.

- `/tracker/socket`: the WebSocket handshake here, then WebTorrent's JSON
  messages in handlers/tracker_socket.py, as p2p-media-loader's bundled
  bittorrent-tracker client sends them.
- `/tracker/announce`, `/tracker/scrape`: BEP 3 announces with bencoded
  replies (BEP 23 compact peers, BEP 7 `peers6`), BEP 48 scrapes.

Public and stateless per request: no session, no XSRF, no user. Refusals are
BitTorrent "failure reason"s (HTTP 200 with a bencoded dict; on a WebSocket a
JSON message, then that socket alone is closed). The state is an
app.tracker.Tracker in the application's settings under "tracker", made on
first use with app.tracker_swarms' predicate for the "shoal" settings.

A tracker holds one socket per viewer and moves many small messages, so it
does not use Tornado's WebSocketHandler, whose per-socket stack was most of
its memory and time (bench/tracker.py): `TrackerSocketHandler` answers the
opening handshake and hands the TCP socket to a `TrackerConnection`.
"websocket_max_message_size" bounds a message, "websocket_ping_interval" sets
the keepalive (seconds; 0 turns it off).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import ipaddress
import logging
import socket
import struct
from typing import Any
from urllib.parse import parse_qsl

import tornado.iostream
import tornado.web

from app.tracker import ID_LENGTH, MAX_NUMWANT, Peer, Tracker, TrackerError, bencode
from handlers.tracker_socket import MAX_MESSAGE, TrackerConnection, keepalive_of

log = logging.getLogger(__name__)

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's, for Sec-WebSocket-Accept


def tracker_of(application: tornado.web.Application) -> Tracker:
    """The application's tracker, made on first use (one per process)."""
    tracker = application.settings.get("tracker")
    if tracker is None:
        # Imported here: a tracker given its own predicate (a benchmark, a test)
        # has no use for the database layer this brings in.
        from app.tracker_swarms import KnownSwarms

        known = KnownSwarms(application.settings["shoal"]).known_infohash
        tracker = application.settings.setdefault("tracker", Tracker(known))
    return tracker


class TrackerSocketHandler(tornado.web.RequestHandler):
    """GET /tracker/socket: the WebSocket opening handshake (RFC 6455 section 4.2).

    Once it is accepted, the TCP socket leaves Tornado's HTTP machinery: it is
    handed to the event loop as a plain asyncio transport driven by a
    `TrackerConnection`. A tracker holds one socket per viewer, and Tornado's
    per-socket stack (request, handler, IOStream, WebSocket protocol, the
    coroutines awaiting its reads) was most of the tracker's memory
    (bench/tracker.py). Shoal serves plain HTTP behind its reverse proxy, which
    terminates TLS, so the socket is always a plain TCP socket.
    """

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.set_header("Cache-Control", "no-store")

    def refuse(self, status: int, reason: str) -> None:
        self.set_status(status)
        self.finish(reason + "\n")

    async def get(self) -> None:
        headers = self.request.headers
        if headers.get("Upgrade", "").lower() != "websocket":
            return self.refuse(400, 'Can "Upgrade" only to "WebSocket".')
        tokens = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
        if "upgrade" not in tokens:
            return self.refuse(400, '"Connection" must be "Upgrade".')
        if headers.get("Sec-WebSocket-Version") != "13":
            self.set_header("Sec-WebSocket-Version", "13")
            return self.refuse(426, "Only WebSocket version 13 is spoken here.")
        key = headers.get("Sec-WebSocket-Key", "")
        try:
            valid_key = len(base64.b64decode(key, validate=True)) == 16
        except ValueError:
            valid_key = False
        if not valid_key:
            return self.refuse(400, "Missing or invalid Sec-WebSocket-Key.")
        if self.request.version != "HTTP/1.1":
            return self.refuse(400, "A WebSocket needs HTTP/1.1.")
        digest = hashlib.sha1((key + _GUID).encode(), usedforsecurity=False).digest()
        accept = base64.b64encode(digest).decode()
        response = (
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        ).encode()
        conn = TrackerConnection(
            tracker_of(self.application),
            self.request.remote_ip or "",
            keepalive_of(self.application),
            self.settings.get("websocket_max_message_size", MAX_MESSAGE),
            response,
        )
        self.set_status(101)
        self.application.log_request(self)  # the access log's line, as for any request
        stream = self.detach()
        if type(stream) is not tornado.iostream.IOStream or getattr(stream, "_read_buffer_size", 0):
            # TLS (never: the proxy ends it), or bytes sent before our answer,
            # which a client must not do (RFC 6455 section 4.1): nothing to serve.
            stream.close()
            return
        try:
            sock = stream.socket.dup()  # the same connection, out of Tornado's hands
        except OSError:
            stream.close()
            return
        stream.close()
        try:
            await asyncio.get_running_loop().connect_accepted_socket(lambda: conn, sock)
        except OSError:
            sock.close()


# --- HTTP (BEP 3, 7, 23, 48) -------------------------------------------------------------


class _HTTPTrackerHandler(tornado.web.RequestHandler):
    """Common parts: raw query parsing, bencoded replies, failure reasons."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.set_header("Cache-Control", "no-store")

    def params(self) -> list[tuple[str, str]]:
        """The query's pairs, values as latin-1 str: one character per raw byte."""
        return parse_qsl(self.request.query, keep_blank_values=True, encoding="latin-1")

    def reply(self, value: dict[str, Any]) -> None:
        self.finish(bencode(value))

    def fail(self, reason: str) -> None:
        self.reply({"failure reason": reason})

    def admitted(self, tracker: Tracker) -> bool:
        if tracker.admit(self.request.remote_ip or ""):
            return True
        self.fail("too many requests from your address; slow down")
        return False


def _int(value: str | None, default: int | None = None, top: int = 2**63) -> int | None:
    if value is None or value == "":
        return default
    if not value.isdigit() or int(value) >= top:
        raise ValueError(value)
    return int(value)


class HTTPAnnounceHandler(_HTTPTrackerHandler):
    """GET /tracker/announce: a BitTorrent client joins, updates or leaves a swarm."""

    def get(self) -> None:
        tracker = tracker_of(self.application)
        if not self.admitted(tracker):
            return
        query = dict(self.params())
        info_hash, peer_id = query.get("info_hash", ""), query.get("peer_id", "")
        if len(info_hash) != ID_LENGTH:
            return self.fail("invalid info_hash")
        if len(peer_id) != ID_LENGTH:
            return self.fail("invalid peer_id")
        try:
            port = _int(query.get("port"), top=65536)
            left = _int(query.get("left"))
            numwant = _int(query.get("numwant"), 50, top=2**31)
            compact = query.get("compact", "1") != "0"
            for key in ("uploaded", "downloaded"):
                _int(query.get(key))
        except ValueError:
            return self.fail("invalid number")
        if not port:
            return self.fail("invalid port")
        ip = self.request.remote_ip or ""
        try:
            swarm, peers = tracker.announce(
                info_hash,
                peer_id,
                ip=ip,
                port=port,
                event=query.get("event") or None,
                left=left,
                numwant=min(numwant or 0, MAX_NUMWANT),
            )
        except TrackerError as err:
            return self.fail(err.reason)
        reply: dict[str, Any] = {
            "interval": tracker.interval,
            "min interval": tracker.interval // 2,
            "complete": swarm.complete if swarm else 0,
            "incomplete": swarm.incomplete if swarm else 0,
        }
        if compact:
            reply["peers"], peers6 = _compact(peers)
            if peers6:
                reply["peers6"] = peers6
        else:
            reply["peers"] = [
                {"peer id": p.peer_id.encode("latin-1"), "ip": p.ip, "port": p.port} for p in peers
            ]
        self.reply(reply)


def _compact(peers: list[Peer]) -> tuple[bytes, bytes]:
    """BEP 23 (6 bytes per IPv4 peer) and BEP 7 (18 bytes per IPv6 peer) strings."""
    v4, v6 = [], []
    for peer in peers:
        try:
            address = ipaddress.ip_address(peer.ip)
        except ValueError:
            continue
        if address.version == 6 and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        port = struct.pack("!H", peer.port)
        if address.version == 4:
            v4.append(socket.inet_aton(str(address)) + port)
        else:
            v6.append(address.packed + port)
    return b"".join(v4), b"".join(v6)


class HTTPScrapeHandler(_HTTPTrackerHandler):
    """GET /tracker/scrape: counts of the swarms asked for (of all swarms if none)."""

    def get(self) -> None:
        tracker = tracker_of(self.application)
        if not self.admitted(tracker):
            return
        wanted = [v for k, v in self.params() if k == "info_hash"]
        if len(wanted) > MAX_NUMWANT:
            return self.fail("too many info_hashes")
        if any(len(h) != ID_LENGTH for h in wanted):
            return self.fail("invalid info_hash")
        counts = tracker.scrape(wanted or None)
        files = {
            ih.encode("latin-1"): {"complete": c, "incomplete": i, "downloaded": d}
            for ih, (c, i, d) in counts.items()
        }
        self.reply({"files": files})


ROUTES = [
    (r"/tracker/socket", TrackerSocketHandler),
    (r"/tracker/announce", HTTPAnnounceHandler),
    (r"/tracker/scrape", HTTPScrapeHandler),
]
