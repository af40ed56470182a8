"""The tracker's swarm logic and bencoding (app/tracker.py), and the swarm ids the
server accepts (app/tracker_swarms.py), without a server or a database."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from app import tracker_swarms
from app.federation.objects import swarm_id
from app.media.hls import Variant, write_master_playlist
from app.tracker import Tracker, TrackerError, bdecode, bencode
from app.tracker_swarms import (
    MISS_TTL,
    TTL,
    KnownSwarms,
    master_playlist_infohashes,
    p2pml_infohash,
    peertube_infohash,
    stream_short_id,
    video_codec,
)

H1, H2 = "a" * 20, "b" * 20
VENDOR = Path(__file__).resolve().parents[2] / "assets" / "vendor" / "p2p-media-loader"


def pid(n: int) -> str:
    return f"-PM0203-{n:012d}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def tracker(clock: Clock) -> Tracker:
    """A tracker that accepts swarms H1 and H2 only, on a hand-driven clock."""
    return Tracker(lambda ih: ih in (H1.encode(), H2.encode()), clock=clock)


# --- bencode ----------------------------------------------------------------------------


def test_bencode_writes_canonical_bytes_with_sorted_keys():
    value = {"peers": b"\x7f\x00\x00\x01\x1a\xe1", "interval": 120, "b": [1, -2, "é"], "a": {}}
    encoded = bencode(value)
    assert (
        encoded == b"d1:ade1:bli1ei-2e2:\xc3\xa9e8:intervali120e5:peers6:\x7f\x00\x00\x01\x1a\xe1e"
    )
    assert bdecode(encoded) == {
        b"a": {},
        b"b": [1, -2, "é".encode()],
        b"interval": 120,
        b"peers": b"\x7f\x00\x00\x01\x1a\xe1",
    }
    assert bencode(0) == b"i0e" and bencode(b"") == b"0:" and bencode([]) == b"le"


@pytest.mark.parametrize("value", [True, 1.5, None, {1: 2}, object()])
def test_bencode_refuses_what_bencoding_cannot_say(value):
    with pytest.raises(TypeError):
        bencode(value)


def test_bencode_refuses_keys_equal_as_bytes():
    with pytest.raises(ValueError):
        bencode({"k": 1, b"k": 2})


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"i03e",
        b"i-0e",
        b"i-e",
        b"ie",
        b"i12",
        b"03:abc",
        b"3:ab",
        b"3abc",
        b"-1:a",
        b"l",
        b"li1e",
        b"d1:bi1e1:ai2ee",  # unsorted
        b"d1:ai1e1:ai2ee",  # repeated
        b"di1ei2ee",  # integer key
        b"d1:ae",  # key without value
        b"i1ei2e",  # trailing data
        b"x",
        b"l" * 100 + b"e" * 100,  # nested too deeply
    ],
)
def test_bdecode_is_strict(data):
    with pytest.raises(ValueError):
        bdecode(data)


def test_bdecode_reads_a_tracker_reply():
    reply = b"d8:completei1e10:incompletei2e8:intervali120e5:peers6:\x01\x02\x03\x04\x00\x50e"
    assert bdecode(reply) == {
        b"complete": 1,
        b"incomplete": 2,
        b"interval": 120,
        b"peers": b"\x01\x02\x03\x04\x00\x50",
    }
    assert bdecode(bencode({"failure reason": "unknown swarm"})) == {
        b"failure reason": b"unknown swarm"
    }


# --- swarms -----------------------------------------------------------------------------


def test_first_announce_creates_a_swarm_and_counts_the_peer(tracker):
    swarm, peers = tracker.announce(H1, pid(1), conn="ws1", event="started", numwant=5)
    assert peers == []  # alone
    assert (swarm.complete, swarm.incomplete, swarm.downloaded) == (0, 1, 0)
    assert tracker.scrape([H1, H2]) == {H1: (0, 1, 0), H2: (0, 0, 0)}


def test_unknown_swarm_and_bad_ids_are_refused(tracker):
    with pytest.raises(TrackerError, match="unknown swarm"):
        tracker.announce("c" * 20, pid(1), conn="ws")
    with pytest.raises(TrackerError, match="info_hash"):
        tracker.announce("a" * 19, pid(1), conn="ws")
    with pytest.raises(TrackerError, match="peer_id"):
        tracker.announce(H1, "x" * 21, conn="ws")
    with pytest.raises(TrackerError, match="event"):
        tracker.announce(H1, pid(1), conn="ws", event="paused")
    assert tracker.swarms == {}


def test_allowed_is_asked_only_when_a_swarm_is_created(clock):
    asked = []
    tracker = Tracker(lambda ih: asked.append(ih) or True, clock=clock)
    for n in range(5):
        tracker.announce(H1, pid(n), conn=f"ws{n}")
    assert asked == [H1.encode("latin-1")]


def test_ws_announcer_gets_distinct_random_ws_peers_never_itself(tracker):
    for n in range(30):
        tracker.announce(H1, pid(n), conn=f"ws{n}")
    tracker.announce(H1, pid(99), ip="10.0.0.1", port=6881)  # an HTTP peer
    seen = set()
    for _ in range(50):
        _, peers = tracker.announce(H1, pid(0), conn="ws0", numwant=5)
        ids = [p.peer_id for p in peers]
        assert len(ids) == 5 == len(set(ids))
        assert pid(0) not in ids and pid(99) not in ids
        seen.update(ids)
    assert len(seen) > 15  # random, not always the same few


def test_http_announcer_gets_http_peers_only(tracker):
    tracker.announce(H1, pid(1), conn="ws1")
    tracker.announce(H1, pid(2), ip="10.0.0.2", port=2)
    _, peers = tracker.announce(H1, pid(3), ip="10.0.0.3", port=3, numwant=50)
    assert [(p.ip, p.port) for p in peers] == [("10.0.0.2", 2)]


def test_small_swarm_hands_out_everyone_else(tracker):
    for n in range(3):
        tracker.announce(H1, pid(n), conn=f"ws{n}")
    _, peers = tracker.announce(H1, pid(0), conn="ws0", numwant=5)
    assert sorted(p.peer_id for p in peers) == [pid(1), pid(2)]
    _, peers = tracker.announce(H1, pid(0), conn="ws0", numwant=0)
    assert peers == []


def test_completed_and_left_zero_count_as_complete_once(tracker):
    tracker.announce(H1, pid(1), conn="ws1", event="started")
    tracker.announce(H1, pid(1), conn="ws1", event="completed")
    swarm, _ = tracker.announce(H1, pid(1), conn="ws1", event="completed")
    tracker.announce(H1, pid(2), ip="10.0.0.2", port=1, left=0)  # a seeder
    assert (swarm.complete, swarm.incomplete, swarm.downloaded) == (2, 0, 1)
    tracker.stop(H1, pid(2))
    assert (swarm.complete, swarm.incomplete) == (1, 0)


def test_stopped_removes_the_peer_and_the_empty_swarm(tracker):
    tracker.announce(H1, pid(1), conn="ws1")
    tracker.announce(H1, pid(2), conn="ws2")
    swarm, peers = tracker.announce(H1, pid(1), conn="ws1", event="stopped", numwant=5)
    assert peers == [] and list(swarm.peers) == [pid(2)]
    tracker.stop(H1, pid(2), conn="ws2")
    assert tracker.swarms == {}
    assert tracker.announce(H2, pid(3), conn="ws3", event="stopped") == (None, [])


def test_only_the_owning_socket_removes_a_peer(tracker):
    tracker.announce(H1, pid(1), conn="old socket")
    tracker.announce(H1, pid(1), conn="new socket")  # the client reconnected
    tracker.stop(H1, pid(1), conn="old socket")  # the old one closes late
    assert tracker.peer(H1, pid(1)).conn == "new socket"


def test_a_peer_may_switch_between_http_and_websocket(tracker):
    tracker.announce(H1, pid(1), ip="10.0.0.1", port=1, left=0)
    swarm, _ = tracker.announce(H1, pid(1), conn="ws1")
    assert (swarm.ws, swarm.http, swarm.complete) == ([swarm.peers[pid(1)]], [], 0)


def test_full_swarm_drops_the_least_recently_seen_peer(clock):
    tracker = Tracker(lambda ih: True, max_peers=3, clock=clock)
    for n in range(3):
        tracker.announce(H1, pid(n), conn=f"ws{n}")
    tracker.announce(H1, pid(0), conn="ws0")  # 0 is fresh again; 1 is now the oldest
    swarm, _ = tracker.announce(H1, pid(3), conn="ws3")
    assert list(swarm.peers) == [pid(2), pid(0), pid(3)]
    assert sorted(p.peer_id for p in swarm.ws) == [pid(0), pid(2), pid(3)]


def test_silent_peers_expire_after_two_intervals(tracker, clock):
    tracker.announce(H1, pid(1), conn="ws1")
    tracker.announce(H2, pid(2), conn="ws2")
    clock.now += tracker.interval
    tracker.announce(H1, pid(3), conn="ws3")
    clock.now += tracker.interval + 1
    # the next announce sweeps: 1 and 2 are more than two intervals old, 3 is not
    tracker.announce(H1, pid(3), conn="ws3")
    assert list(tracker.swarms) == [H1]
    assert list(tracker.swarms[H1].peers) == [pid(3)]
    assert tracker.peer_count() == 1


def test_flood_limit_refuses_then_refills(clock):
    tracker = Tracker(lambda ih: True, flood_burst=30, flood_window=10.0, clock=clock)
    assert all(tracker.admit("10.0.0.1") for _ in range(30))
    assert not tracker.admit("10.0.0.1")
    assert tracker.admit("10.0.0.2")  # others are not affected
    clock.now += 1.0  # 3 tokens back
    assert [tracker.admit("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    clock.now += 60
    tracker.sweep()
    assert tracker._buckets == {}  # full buckets are forgotten
    assert Tracker(lambda ih: True, flood_burst=None).admit("x")


def test_scrape_of_everything_lists_every_swarm(tracker):
    tracker.announce(H1, pid(1), conn="ws1")
    tracker.announce(H2, pid(2), ip="10.0.0.2", port=1, left=0)
    assert tracker.scrape() == {H1: (0, 1, 0), H2: (1, 0, 0)}


# --- swarm ids (app/tracker_swarms.py) --------------------------------------------------

MASTER = "http://127.0.0.1:8000/static/streaming-playlists/hls/1b2c/abc-master.m3u8"
# Computed by the vendored bundle's own functions (see test_ids_match_the_bundle below).
LEVELS = [
    (
        (420000, "avc1.64000d", 320, 240, "25"),
        "+chzYbRVQUP65S9mh3ccqwr7YLU=",
        b"3nB1H9SMmQcyPNNhBove",
    ),
    (
        (150000, "avc1.66.30", 192, 144, "29.970"),
        "ozFvJOcnbD54rtZAc9dBcZQlgH4=",
        b"q3EIUgnqToOxVOR+0olb",
    ),
    ((64000,), "f3lwepTZphDKr2aqIG3O0UBfhm0=", b"cr2dvz9e3vLVYivxr1Yx"),
    ((0, "avc1.64000d", 1, 2, "30"), "UYnLxGhQilEV4D0HbCx+kRv0ZF0=", b"1nqX7UK0PpHJQO5s8vPD"),
]


@pytest.mark.parametrize(("level", "short", "infohash"), LEVELS)
def test_p2p_media_loader_ids_of_a_level(level, short, infohash):
    assert stream_short_id(*level) == short
    assert p2pml_infohash(MASTER, short) == infohash
    assert len(infohash) == 20


def test_peertube_ids_are_the_raw_bytes_of_the_published_swarm_ids():
    assert peertube_infohash(MASTER, 1) == bytes.fromhex(swarm_id(MASTER, 1))


def test_video_codec_is_what_hls_js_calls_the_video_codec():
    assert video_codec("avc1.64001f,mp4a.40.2") == "avc1.64001f"
    assert video_codec("mp4a.40.2") == ""
    assert video_codec("hvc1.1.6.L93.B0, opus") == "hvc1.1.6.L93.B0"


def test_ids_from_a_master_playlist_match_the_ids_of_its_lines(tmp_path):
    path = tmp_path / "m.m3u8"
    write_master_playlist(
        str(path),
        [
            Variant("a-240.m3u8", 420000, "avc1.64000d,mp4a.40.2", 320, 240, 25.0),
            Variant("a-144.m3u8", 150000, "avc1.64000b,mp4a.40.2", 192, 144, 29.97),
            Variant("a-0.m3u8", 64000, "mp4a.40.2"),
        ],
    )
    assert master_playlist_infohashes(MASTER + "?v=1", path.read_text()) == {
        p2pml_infohash(MASTER, stream_short_id(420000, "avc1.64000d", 320, 240, "25")),
        p2pml_infohash(MASTER, stream_short_id(150000, "avc1.64000b", 192, 144, "29.970")),
        p2pml_infohash(MASTER, stream_short_id(64000)),
    }


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the bundle")
def test_ids_match_the_bundle(tmp_path):
    """Run the vendored bundle's own hash functions (kt, Nt, On, $) under node."""
    bundle = (VENDOR / "p2p-media-loader-core.es.min.js").read_text()

    def function(name: str) -> str:
        match = re.search(rf"^function {re.escape(name)}\(.*?^}}$", bundle, re.S | re.M)
        assert match, name
        return match.group(0)

    keys = ("bitrate", "codecs", "width", "height", "frameRate")
    # hls.js's integration drops everything but the bit rate when it is 0
    levels = [dict(zip(keys, lv, strict=False)) for lv, _, _ in LEVELS[:3]] + [{"bitrate": 0}]
    script = "\n".join(
        [
            "function bt(e) { return new TextEncoder().encode(e); }",
            'const Dn = "v2";',
            *(function(n) for n in ("kt", "Nt", "On", "$", "jn")),
            f"for (const l of {json.dumps(levels)}) {{",
            "  const short = On(l);",
            f"  console.log(short, Nt($({json.dumps(MASTER)}, {{type: 'main', index: short}})));",
            "}",
        ]
    )
    (tmp_path / "ids.js").write_text(script)
    out = subprocess.run(
        ["node", str(tmp_path / "ids.js")], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == [x for _, short, ih in LEVELS for x in (short, ih.decode())]


def test_known_swarms_are_cached_so_announces_do_not_query(monkeypatch, clock):
    queries = []
    monkeypatch.setattr(
        tracker_swarms, "all_infohashes", lambda settings: queries.append(1) or {b"k" * 20}
    )
    monkeypatch.setattr(tracker_swarms, "extra_infohashes", set())
    known = KnownSwarms(None, clock=clock)  # type: ignore[arg-type]
    assert known.known_infohash(b"k" * 20) and len(queries) == 1
    assert not known.known_infohash(b"u" * 20) and len(queries) == 1  # just refreshed
    clock.now += MISS_TTL
    assert not known.known_infohash(b"u" * 20) and len(queries) == 2  # a miss looks again
    clock.now += MISS_TTL
    assert known.known_infohash(b"k" * 20) and len(queries) == 2  # a hit does not
    clock.now += TTL
    assert known.known_infohash(b"k" * 20) and len(queries) == 3  # until the set is stale
    tracker_swarms.extra_infohashes.add(b"t" * 20)  # a torrent made in this process
    assert known.known_infohash(b"t" * 20) and len(queries) == 3
