"""The tracker against a real Shoal server: HTTP announce/scrape with bencoded replies,
and WebTorrent over WebSocket as p2p-media-loader speaks it, for swarms of videos
the server knows (so app/tracker_swarms.py's ids are exercised end to end)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import struct
import uuid
from urllib.parse import quote_from_bytes

import httpx
import pytest
import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.websocket

from app.settings import Settings
from app.tracker import bdecode
from app.tracker_swarms import (
    master_playlist_infohashes,
    p2pml_infohash,
    peertube_infohash,
    stream_short_id,
    video_infohashes,
)
from app.videos import media_url
from handlers import tracker_socket
from models import utcnow
from models.accounts import Account, Channel, User
from models.videos import State, Video, VideoFile
from tests.conftest import LiveServer
from tests.handlers.test_api_videos import upload


class TrackerServer(LiveServer):
    """A LiveServer listening on 127.0.0.1 and, where the machine has it, on ::1
    (for IPv6 peers), with Application settings a test may override."""

    def bind(self, port: int) -> list:
        sockets = super().bind(port)
        port = sockets[0].getsockname()[1]
        try:
            sockets += tornado.netutil.bind_sockets(port, "::1")
            self.url6: str | None = f"http://[::1]:{port}"
        except OSError:
            self.url6 = None
        self.ws_url = f"ws://127.0.0.1:{port}/tracker/socket"
        return sockets


@pytest.fixture
def server(request: pytest.FixtureRequest, settings: Settings):
    """A running Shoal web server, also on ::1 (overrides conftest's).

    A test may give it Application settings with
    `@pytest.mark.parametrize("server", [{...}], indirect=True)`.
    """
    live = TrackerServer(settings, **getattr(request, "param", {}))
    yield live
    live.stop()


MASTER_240 = (420000, "avc1.64000d", 320, 240, "25")


@pytest.fixture
def video(local_user: User, live_settings: Settings) -> Video:
    """alice's published video with two renditions, as the transcoder records them."""
    channel = Channel.select().join(Account).where(Account.user == local_user).get()
    video = Video.create(
        uuid=uuid.uuid4(),
        channel=channel,
        name="Cats over P2P",
        state=State.PUBLISHED,
        hls_master="abc-master.m3u8",
        published_at=utcnow(),
    )
    for height, width, bandwidth, codecs in (
        (240, 320, 420000, "avc1.64000d,mp4a.40.2"),
        (144, 192, 150000, "avc1.64000b,mp4a.40.2"),
    ):
        VideoFile.create(
            video=video,
            resolution=height,
            width=width,
            height=height,
            fps=25.0,
            bandwidth=bandwidth,
            codecs=codecs,
            filename=f"abc-{height}-fragmented.mp4",
            playlist=f"abc-{height}.m3u8",
        )
    return video


@pytest.fixture
def info_hash(video: Video, live_settings: Settings) -> str:
    """The info_hash p2p-media-loader 2.3.1 announces for the video's 240p stream."""
    master = media_url(live_settings, video, video.hls_master)
    return p2pml_infohash(master, stream_short_id(*MASTER_240)).decode("latin-1")


UNKNOWN = "z" * 20


def peer(n: int) -> str:
    """A peer id with bytes JSON must carry as \\u escapes."""
    return f"-PM0203-\x00\xff{n:010d}"


def offer_id(n: int) -> str:
    return f"\x01\xfe{n:018d}"


# --- HTTP ---------------------------------------------------------------------------------


def announce_url(info_hash: str, peer_id: str, port: int, **params: object) -> str:
    query = {
        "info_hash": quote_from_bytes(info_hash.encode("latin-1")),
        "peer_id": quote_from_bytes(peer_id.encode("latin-1")),
        "port": port,
        "uploaded": 0,
        "downloaded": 0,
        "left": 1000,
        "compact": 1,
        **params,
    }
    return "/tracker/announce?" + "&".join(f"{k}={v}" for k, v in query.items())


def get_bencoded(base: str, path: str) -> dict:
    response = httpx.get(base + path, timeout=10)
    assert response.status_code == 200, response.text
    return bdecode(response.content)


def test_http_announce_answers_bencoded_compact_peers(server, info_hash):
    first = get_bencoded(server.url, announce_url(info_hash, peer(1), 6881, event="started"))
    assert first[b"interval"] == 120
    assert (first[b"complete"], first[b"incomplete"], first[b"peers"]) == (0, 1, b"")
    second = get_bencoded(server.url, announce_url(info_hash, peer(2), 6882, left=0))
    assert (second[b"complete"], second[b"incomplete"]) == (1, 1)
    assert second[b"peers"] == bytes([127, 0, 0, 1]) + struct.pack("!H", 6881)
    full = get_bencoded(server.url, announce_url(info_hash, peer(3), 6883, compact=0))
    assert sorted((p[b"ip"], p[b"port"], p[b"peer id"]) for p in full[b"peers"]) == [
        (b"127.0.0.1", 6881, peer(1).encode("latin-1")),
        (b"127.0.0.1", 6882, peer(2).encode("latin-1")),
    ]
    stopped = get_bencoded(server.url, announce_url(info_hash, peer(3), 6883, event="stopped"))
    assert (stopped[b"complete"], stopped[b"incomplete"]) == (1, 1)


def test_http_announce_gives_ipv6_peers_in_peers6(server, info_hash):
    if server.url6 is None:
        pytest.skip("no IPv6 loopback here")
    get_bencoded(server.url6, announce_url(info_hash, peer(6), 7000))
    reply = get_bencoded(server.url, announce_url(info_hash, peer(4), 6881))
    assert reply[b"peers"] == b""
    assert reply[b"peers6"] == b"\x00" * 15 + b"\x01" + struct.pack("!H", 7000)
    assert len(reply[b"peers6"]) == 18


def test_http_scrape_counts_swarms(server, info_hash, video, live_settings):
    get_bencoded(server.url, announce_url(info_hash, peer(1), 6881))
    get_bencoded(server.url, announce_url(info_hash, peer(2), 6882, event="completed", left=0))
    master = media_url(live_settings, video, video.hls_master)
    other = peertube_infohash(master, 1)  # known, nobody in it
    query = f"info_hash={quote_from_bytes(info_hash.encode())}&info_hash={quote_from_bytes(other)}"
    files = get_bencoded(server.url, "/tracker/scrape?" + query)[b"files"]
    assert files == {
        info_hash.encode(): {b"complete": 1, b"incomplete": 1, b"downloaded": 1},
        other: {b"complete": 0, b"incomplete": 0, b"downloaded": 0},
    }


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (announce_url("a" * 19, peer(1), 6881), b"invalid info_hash"),
        (announce_url(UNKNOWN, peer(1), 6881), b"unknown swarm"),
        (announce_url(UNKNOWN, "p" * 21, 6881), b"invalid peer_id"),
        (announce_url(UNKNOWN, peer(1), 0), b"invalid port"),
        (announce_url(UNKNOWN, peer(1), 70000), b"invalid number"),
        ("/tracker/scrape?info_hash=abc", b"invalid info_hash"),
    ],
)
def test_http_errors_are_failure_reasons(server, video, path, reason):
    reply = get_bencoded(server.url, path)
    assert list(reply) == [b"failure reason"]
    assert reply[b"failure reason"].startswith(reason)


# --- WebSocket ----------------------------------------------------------------------------


async def connect(url: str) -> tornado.websocket.WebSocketClientConnection:
    return await tornado.websocket.websocket_connect(url)


async def recv(conn: tornado.websocket.WebSocketClientConnection, timeout: float = 5) -> dict:
    message = await asyncio.wait_for(conn.read_message(), timeout)
    return None if message is None else json.loads(message)


async def send(conn: tornado.websocket.WebSocketClientConnection, **message: object) -> None:
    await conn.write_message(json.dumps(message))


def announce(info_hash: str, peer_id: str, offers: int = 0, **extra: object) -> dict:
    return {
        "action": "announce",
        "info_hash": info_hash,
        "peer_id": peer_id,
        "numwant": offers,
        "uploaded": 0,
        "downloaded": 0,
        "offers": [
            {"offer": {"type": "offer", "sdp": f"sdp {peer_id[-2:]} {n}"}, "offer_id": offer_id(n)}
            for n in range(offers)
        ],
        **extra,
    }


async def scrape(conn, info_hash: str) -> dict:
    await send(conn, action="scrape", info_hash=info_hash)
    reply = await recv(conn)
    assert reply["action"] == "scrape"
    return reply["files"][info_hash]


def test_websocket_peers_meet_through_offers_and_answers(server, info_hash):
    async def main() -> None:
        a, b = await connect(server.ws_url), await connect(server.ws_url)
        await send(a, **announce(info_hash, peer(1), offers=2, event="started"))
        assert await recv(a) == {
            "action": "announce",
            "interval": 120,
            "info_hash": info_hash,
            "complete": 0,
            "incomplete": 1,
        }
        await send(b, **announce(info_hash, peer(2), offers=3, event="started"))
        reply = await recv(b)
        assert (reply["complete"], reply["incomplete"]) == (0, 2)
        # one peer in the swarm besides b: one of b's offers reaches it
        relayed = await recv(a)
        assert relayed == {
            "action": "announce",
            "offer": {"type": "offer", "sdp": f"sdp {peer(2)[-2:]} 0"},
            "offer_id": offer_id(0),
            "peer_id": peer(2),
            "info_hash": info_hash,
        }
        answer = {"type": "answer", "sdp": "a's answer"}
        await send(
            a,
            action="announce",
            info_hash=info_hash,
            peer_id=peer(1),
            to_peer_id=peer(2),
            answer=answer,
            offer_id=offer_id(0),
        )
        assert await recv(b) == {
            "action": "announce",
            "answer": answer,
            "offer_id": offer_id(0),
            "peer_id": peer(1),
            "info_hash": info_hash,
        }
        # the answer itself is not replied to: a's next message is its scrape reply
        assert await scrape(a, info_hash) == {"complete": 0, "incomplete": 2, "downloaded": 0}

        await send(b, **announce(info_hash, peer(2), event="completed"))
        assert (await recv(b))["complete"] == 1
        await send(b, **announce(info_hash, peer(2), event="stopped"))
        assert ((await recv(b))["complete"], await scrape(a, info_hash)) == (
            0,
            {"complete": 0, "incomplete": 1, "downloaded": 1},
        )
        # a re-announce with offers now finds nobody to send them to
        await send(a, **announce(info_hash, peer(1), offers=2))
        assert (await recv(a))["incomplete"] == 1
        with pytest.raises(asyncio.TimeoutError):
            await recv(b, timeout=0.3)

        # closing the socket is stopping in every swarm of that socket
        a.close()
        for _ in range(50):
            if await scrape(b, info_hash) == {"complete": 0, "incomplete": 0, "downloaded": 0}:
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("a's peer stayed in the swarm after its socket closed")
        b.close()

    asyncio.run(main())


def nested(depth: int) -> list:
    """A list inside a list ... `depth` deep: valid JSON, but no WebRTC offer looks like it."""
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


SNOWMEN = "\u2603" * 20  # 20 characters, but not 20 bytes: no latin-1 id


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("{not json", "invalid JSON"),
        # deeper than Python's JSON parser recurses: was a RecursionError and an ERROR log
        ("[" * 5000 + "]" * 5000, "invalid JSON"),
        ('{"action": "announce", "offers": ' + "[" * 5000 + "]" * 5000 + "}", "invalid JSON"),
        # ids that are no bytes: was a UnicodeEncodeError, the socket dropped without a reason
        (json.dumps(announce(SNOWMEN, peer(1))), "invalid info_hash"),
        (json.dumps(announce(UNKNOWN, SNOWMEN)), "invalid peer_id"),
        (json.dumps({"action": "scrape", "info_hash": [SNOWMEN]}), "invalid info_hash"),
        # parsed, but too deep to be relayed to another browser
        (
            json.dumps(
                {
                    **announce(UNKNOWN, peer(1)),
                    "offers": [{"offer": {"sdp": nested(100)}, "offer_id": offer_id(0)}],
                }
            ),
            "invalid offer",
        ),
        (
            json.dumps(
                announce(
                    UNKNOWN,
                    peer(1),
                    to_peer_id=peer(2),
                    answer={"sdp": nested(100)},
                    offer_id=offer_id(0),
                )
            ),
            "invalid answer",
        ),
        ("[1, 2]", "a message must be a JSON object"),
        ('{"action": "dance"}', "invalid action"),
        (json.dumps(announce("a" * 21, peer(1))), "invalid info_hash"),
        (json.dumps(announce(7, peer(1))), "invalid info_hash"),
        (json.dumps(announce(UNKNOWN, "p" * 19)), "invalid peer_id"),
        (json.dumps(announce(UNKNOWN, peer(1), event=3)), "invalid announce"),
        (json.dumps({**announce(UNKNOWN, peer(1)), "offers": "many"}), "invalid announce"),
        (json.dumps({**announce(UNKNOWN, peer(1)), "offers": [{"offer_id": 1}]}), "invalid offer"),
        (json.dumps(announce(UNKNOWN, peer(1), to_peer_id="x", answer={})), "invalid to_peer_id"),
        (json.dumps({"action": "scrape", "info_hash": ["short"]}), "invalid info_hash"),
    ],
)
def test_malformed_message_closes_only_that_socket(server, info_hash, message, reason, caplog):
    caplog.set_level(logging.INFO)

    async def main() -> None:
        good, bad = await connect(server.ws_url), await connect(server.ws_url)
        await send(good, **announce(info_hash, peer(1), event="started"))
        assert (await recv(good))["incomplete"] == 1
        await bad.write_message(message)
        refusal = await recv(bad)
        assert refusal["failure reason"] == reason
        assert await recv(bad) is None  # closed by the server
        assert bad.close_code == 1008
        await send(good, **announce(info_hash, peer(1)))
        assert (await recv(good))["incomplete"] == 1
        good.close()

    asyncio.run(main())
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_unknown_swarm_is_refused_and_the_socket_closed(server, info_hash):
    async def main() -> None:
        conn = await connect(server.ws_url)
        await send(conn, **announce(info_hash, peer(1)))
        assert (await recv(conn))["incomplete"] == 1
        await send(conn, **announce(UNKNOWN, peer(1), offers=1))
        refusal = await recv(conn)
        assert refusal["failure reason"].startswith("unknown swarm")
        assert (refusal["info_hash"], refusal["action"]) == (UNKNOWN, "announce")
        assert await recv(conn) is None
        other = await connect(server.ws_url)  # and the closed socket left its swarms
        assert await scrape(other, info_hash) == {"complete": 0, "incomplete": 0, "downloaded": 0}
        other.close()

    asyncio.run(main())


def test_flood_from_one_address_is_refused(server, info_hash):
    async def main() -> None:
        conn = await connect(server.ws_url)
        answered = 0
        # the refusal may come before the last of these is sent
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            for _ in range(60):
                await send(conn, **announce(info_hash, peer(1)))
        while (reply := await recv(conn)) is not None and "failure reason" not in reply:
            answered += 1
        assert 30 <= answered < 40  # the burst, and what refilled meanwhile
        assert reply["failure reason"].startswith("too many messages")
        assert await recv(conn) is None
        if server.url6 is not None:  # another address is still served
            port = server.settings.port
            v6 = await connect(f"ws://[::1]:{port}/tracker/socket")
            assert (await scrape(v6, info_hash))["incomplete"] == 0
            v6.close()

    asyncio.run(main())


# --- swarm ids of a real video --------------------------------------------------------------


def test_ids_of_a_transcoded_video_are_accepted(server, alice_api, clip, run_jobs, live_settings):
    """The ids computed from the database are the ones the real master playlist gives."""
    ids = upload(alice_api, clip)
    run_jobs()
    video = Video.get(Video.uuid == ids["uuid"])
    master = media_url(live_settings, video, video.hls_master)
    text = httpx.get(master, timeout=10).text
    files = list(VideoFile.select().where(VideoFile.video == video))
    from_playlist = master_playlist_infohashes(master, text)
    assert len(from_playlist) == len(files) >= 2
    assert from_playlist <= video_infohashes(live_settings, video, files)
    torrents = [f.infohash for f in files if getattr(f, "infohash", "")]
    for n, torrent in enumerate(torrents):  # BitTorrent clients of the renditions' torrents
        info_hash = bytes.fromhex(torrent).decode("latin-1")
        reply = get_bencoded(server.url, announce_url(info_hash, peer(20 + n), 6881))
        assert reply[b"incomplete"] == 1, reply

    async def main() -> None:
        conn = await connect(server.ws_url)
        for n, info_hash in enumerate(sorted(from_playlist)):
            await send(conn, **announce(info_hash.decode(), peer(n), offers=1, event="started"))
            assert (await recv(conn))["incomplete"] == 1
        legacy = peertube_infohash(master, 0).decode("latin-1")
        await send(conn, **announce(legacy, peer(9), event="started"))
        assert (await recv(conn))["incomplete"] == 1
        conn.close()

    asyncio.run(main())


async def raw_socket(server: TrackerServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket that never answers pings (a peer whose network went away)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.settings.port)
    writer.write(
        b"GET /tracker/socket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    assert b" 101 " in await reader.readuntil(b"\r\n\r\n")
    return reader, writer


def frame(payload: bytes, opcode: int = 0x1, fin: bool = True, mask: bool = True) -> bytes:
    """A client frame, masked with a real key unless told otherwise."""
    size = len(payload)
    first = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    if size < 126:
        head = first + bytes([bit | size])
    elif size < 65536:
        head = first + bytes([bit | 126]) + size.to_bytes(2, "big")
    else:
        head = first + bytes([bit | 127]) + size.to_bytes(8, "big")
    if not mask:
        return head + payload
    key = b"\x12\x34\x56\x78"
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def masked(text: str) -> bytes:
    return frame(text.encode())


async def read_frames(reader: asyncio.StreamReader, until: bytes, timeout: float = 5) -> bytes:
    frames = b""
    while until not in frames:
        chunk = await asyncio.wait_for(reader.read(65536), timeout)
        assert chunk, frames
        frames += chunk
    return frames


def test_frames_split_fragmented_or_trickled_are_read_whole(server, info_hash):
    async def main() -> None:
        reader, writer = await raw_socket(server)
        message = json.dumps(announce(info_hash, peer(1), offers=3)).encode()
        assert 126 <= len(message) < 65536  # a 16-bit length
        # a fragmented message (text frame without FIN, then a continuation), with a
        # ping between the pieces, all sent one byte at a time
        data = (
            frame(message[:100], fin=False)
            + frame(b"hi", opcode=0x9)
            + frame(message[100:], opcode=0x0)
        )
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
        frames = await read_frames(reader, b'"incomplete":1}')
        assert frames.startswith(b"\x8a\x02hi")  # the pong, then the reply
        # a declared length over the limit closes with 1009, before the body comes
        writer.write(frame(b"x" * 70000)[:14])
        assert (await read_frames(reader, b"message too big")).endswith(
            b"\x88\x11\x03\xf1message too big"
        )
        writer.close()

    asyncio.run(main())


def test_a_peer_that_does_not_read_is_dropped_before_its_backlog_grows(
    server, info_hash, monkeypatch
):
    monkeypatch.setattr(tracker_socket, "MAX_BACKLOG", 256 * 1024)

    async def main() -> None:
        # It joins, with a receive window of a few kB, and never reads again.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.settings.port))
        reader, writer = await asyncio.open_connection(sock=sock)
        request = "".join(f"{k}: {v}\r\n" for k, v in UPGRADE.items())
        writer.write(f"GET /tracker/socket HTTP/1.1\r\nHost: x\r\n{request}\r\n".encode())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(masked(json.dumps(announce(info_hash, "s" * 20))))
        await read_frames(reader, b'"incomplete":1}')
        server.app.settings["tracker"].flood_burst = None  # this test's own flood
        # Another peer's offers (60 kB each) go to it, until the server gives up on it.
        sender = await connect(server.ws_url)
        big = {"type": "offer", "sdp": "a=candidate " * 5000}
        for n in range(400):
            message = announce(info_hash, peer(1))
            message["offers"] = [{"offer": big, "offer_id": offer_id(n)}]
            await send(sender, **message)
            reply = await recv(sender)
            if reply["incomplete"] == 1:
                break  # the silent peer is gone from the swarm
        else:
            raise AssertionError("a peer that never reads kept its place")
        # not at the first offers it could not take: the kernel's buffers came first
        assert n * len(json.dumps(big)) > 4 * tracker_socket.MAX_BACKLOG
        sender.close()
        writer.close()

    asyncio.run(main())


def test_a_refused_socket_gets_the_reason_and_the_close_handshake(server, monkeypatch):
    monkeypatch.setattr(tracker_socket, "CLOSE_WAIT", 0.3)

    async def refused() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await raw_socket(server)
        writer.write(masked("not json"))
        frames = await read_frames(reader, b"invalid JSON")
        assert b'{"failure reason": "invalid JSON"}' in frames
        assert frames.endswith(b"\x88\x0e\x03\xf0invalid JSON")  # close 1008
        return reader, writer

    async def main() -> None:
        # What it sends after our close frame is not served, nor does it lose
        # what we sent; its close frame ends the connection.
        reader, writer = await refused()
        writer.write(masked('{"action": "scrape"}') + frame(b"\x03\xf0", opcode=0x8))
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
        # A peer that never answers is cut off after CLOSE_WAIT.
        reader, writer = await refused()
        started = asyncio.get_running_loop().time()
        assert await asyncio.wait_for(reader.read(), 5) == b""
        assert 0.2 < asyncio.get_running_loop().time() - started < 3
        writer.close()

    asyncio.run(main())


def test_unmasked_client_frame_is_cut_off(server):
    async def main() -> None:
        reader, writer = await raw_socket(server)
        writer.write(frame(b'{"action": "scrape"}', mask=False))
        assert await asyncio.wait_for(reader.read(), 5) == b""  # dropped without a word
        writer.close()

    asyncio.run(main())


UPGRADE = {
    "Upgrade": "websocket",
    "Connection": "keep-alive, Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"Upgrade": None}, 400, 'Can "Upgrade" only to "WebSocket".'),
        ({"Upgrade": "h2c"}, 400, 'Can "Upgrade" only to "WebSocket".'),
        ({"Connection": "keep-alive"}, 400, '"Connection" must be "Upgrade".'),
        ({"Sec-WebSocket-Version": "8"}, 426, "Only WebSocket version 13 is spoken here."),
        ({"Sec-WebSocket-Key": None}, 400, "Missing or invalid Sec-WebSocket-Key."),
        ({"Sec-WebSocket-Key": "c2hvcnQ="}, 400, "Missing or invalid Sec-WebSocket-Key."),
        ({"Sec-WebSocket-Key": "not base64!"}, 400, "Missing or invalid Sec-WebSocket-Key."),
    ],
)
def test_bad_handshakes_are_refused_with_a_reason(server, change, status, reason):
    headers = {k: v for k, v in {**UPGRADE, **change}.items() if v is not None}
    response = httpx.get(server.url + "/tracker/socket", headers=headers, timeout=10)
    assert (response.status_code, response.text.strip()) == (status, reason)
    if status == 426:
        assert response.headers["Sec-WebSocket-Version"] == "13"


def test_handshake_answer_and_close_handshake(server, info_hash, caplog):
    caplog.set_level(logging.INFO, logger="tornado.access")

    async def main() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.settings.port)
        request = "".join(f"{k}: {v}\r\n" for k, v in UPGRADE.items())
        writer.write(f"GET /tracker/socket HTTP/1.1\r\nHost: x\r\n{request}\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
        # RFC 6455 section 1.3's own example key and answer
        assert b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
        writer.write(masked(json.dumps(announce(info_hash, peer(1)))))
        assert b'"incomplete":1}' in await read_frames(reader, b'"incomplete":1}')
        writer.write(frame(b"\x03\xe8bye", opcode=0x8))  # close 1000
        assert await asyncio.wait_for(reader.read(), 5) == b"\x88\x02\x03\xe8"  # echoed, then EOF
        writer.close()
        listener = await connect(server.ws_url)
        assert (await scrape(listener, info_hash))["incomplete"] == 0  # it left its swarm
        listener.close()

    asyncio.run(main())
    assert any("101 GET /tracker/socket" in r.getMessage() for r in caplog.records)


def test_bytes_sent_before_the_handshake_answer_end_the_connection(server):
    async def main() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.settings.port)
        request = "".join(f"{k}: {v}\r\n" for k, v in UPGRADE.items())
        writer.write(
            f"GET /tracker/socket HTTP/1.1\r\nHost: x\r\n{request}\r\n".encode()
            + masked('{"action": "scrape"}')
        )
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()

    asyncio.run(main())


@pytest.mark.parametrize("server", [{"websocket_ping_interval": 0.3}], indirect=True)
def test_silent_socket_is_closed_and_leaves_its_swarms(server, info_hash):
    async def main() -> None:
        listener = await connect(server.ws_url)  # answers pings, as browsers do
        reader, writer = await raw_socket(server)
        silent = {"action": "announce", "info_hash": info_hash, "peer_id": "s" * 20}
        writer.write(masked(json.dumps(silent)))
        assert b'"incomplete":1' in await reader.read(4096)
        await send(listener, **announce(info_hash, peer(1)))
        assert (await recv(listener))["incomplete"] == 2
        # what the silent socket gets next: pings, then the server's close
        frames = await read_frames(reader, b"no answer to ping")
        assert b"\x89\x00" in frames  # a ping it never answered
        assert frames.endswith(b"\x88\x13\x03\xe9no answer to ping")  # close 1001
        await asyncio.sleep(0.7)
        assert await scrape(listener, info_hash) == {
            "complete": 0,
            "incomplete": 1,
            "downloaded": 0,
        }  # the answering socket outlived several pings
        listener.close()
        writer.close()

    asyncio.run(main())
