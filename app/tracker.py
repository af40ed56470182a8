"""The BitTorrent / WebTorrent tracker's state: swarms of peers, kept in memory.

Every Shoal web process runs a tracker (handlers/tracker.py speaks its two
wire protocols: WebTorrent's JSON over WebSocket, as p2p-media-loader uses it,
and the classic HTTP announce with bencoded replies). This module is the part
that knows nothing of the wire: who is in which swarm, which peers an
announcer is introduced to, when a silent peer is forgotten, and who is
announcing too often. No Tornado, no database: the caller passes in the
`allowed(info_hash) -> bool` predicate that says which swarms exist at all.

Identifiers are 20-character `str`s, one character per byte (the bytes decoded
as latin-1), because that is how WebTorrent puts them in JSON; the HTTP edge
decodes its percent-encoded bytes the same way, so both meet in one table.

Limits, all per process:
- a swarm holds at most `max_peers` peers; a newcomer to a full swarm takes the
  place of the peer that announced least recently (as bittorrent-tracker's LRU);
- a peer that has not announced for two intervals is dropped;
- each address may send `flood_burst` messages per `flood_window` seconds
  (a token bucket); beyond that its messages are refused.

`bencode`/`bdecode` (BEP 3) are here too: small and strict.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Any

ID_LENGTH = 20
MAX_PEERS = 200  # per swarm
INTERVAL = 120  # seconds between announces asked of clients (bittorrent-tracker's WS value)
MAX_NUMWANT = 50  # peers handed out per announce at most
FLOOD_BURST = 30  # messages ...
FLOOD_WINDOW = 10.0  # ... per this many seconds, per address
EVENTS = frozenset({None, "", "empty", "update", "started", "completed", "stopped"})


class TrackerError(Exception):
    """A refusal, told to the client as BitTorrent's "failure reason"."""

    @property
    def reason(self) -> str:
        return str(self.args[0]) if self.args else "refused"


class Peer:
    """One peer of one swarm.

    `conn` is the caller's handle for a WebSocket peer (whatever it uses to send
    it messages) and None for an HTTP peer, which has `ip` and `port` instead.
    """

    __slots__ = ("peer_id", "conn", "ip", "port", "complete", "expires", "slot")

    def __init__(self, peer_id: str, conn: object | None, ip: str, port: int) -> None:
        self.peer_id = peer_id
        self.conn = conn
        self.ip = ip
        self.port = port
        self.complete = False
        self.expires = 0.0
        self.slot = -1  # index in the swarm's pool of its kind, for O(1) random picks

    def __repr__(self) -> str:
        kind = "ws" if self.conn is not None else f"{self.ip}:{self.port}"
        return f"<Peer {self.peer_id!r} {kind}>"


class Swarm:
    """The peers announcing one info_hash.

    `peers` is ordered by last announce (oldest first), so the least recently
    seen peer is the first to go, both when the swarm is full and when peers
    expire. WebSocket and HTTP peers are kept in separate pools: offers only
    go to WebSocket peers, and HTTP clients only get addresses they can dial.
    """

    __slots__ = ("info_hash", "peers", "ws", "http", "complete", "downloaded", "wire")

    def __init__(self, info_hash: str) -> None:
        self.info_hash = info_hash
        self.peers: dict[str, Peer] = {}
        self.ws: list[Peer] = []
        self.http: list[Peer] = []
        self.complete = 0  # peers that have the whole content
        self.downloaded = 0  # "completed" events seen (BEP 48's downloaded)
        self.wire: Any = None  # free for the caller: e.g. its encoding of info_hash, made once

    @property
    def incomplete(self) -> int:
        return len(self.peers) - self.complete

    def _add(self, peer: Peer) -> None:
        pool = self.ws if peer.conn is not None else self.http
        peer.slot = len(pool)
        pool.append(peer)
        self.peers[peer.peer_id] = peer

    def _remove(self, peer: Peer) -> None:
        del self.peers[peer.peer_id]
        pool = self.ws if peer.conn is not None else self.http
        last = pool.pop()
        if last is not peer:
            pool[peer.slot] = last
            last.slot = peer.slot
        if peer.complete:
            self.complete -= 1

    def pick(self, count: int, me: Peer | None, *, ws: bool) -> list[Peer]:
        """Up to `count` distinct random peers of one kind, never `me`."""
        pool = self.ws if ws else self.http
        others = len(pool) - (me is not None and me.slot >= 0 and (me.conn is not None) == ws)
        if count <= 0 or others <= 0:
            return []
        if others <= count:
            return [p for p in pool if p is not me]
        rand, size, chosen = random.random, len(pool), []
        while len(chosen) < count:
            peer = pool[int(rand() * size)]
            if peer is not me and peer not in chosen:
                chosen.append(peer)
        return chosen


class Tracker:
    """All swarms of one process, with their limits.

    `allowed(info_hash_bytes)` is asked once when a swarm would be created;
    a swarm that exists is not asked about again (it goes when its last peer
    does). `flood_burst=None` turns the per-address limit off (benchmarks).
    """

    def __init__(
        self,
        allowed: Callable[[bytes], bool],
        *,
        max_peers: int = MAX_PEERS,
        interval: int = INTERVAL,
        flood_burst: int | None = FLOOD_BURST,
        flood_window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowed = allowed
        self.max_peers = max_peers
        self.interval = interval
        self.flood_burst = flood_burst
        self.flood_rate = (flood_burst or 0) / flood_window
        self.clock = clock
        self.swarms: dict[str, Swarm] = {}
        self._buckets: dict[str, list[float]] = {}
        self._next_sweep = clock() + interval

    # --- flood limit -------------------------------------------------------------------

    def admit(self, addr: str, now: float | None = None) -> bool:
        """Take one token from `addr`'s bucket; False when it is empty (refuse)."""
        burst = self.flood_burst
        if burst is None:
            return True
        now = self.clock() if now is None else now
        bucket = self._buckets.get(addr)
        if bucket is None:
            self._buckets[addr] = [burst - 1.0, now]
            return True
        tokens = min(burst, bucket[0] + (now - bucket[1]) * self.flood_rate)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True

    # --- announces ---------------------------------------------------------------------

    def announce(
        self,
        info_hash: str,
        peer_id: str,
        *,
        conn: object | None = None,
        ip: str = "",
        port: int = 0,
        event: str | None = None,
        left: float | None = None,
        numwant: int = 0,
        now: float | None = None,
    ) -> tuple[Swarm | None, list[Peer]]:
        """Record an announce; return the swarm and up to `numwant` peers for the announcer.

        WebSocket peers (with a `conn`) get WebSocket peers (to send offers to),
        HTTP peers get HTTP peers. "stopped" removes the peer and returns no
        peers (and no swarm if there was none). Raises TrackerError for ids of
        the wrong length, an unknown event, or a swarm that is not allowed.
        """
        if len(info_hash) != ID_LENGTH:
            raise TrackerError("invalid info_hash")
        if len(peer_id) != ID_LENGTH:
            raise TrackerError("invalid peer_id")
        if event not in EVENTS:
            raise TrackerError("invalid event")
        now = self.clock() if now is None else now
        if now >= self._next_sweep:
            self.sweep(now)
        swarm = self.swarms.get(info_hash)
        if event == "stopped":
            if swarm is not None:
                self._leave(swarm, peer_id, conn)
            return swarm, []
        if swarm is None:
            try:
                raw = info_hash.encode("latin-1")
            except UnicodeEncodeError:  # a character beyond U+00FF is no byte
                raise TrackerError("invalid info_hash") from None
            if not self.allowed(raw):
                raise TrackerError("unknown swarm: this tracker only serves its videos")
            swarm = self.swarms[info_hash] = Swarm(info_hash)
        peers = swarm.peers
        peer = peers.get(peer_id)
        if peer is not None and (peer.conn is None) == (conn is None):
            del peers[peer_id]  # to the end: the most recently seen
            peers[peer_id] = peer
            peer.conn, peer.ip, peer.port = conn, ip, port
        else:
            if peer is not None:  # switched between HTTP and WebSocket
                swarm._remove(peer)
            elif len(peers) >= self.max_peers:
                swarm._remove(next(iter(peers.values())))
            peer = Peer(peer_id, conn, ip, port)
            swarm._add(peer)
        peer.expires = now + 2 * self.interval
        if (event == "completed" or left == 0) and not peer.complete:
            peer.complete = True
            swarm.complete += 1
            if event == "completed":
                swarm.downloaded += 1
        return swarm, swarm.pick(min(numwant, MAX_NUMWANT), peer, ws=conn is not None)

    def stop(self, info_hash: str, peer_id: str, conn: object | None = None) -> None:
        """The peer left (a "stopped" announce, or its WebSocket closed)."""
        swarm = self.swarms.get(info_hash)
        if swarm is not None:
            self._leave(swarm, peer_id, conn)

    def _leave(self, swarm: Swarm, peer_id: str, conn: object | None) -> None:
        peer = swarm.peers.get(peer_id)
        # Only the socket that owns the peer may remove it: a peer that
        # reconnected on a new socket is not dropped when the old one closes.
        if peer is not None and peer.conn is conn:
            swarm._remove(peer)
            if not swarm.peers:
                del self.swarms[swarm.info_hash]

    def peer(self, info_hash: str, peer_id: str) -> Peer | None:
        """The peer `peer_id` of swarm `info_hash`, if it is there."""
        swarm = self.swarms.get(info_hash)
        return swarm.peers.get(peer_id) if swarm is not None else None

    # --- scrape ------------------------------------------------------------------------

    def scrape(self, info_hashes: Iterable[str] | None = None) -> dict[str, tuple[int, int, int]]:
        """(complete, incomplete, downloaded) per info_hash; every swarm when None.

        A swarm nobody is in counts zeros (whether or not it would be allowed).
        """
        now = self.clock()
        if now >= self._next_sweep:
            self.sweep(now)
        if info_hashes is None:
            info_hashes = list(self.swarms)
        out = {}
        for info_hash in info_hashes:
            swarm = self.swarms.get(info_hash)
            out[info_hash] = (
                (swarm.complete, swarm.incomplete, swarm.downloaded) if swarm else (0, 0, 0)
            )
        return out

    # --- housekeeping ------------------------------------------------------------------

    def sweep(self, now: float | None = None) -> int:
        """Drop peers silent for two intervals and full flood buckets; return peers dropped.

        Runs by itself from announce/scrape once per interval. Peers are in
        last-announce order, so only the expired head of each swarm is visited.
        """
        now = self.clock() if now is None else now
        self._next_sweep = now + self.interval
        dropped = 0
        for info_hash, swarm in list(self.swarms.items()):
            for peer in list(swarm.peers.values()):
                if peer.expires > now:
                    break
                swarm._remove(peer)
                dropped += 1
            if not swarm.peers:
                del self.swarms[info_hash]
        burst, rate = self.flood_burst or 0, self.flood_rate
        for addr, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * rate >= burst:
                del self._buckets[addr]
        return dropped

    def peer_count(self) -> int:
        return sum(len(s.peers) for s in self.swarms.values())


# --- bencoding (BEP 3) ------------------------------------------------------------------


def bencode(value: object) -> bytes:
    """Encode ints, bytes, str (as UTF-8), lists/tuples and dicts (keys sorted as bytes)."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def _encode(value: object, out: list[bytes]) -> None:
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        out.append(b"i%de" % value)
    elif isinstance(value, bytes | bytearray | str):
        raw = value.encode() if isinstance(value, str) else bytes(value)
        out.append(b"%d:" % len(raw))
        out.append(raw)
    elif isinstance(value, list | tuple):
        out.append(b"l")
        for item in value:
            _encode(item, out)
        out.append(b"e")
    elif isinstance(value, dict):
        items = [(k.encode() if isinstance(k, str) else k, v) for k, v in value.items()]
        if not all(isinstance(k, bytes) for k, _ in items):
            raise TypeError("bencoded dict keys must be str or bytes")
        items.sort(key=lambda kv: kv[0])
        out.append(b"d")
        previous = None
        for key, item in items:
            if key == previous:
                raise ValueError(f"duplicate bencoded dict key {key!r}")
            previous = key
            _encode(key, out)
            _encode(item, out)
        out.append(b"e")
    else:
        raise TypeError(f"cannot bencode {type(value).__name__}")


MAX_DEPTH = 64


def bdecode(data: bytes) -> object:
    """Decode one bencoded value, strictly: canonical integers (no "-0", no leading
    zeros), dict keys sorted and unique, nothing after the value. Strings come
    back as bytes, dict keys too. Raises ValueError on anything else."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("bdecode takes bytes")
    value, end = _decode(bytes(data), 0, 0)
    if end != len(data):
        raise ValueError(f"trailing data at {end}")
    return value


def _decode(data: bytes, i: int, depth: int) -> tuple[object, int]:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if i >= len(data):
        raise ValueError("truncated")
    head = data[i : i + 1]
    if head == b"i":
        end = data.find(b"e", i)
        if end < 0:
            raise ValueError("unterminated integer")
        digits = data[i + 1 : end]
        if not _canonical_int(digits):
            raise ValueError(f"bad integer {digits!r} at {i}")
        return int(digits), end + 1
    if head.isdigit():
        colon = data.find(b":", i)
        if colon < 0:
            raise ValueError("unterminated string length")
        digits = data[i:colon]
        if not digits.isdigit() or (len(digits) > 1 and digits[0:1] == b"0"):
            raise ValueError(f"bad string length {digits!r} at {i}")
        start, size = colon + 1, int(digits)
        if start + size > len(data):
            raise ValueError("truncated string")
        return data[start : start + size], start + size
    if head == b"l":
        items, i = [], i + 1
        while data[i : i + 1] != b"e":
            item, i = _decode(data, i, depth + 1)
            items.append(item)
        return items, i + 1
    if head == b"d":
        result: dict[bytes, object] = {}
        previous, i = None, i + 1
        while data[i : i + 1] != b"e":
            key, i = _decode(data, i, depth + 1)
            if not isinstance(key, bytes):
                raise ValueError("dict key is not a string")
            if previous is not None and key <= previous:
                raise ValueError(f"dict keys unsorted or repeated at {key!r}")
            previous = key
            result[key], i = _decode(data, i, depth + 1)
        return result, i + 1
    raise ValueError(f"unexpected {head!r} at {i}")


def _canonical_int(digits: bytes) -> bool:
    body = digits[1:] if digits[:1] == b"-" else digits
    if not body.isdigit():
        return False
    if body[0:1] == b"0":
        return body == b"0" and digits[:1] != b"-"
    return True
