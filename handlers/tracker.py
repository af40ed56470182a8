"""The tracker's wire protocols: WebTorrent over WebSocket and BitTorrent over HTTP.

- `/tracker/socket`: WebTorrent's JSON messages, as p2p-media-loader's bundled
  bittorrent-tracker client sends them. An announce carries up to a few
  WebRTC offers; each goes to a different random peer of the swarm, which
  answers through us (`to_peer_id`). The announcer gets the swarm's counts.
- `/tracker/announce`, `/tracker/scrape`: BEP 3 announces with bencoded
  replies (BEP 23 compact peers, BEP 7 `peers6`), BEP 48 scrapes.

Public and stateless per request: no session, no XSRF, no user. Refusals are
BitTorrent "failure reason"s (HTTP 200 with a bencoded dict; on a WebSocket a
JSON message, then that socket alone is closed). The state is an
app.tracker.Tracker in the application's settings under "tracker", made on
first use with app.tracker_swarms' predicate for the "shoal" settings.

A tracker holds one socket per viewer and moves many small messages, so the
socket handler departs from WebSocketHandler's defaults in three measured
ways (bench/tracker.py): frames are read in batches (`_BatchReadingProtocol`),
written in one queue per socket per event-loop turn (`push`), and kept alive
by one timer for all sockets (`_Keepalive`, every "websocket_ping_interval"
seconds, 30 by default) instead of one task per socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
import socket
import struct
from typing import Any
from urllib.parse import parse_qsl

import tornado.ioloop
import tornado.web
import tornado.websocket
from tornado.iostream import StreamBufferFullError, StreamClosedError
from tornado.util import _websocket_mask

from app.tracker import ID_LENGTH, MAX_NUMWANT, Peer, Tracker, TrackerError, bencode

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024  # a few SDP offers fit many times over
PING_INTERVAL = 30.0  # unless the application's "websocket_ping_interval" says otherwise
MAX_OFFERS = 10  # offers relayed per announce (p2p-media-loader sends at most 5)
MAX_SWARMS_PER_SOCKET = 64  # one page plays a few streams; a socket is not a crawler
MAX_BACKLOG = 1 << 20  # bytes waiting for a socket that does not read: then it is dropped
_YIELD_AFTER, _FRAME_COST = 256 * 1024, 1024  # as Tornado's own loop: bytes, + per frame
_NUMBER = (int, float)
_dumps = json.dumps
_quote = json.encoder.encode_basestring_ascii  # a str as a JSON string, in C: dumps' own


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


class _Refusal(Exception):
    """A message we will not serve: say why, then close the socket."""

    def __init__(self, reason: str, info_hash: str | None = None, action: str | None = None):
        super().__init__(reason)
        self.reason, self.info_hash, self.action = reason, info_hash, action


def _id(value: object, name: str, info_hash: str | None = None) -> str:
    if type(value) is not str or len(value) != ID_LENGTH:
        raise _Refusal(f"invalid {name}", info_hash)
    return value


class _BatchReadingProtocol(tornado.websocket.WebSocketProtocol13):
    """Tornado's RFC 6455 protocol, reading every complete frame per wakeup.

    The stock loop awaits three or four `read_bytes` per frame (header, length,
    mask, payload); a tracker's messages are small and many, and that loop was
    most of its time. This one takes whatever the stream has buffered and
    handles each complete frame in it; sending, closing, pings and message
    dispatch stay Tornado's. It overrides one private method, so
    `TrackerSocketHandler.get_websocket_protocol` only uses it when the
    Tornado version has what it needs, else the stock protocol.
    """

    async def _receive_frame_loop(self) -> None:
        stream, limit = self.stream, self.params.max_message_size
        fragments: bytearray | None = None
        fragments_opcode = work = 0
        buf = b""
        try:
            while not self.client_terminated:
                buf += await stream.read_bytes(65536, partial=True)
                pos, size = 0, len(buf)
                work += size  # nearly the bytes just read: a partial frame is rare
                while size - pos >= 2:
                    b0, b1 = buf[pos], buf[pos + 1]
                    opcode, length, head = b0 & 0x0F, b1 & 0x7F, pos + 2
                    # no extension bits, client frames masked, control frames short and final
                    if b0 & 0x70 or not b1 & 0x80 or (opcode & 0x8 and (length > 125 or b0 < 0x80)):
                        return self._abort()
                    if length >= 126:
                        extra = 2 if length == 126 else 8
                        if size - head < extra:
                            break
                        length = int.from_bytes(buf[head : head + extra], "big")
                        head += extra
                    if length + (len(fragments) if fragments else 0) > limit:
                        self.close(1009, "message too big")
                        return self._abort()
                    end = head + 4 + length
                    if end > size:
                        break  # the rest of this frame is still on its way
                    data = _websocket_mask(buf[head : head + 4], buf[head + 4 : end])
                    pos = end
                    work += _FRAME_COST
                    if not opcode & 0x8:  # a data frame, maybe one piece of a message
                        if opcode == 0:
                            if fragments is None:
                                return self._abort()
                            fragments += data
                            if b0 < 0x80:
                                continue
                            opcode, data, fragments = fragments_opcode, bytes(fragments), None
                        elif fragments is not None:
                            return self._abort()
                        elif b0 < 0x80:
                            fragments, fragments_opcode = bytearray(data), opcode
                            continue
                    handled = self._handle_message(opcode, data)
                    data = b""  # not kept alive by this frame while the socket idles
                    if handled is not None:
                        await handled
                    if self.client_terminated:
                        return
                buf = buf[pos:]
                if work >= _YIELD_AFTER:  # a fast sender must not keep the loop to itself
                    work = 0
                    await asyncio.sleep(0)
        except StreamClosedError:
            self._abort()
        finally:
            self.handler.on_ws_connection_close(self.close_code, self.close_reason)


_FAST_READS = all(
    callable(getattr(tornado.websocket.WebSocketProtocol13, name, None))
    for name in ("_receive_frame_loop", "_handle_message", "_abort")
)


class _Keepalive:
    """One timer pinging every tracker socket of an application.

    Tornado's own keepalive is a task and a timer per socket, about 2 kB
    each; a tracker holds every viewer's socket. Here the sockets are in
    `SLICES` groups and each tick pings one group, so each socket is pinged
    once per `interval`; a socket that has sent nothing since its previous ping
    (no message, no pong) is closed, at most two intervals after it went quiet.
    """

    SLICES = 10

    def __init__(self, interval: float) -> None:
        self.groups: list[set[TrackerSocketHandler]] = [set() for _ in range(self.SLICES)]
        self.turn = 0
        self.timer = tornado.ioloop.PeriodicCallback(self.tick, interval * 1000 / self.SLICES)
        self.timer.start()

    def add(self, sock: TrackerSocketHandler) -> None:
        min(self.groups, key=len).add(sock)

    def remove(self, sock: TrackerSocketHandler) -> None:
        for group in self.groups:
            group.discard(sock)

    def tick(self) -> None:
        group = self.groups[self.turn]
        self.turn = (self.turn + 1) % self.SLICES
        for sock in list(group):
            if not sock.alive:
                group.discard(sock)
                sock.leave_swarms()  # now: the close handshake may wait for it
                sock.close(1001, "no answer to ping")
                continue
            sock.alive = False
            with contextlib.suppress(tornado.websocket.WebSocketClosedError):
                sock.ping()


class TrackerSocketHandler(tornado.websocket.WebSocketHandler):
    """One WebTorrent client's socket; it may announce in several swarms."""

    tracker: Tracker
    joined: dict[str, str]  # info_hash -> this socket's peer_id in that swarm

    def check_origin(self, origin: str) -> bool:
        return True  # any page (embeds, other servers' players) may use the tracker

    @property
    def max_message_size(self) -> int:
        return self.settings.get("websocket_max_message_size", MAX_MESSAGE)

    @property
    def ping_interval(self) -> float | None:
        return None  # see _Keepalive

    def get_websocket_protocol(self) -> tornado.websocket.WebSocketProtocol | None:
        protocol = super().get_websocket_protocol()
        if _FAST_READS and type(protocol) is tornado.websocket.WebSocketProtocol13:
            # the same object, built by Tornado from our settings, with our read loop
            protocol.__class__ = _BatchReadingProtocol
        return protocol

    def open(self, *args: str, **kwargs: str) -> None:
        self.tracker = tracker_of(self.application)
        self.addr = self.request.remote_ip or ""
        self.joined = {}
        self._out: list[bytes] = []
        self._loop = asyncio.get_running_loop()
        self.ws_connection.stream.max_write_buffer_size = MAX_BACKLOG
        self.alive = True
        self.keepalive = self._keepalive()
        if self.keepalive is not None:
            self.keepalive.add(self)

    def _keepalive(self) -> _Keepalive | None:
        """The application's keepalive, started on first use; None when pings are off."""
        keepalive = self.settings.get("tracker_keepalive")
        if keepalive is None:
            interval = self.settings.get("websocket_ping_interval", PING_INTERVAL)
            if not interval:
                return None
            keepalive = self.settings.setdefault("tracker_keepalive", _Keepalive(interval))
        return keepalive

    def on_pong(self, data: bytes) -> None:
        self.alive = True

    # Sending. `write_message` makes a Task and a send(2) per message, and logs
    # "Task exception was never retrieved" for each message queued to a socket
    # that then closes. A tracker sends many small messages to many sockets:
    # here they are framed (text, unmasked, never compressed: RFC 6455 server
    # frames) and queued, and each socket's queue goes out in one write at the
    # end of the event loop's turn.

    def push(self, text: str) -> None:
        """Queue one text message for this socket (dropped if it is closing)."""
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            return
        payload = text.encode()
        size = len(payload)
        if size < 126:
            header = bytes((0x81, size))
        elif size < 65536:
            header = b"\x81\x7e" + size.to_bytes(2, "big")
        else:
            header = b"\x81\x7f" + size.to_bytes(8, "big")
        out = self._out
        if not out:
            self._loop.call_soon(self._flush)
        out.append(header)
        out.append(payload)

    def _flush(self) -> None:
        out, self._out = self._out, []
        connection = self.ws_connection
        if out and connection is not None and not connection.is_closing():
            try:
                connection.stream.write(b"".join(out))
            except StreamBufferFullError:
                log.info("tracker: dropped %s, which was not reading its messages", self.addr)
                self.leave_swarms()
                connection.stream.close()
            except StreamClosedError:
                pass

    def on_message(self, message: str | bytes) -> None:
        connection = self.ws_connection
        if connection is None or connection.is_closing():
            return  # refused or timed out: what it still sends is not served
        self.alive = True
        try:
            if not self.tracker.admit(self.addr):
                raise _Refusal("too many messages from your address; slow down")
            try:
                data = json.loads(message)
            except ValueError:
                raise _Refusal("invalid JSON") from None
            if type(data) is not dict:
                raise _Refusal("a message must be a JSON object")
            action = data.get("action")
            if action == "announce":
                self._announce(data)
            elif action == "scrape":
                self._scrape(data)
            else:
                raise _Refusal("invalid action")
        except _Refusal as refusal:
            self._refuse(refusal)
        except TrackerError as err:
            self._refuse(_Refusal(err.reason, data.get("info_hash"), "announce"))

    def _announce(self, data: dict[str, Any]) -> None:
        info_hash = _id(data.get("info_hash"), "info_hash")
        peer_id = _id(data.get("peer_id"), "peer_id", info_hash)
        if "answer" in data:
            return self._relay_answer(data, info_hash, peer_id)
        event = data.get("event")
        left = data.get("left")
        offers = data.get("offers") or ()
        if (
            (event is not None and type(event) is not str)
            or (left is not None and (type(left) not in _NUMBER or left < 0))
            or type(offers) not in (list, tuple)
            or not all(type(data.get(k, 0)) in _NUMBER for k in ("uploaded", "downloaded"))
        ):
            raise _Refusal("invalid announce", info_hash, "announce")
        offers = offers[:MAX_OFFERS]
        for offer in offers:
            if (
                type(offer) is not dict
                or type(offer.get("offer")) is not dict
                or type(offer.get("offer_id")) is not str
                or len(offer["offer_id"]) != ID_LENGTH
            ):
                raise _Refusal("invalid offer", info_hash, "announce")
        if info_hash not in self.joined and len(self.joined) >= MAX_SWARMS_PER_SOCKET:
            raise _Refusal("too many swarms on one socket", info_hash, "announce")
        swarm, peers = self.tracker.announce(
            info_hash, peer_id, conn=self, event=event, left=left, numwant=len(offers)
        )
        if event == "stopped":
            self.joined.pop(info_hash, None)
        else:
            self.joined[info_hash] = peer_id
        if swarm is None:
            head = self._reply_head(info_hash)
            self.push(f'{head}"complete":0,"incomplete":0}}')
            return
        if swarm.wire is None:
            swarm.wire = self._reply_head(info_hash)
        self.push(f'{swarm.wire}"complete":{swarm.complete},"incomplete":{swarm.incomplete}}}')
        if peers:
            tail = f',"peer_id":{_quote(peer_id)},"info_hash":{_quote(info_hash)}}}'
            for peer, offer in zip(peers, offers, strict=False):
                peer.conn.push(
                    f'{{"action":"announce","offer":{_dumps(offer["offer"])},'
                    f'"offer_id":{_quote(offer["offer_id"])}{tail}'
                )

    def _reply_head(self, info_hash: str) -> str:
        interval = self.tracker.interval
        return f'{{"action":"announce","interval":{interval},"info_hash":{_quote(info_hash)},'

    def _relay_answer(self, data: dict[str, Any], info_hash: str, peer_id: str) -> None:
        """Pass a WebRTC answer to the peer whose offer it answers (no reply to the sender)."""
        to_peer_id = _id(data.get("to_peer_id"), "to_peer_id", info_hash)
        offer_id = data.get("offer_id")
        if (
            type(data["answer"]) is not dict
            or type(offer_id) is not str
            or len(offer_id) != ID_LENGTH
        ):
            raise _Refusal("invalid answer", info_hash, "announce")
        target = self.tracker.peer(info_hash, to_peer_id)
        if target is None or target.conn is None:
            return  # gone meanwhile: the offer times out on its side
        message = {
            "action": "announce",
            "answer": data["answer"],
            "offer_id": offer_id,
            "peer_id": peer_id,
            "info_hash": info_hash,
        }
        target.conn.push(_dumps(message))

    def _scrape(self, data: dict[str, Any]) -> None:
        wanted = data.get("info_hash")
        if wanted is None:
            hashes = None
        else:
            hashes = wanted if type(wanted) is list else [wanted]
            if len(hashes) > MAX_NUMWANT:
                raise _Refusal("too many info_hashes", None, "scrape")
            for info_hash in hashes:
                _id(info_hash, "info_hash")
        files = {
            ih: {"complete": c, "incomplete": i, "downloaded": d}
            for ih, (c, i, d) in self.tracker.scrape(hashes).items()
        }
        self.push(_dumps({"action": "scrape", "files": files}))

    def _refuse(self, refusal: _Refusal) -> None:
        reply: dict[str, Any] = {"failure reason": refusal.reason}
        if refusal.action:
            reply["action"] = refusal.action
        if type(refusal.info_hash) is str:
            reply["info_hash"] = refusal.info_hash
        log.info("tracker: refused %s: %s", self.addr, refusal.reason)
        self.push(_dumps(reply))
        self._flush()  # before the close frame
        self.leave_swarms()
        self.close(1008, refusal.reason[:100])

    def on_close(self) -> None:
        keepalive = getattr(self, "keepalive", None)
        if keepalive is not None:
            keepalive.remove(self)
        self.leave_swarms()

    def leave_swarms(self) -> None:
        """Stop in every swarm this socket joined (it closed, or is being closed)."""
        tracker = getattr(self, "tracker", None)
        if tracker is not None:
            for info_hash, peer_id in self.joined.items():
                tracker.stop(info_hash, peer_id, conn=self)
            self.joined = {}


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
