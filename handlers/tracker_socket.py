"""The tracker's WebSocket once the handshake is done: one `TrackerConnection` per socket.

handlers/tracker.py answers the opening handshake of `/tracker/socket` and
hands the TCP socket to the event loop with a `TrackerConnection`: an asyncio
protocol speaking the server side of RFC 6455 as small as a tracker needs,
and WebTorrent's JSON messages over it, as p2p-media-loader's bundled
bittorrent-tracker client sends them. An announce carries up to a few WebRTC
offers; each goes to a different random peer of the swarm, which answers
through us (`to_peer_id`). The announcer gets the swarm's counts. Refusals
are a JSON "failure reason", then a close frame for that socket alone.

A tracker holds one socket per viewer and moves many small messages; each
part here is measured (bench/tracker.py): every complete frame of a read is
handled at once, each socket's messages go out in one write per event-loop
turn (`push`), and one timer keeps every socket alive (`_Keepalive`, every
"websocket_ping_interval" seconds, 30 by default).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import tornado.ioloop
import tornado.web
from tornado.util import _websocket_mask  # Tornado's C unmasking

from app.tracker import ID_LENGTH, MAX_NUMWANT, Tracker, TrackerError

log = logging.getLogger(__name__)

MAX_MESSAGE = 64 * 1024  # a few SDP offers fit many times over
PING_INTERVAL = 30.0  # unless the application's "websocket_ping_interval" says otherwise
MAX_OFFERS = 10  # offers relayed per announce (p2p-media-loader sends at most 5)
MAX_DEPTH = 4  # levels of objects and arrays in a relayed offer or answer ({type, sdp}: 1)
MAX_SWARMS_PER_SOCKET = 64  # one page plays a few streams; a socket is not a crawler
MAX_BACKLOG = 1 << 20  # bytes waiting for a socket that does not read: then it is dropped
CLOSE_WAIT = 5.0  # seconds a peer has to answer our close frame
_NUMBER = (int, float)
_dumps = json.dumps
_quote = json.encoder.encode_basestring_ascii  # a str as a JSON string, in C: dumps' own


class _Refusal(Exception):
    """A message we will not serve: say why, then close the socket."""

    def __init__(self, reason: str, info_hash: str | None = None, action: str | None = None):
        super().__init__(reason)
        self.reason, self.info_hash, self.action = reason, info_hash, action


def _id(value: object, name: str, info_hash: str | None = None) -> str:
    """An id of 20 bytes, as WebTorrent writes them in JSON: 20 characters up to U+00FF."""
    if (
        type(value) is not str
        or len(value) != ID_LENGTH
        or not (value.isascii() or max(value) <= "\xff")
    ):
        raise _Refusal(f"invalid {name}", info_hash)
    return value


def _shallow(value: object, depth: int = MAX_DEPTH) -> bool:
    """True when `value` nests at most `depth` levels of objects and arrays.

    What is relayed (an SDP offer or answer: an object of strings) goes into
    another browser's JSON parser and through ours again; a deep one is no
    WebRTC session description.
    """
    if type(value) is dict:
        value = value.values()
    elif type(value) is not list:
        return True
    return depth > 0 and all(_shallow(item, depth - 1) for item in value)


class _Keepalive:
    """One timer pinging every tracker socket of an application.

    A task and a timer per socket (Tornado's own keepalive) cost about 2 kB
    each; a tracker holds every viewer's socket. Here the sockets are in
    `SLICES` groups and each tick pings one group, so each socket is pinged
    once per `interval`; a socket that has sent nothing since its previous ping
    (no message, no pong) is closed, at most two intervals after it went quiet.
    """

    SLICES = 10

    def __init__(self, interval: float) -> None:
        self.groups: list[set[TrackerConnection]] = [set() for _ in range(self.SLICES)]
        self.turn = 0
        self.timer = tornado.ioloop.PeriodicCallback(self.tick, interval * 1000 / self.SLICES)
        self.timer.start()

    def add(self, conn: TrackerConnection) -> None:
        min(self.groups, key=len).add(conn)

    def remove(self, conn: TrackerConnection) -> None:
        for group in self.groups:
            group.discard(conn)

    def tick(self) -> None:
        group = self.groups[self.turn]
        self.turn = (self.turn + 1) % self.SLICES
        for conn in list(group):
            if not conn.alive:
                group.discard(conn)
                conn.leave_swarms()  # now, not when the peer's TCP finally goes
                conn.close(1001, "no answer to ping")
                continue
            conn.alive = False
            conn.ping()


def keepalive_of(application: tornado.web.Application) -> _Keepalive | None:
    """The application's keepalive, started on first use; None when pings are off."""
    keepalive = application.settings.get("tracker_keepalive")
    if keepalive is None:
        interval = application.settings.get("websocket_ping_interval", PING_INTERVAL)
        if not interval:
            return None
        keepalive = application.settings.setdefault("tracker_keepalive", _Keepalive(interval))
    return keepalive


class TrackerConnection(asyncio.Protocol):
    """One WebTorrent client's socket after the handshake; it may announce in several swarms.

    RFC 6455 server side, as small as a tracker needs: every complete frame of
    each read is handled at once (a tracker's messages are small and many),
    pings are answered, and messages are never compressed. What this sends is
    queued and goes out in one write per socket per event-loop turn (`push`).
    """

    __slots__ = (
        "tracker",
        "addr",
        "keepalive",
        "max_message",
        "joined",
        "alive",
        "transport",
        "_greeting",
        "_buf",
        "_fragments",
        "_fragments_opcode",
        "_out",
        "_closing",
        "_close_timer",
    )

    def __init__(
        self,
        tracker: Tracker,
        addr: str,
        keepalive: _Keepalive | None,
        max_message: int,
        greeting: bytes,
    ) -> None:
        self.tracker = tracker
        self.addr = addr
        self.keepalive = keepalive
        self.max_message = max_message
        self.joined: dict[str, str] = {}  # info_hash -> this socket's peer_id in that swarm
        self.alive = True
        self.transport: asyncio.Transport | None = None
        self._greeting = greeting
        self._buf = b""
        self._fragments: bytearray | None = None
        self._fragments_opcode = 0
        self._out: list[bytes] = []
        self._closing = False  # our close frame is sent (or the connection is cut)
        self._close_timer: asyncio.TimerHandle | None = None

    # --- the transport's callbacks ------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(self._greeting)
        self._greeting = b""
        self.transport.set_write_buffer_limits(high=MAX_BACKLOG)
        if self.keepalive is not None:
            self.keepalive.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.keepalive is not None:
            self.keepalive.remove(self)
        self.leave_swarms()
        self._closing = True
        self._out = []
        self.transport = None
        if self._close_timer is not None:
            self._close_timer.cancel()

    def pause_writing(self) -> None:
        """More than MAX_BACKLOG bytes wait for a peer that does not read: drop it."""
        log.info("tracker: dropped %s, which was not reading its messages", self.addr)
        self.leave_swarms()
        self._abort()

    def data_received(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        pos, size = 0, len(buf)
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
            fragments = self._fragments
            if length + (len(fragments) if fragments else 0) > self.max_message:
                return self._abort() if self._closing else self.close(1009, "message too big")
            end = head + 4 + length
            if end > size:
                break  # the rest of this frame is still on its way
            payload = _websocket_mask(buf[head : head + 4], buf[head + 4 : end])
            pos = end
            if self._closing:  # we said goodbye: only the peer's close frame matters now
                if opcode == 0x8:
                    return self._finish()
                continue
            if opcode & 0x8:
                self._control(opcode, payload)
            elif opcode == 0:  # a continuation
                if fragments is None:
                    return self._abort()
                fragments += payload
                if b0 & 0x80:
                    self._fragments = None
                    self._message(self._fragments_opcode, bytes(fragments))
            elif fragments is not None:
                return self._abort()  # a new message inside a fragmented one
            elif b0 & 0x80:
                self._message(opcode, payload)
            else:
                self._fragments, self._fragments_opcode = bytearray(payload), opcode
        self._buf = buf[pos:] if pos < size else b""

    def eof_received(self) -> bool:
        return False  # the peer is gone: close our side too

    # --- frames -------------------------------------------------------------------------

    def _control(self, opcode: int, payload: bytes) -> None:
        self.alive = True
        if opcode == 0x8:  # close: answer with its code, then end the connection
            code = payload[:2] if len(payload) >= 2 else b""
            self._send_now(0x88, code)
            self._finish()
        elif opcode == 0x9:  # ping
            self._queue(0x8A, payload)
        elif opcode != 0xA:  # pongs only say it is alive; nothing else is defined
            self._abort()

    def _message(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x1:
            try:
                message: str | bytes = payload.decode()
            except UnicodeDecodeError:
                return self._abort()
        elif opcode == 0x2:
            message = payload
        else:
            return self._abort()
        self.on_message(message)

    def _queue(self, first: int, payload: bytes) -> None:
        size = len(payload)
        if size < 126:
            header = bytes((first, size))
        elif size < 65536:
            header = bytes((first, 126)) + size.to_bytes(2, "big")
        else:
            header = bytes((first, 127)) + size.to_bytes(8, "big")
        out = self._out
        if not out:
            asyncio.get_running_loop().call_soon(self._flush)
        out.append(header)
        out.append(payload)

    def _flush(self) -> None:
        out, self._out = self._out, []
        if out and self.transport is not None and not self._closing:
            self.transport.write(b"".join(out))

    def _send_now(self, first: int, payload: bytes) -> None:
        """What is queued, then this frame, in one write now."""
        self._queue(first, payload)
        self._flush()

    def _finish(self) -> None:
        """End the TCP connection once what is written has gone (RFC 6455: the server's
        side closes first)."""
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def _abort(self) -> None:
        """A protocol error: cut the connection without a word."""
        self._closing = True
        if self.transport is not None:
            self.transport.abort()

    # --- what the tracker and its keepalive use -----------------------------------------

    def push(self, text: str) -> None:
        """Queue one text message for this socket (dropped if it is closing)."""
        if not self._closing and self.transport is not None:
            self._queue(0x81, text.encode())

    def ping(self) -> None:
        if not self._closing and self.transport is not None:
            self._queue(0x89, b"")

    def close(self, code: int, reason: str) -> None:
        """Send a close frame with `code` and `reason`; end the connection when the peer
        answers with its own, or after CLOSE_WAIT seconds.

        Closing at once would make the peer's kernel discard what it has not
        read yet (our last message and the close frame) when its next frame
        meets a closed socket.
        """
        if self._closing or self.transport is None:
            return
        payload = code.to_bytes(2, "big") + reason.encode()[:123]
        self._send_now(0x88, payload)
        self._closing = True
        self._close_timer = asyncio.get_running_loop().call_later(CLOSE_WAIT, self._abort)

    # --- messages -----------------------------------------------------------------------

    def on_message(self, message: str | bytes) -> None:
        self.alive = True
        try:
            if not self.tracker.admit(self.addr):
                raise _Refusal("too many messages from your address; slow down")
            try:
                data = json.loads(message)
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
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
        except Exception:  # a bug of ours: this socket ends properly, the others go on
            log.exception("tracker: failed on a message from %s", self.addr)
            self.leave_swarms()
            self.close(1011, "internal error")

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
                or not _shallow(offer["offer"])
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
            or not _shallow(data["answer"])
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
        self.push(_dumps(reply))  # goes out with the close frame, just before it
        self.leave_swarms()
        self.close(1008, refusal.reason[:100])

    def leave_swarms(self) -> None:
        """Stop in every swarm this socket joined (it closed, or is being closed)."""
        for info_hash, peer_id in self.joined.items():
            self.tracker.stop(info_hash, peer_id, conn=self)
        self.joined = {}
