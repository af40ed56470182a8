"""WebSocket tracker throughput: Shoal's tracker against npm's bittorrent-tracker.

Each run starts one tracker server process and one load process. The load
process opens one WebSocket per simulated peer (spread over `--swarms`
swarms) and keeps every peer announcing as fast as the tracker answers, the
way p2p-media-loader does it: each announce carries `--offers` WebRTC offers
(fake SDP of a realistic size), every offer a peer receives is answered
(`to_peer_id`), and the answer is relayed back. Announces per second count
the tracker's announce replies received during the measuring window. The
server's resident memory (VmRSS, and VmHWM, the peak) is read from /proc
while every socket is still open.

The same load client drives both servers: a small WebSocket client on bare
asyncio (a zero masking key, no per-frame coroutines), so that the client
costs less per message than either server and the figures are the servers'.
Its own CPU use is printed too: near 100% would mean it, not the tracker,
was the limit.

- Shoal: a Tornado Application with only handlers/tracker.py's ROUTES and a
  Tracker that accepts every swarm, with no flood limit (all peers share
  127.0.0.1), and the handler's default keepalive (a ping every 30 s).
- bittorrent-tracker: its Server with {http: false, udp: false, ws: true},
  installed with `npm install bittorrent-tracker --ignore-scripts` in
  `--node-dir` (done by this script when missing; outside the repository).

    .venv/bin/python bench/tracker.py [--peers 1000 10000] [--swarms 100] [--seconds 10]

Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_SERVER = """\
import Server from 'bittorrent-tracker/server'
const server = new Server({ udp: false, http: false, ws: true, stats: false })
server.on('error', (err) => console.error(err))
server.on('warning', () => {})
server.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'))
"""
SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + (
    "a=candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0\r\n" * 7
)


# --- servers --------------------------------------------------------------------------------


def serve_shoal(port: int) -> None:
    """Run Shoal's tracker alone (the `serve-shoal` subcommand)."""
    sys.path.insert(0, str(ROOT))
    import tornado.httpserver
    import tornado.ioloop
    import tornado.web

    from app.tracker import Tracker
    from handlers import tracker

    app = tornado.web.Application(
        tracker.ROUTES, tracker=Tracker(lambda info_hash: True, flood_burst=None)
    )
    server = tornado.httpserver.HTTPServer(app)
    server.listen(port, "127.0.0.1", backlog=511)  # node's default backlog, for both
    print("listening", flush=True)
    tornado.ioloop.IOLoop.current().start()


def node_dir_ready(node_dir: Path) -> Path:
    """bittorrent-tracker installed in `node_dir`, and the server script beside it."""
    if not (node_dir / "node_modules" / "bittorrent-tracker").is_dir():
        node_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "bittorrent-tracker", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=node_dir,
            check=True,
        )
    script = node_dir / "shoal-bench-serve.mjs"
    script.write_text(NODE_SERVER)
    return script


def start_server(kind: str, port: int, node_dir: Path) -> subprocess.Popen:
    if kind == "shoal":
        cmd = [sys.executable, __file__, "serve-shoal", str(port)]
        cwd = ROOT
    else:
        cmd = ["node", str(node_dir_ready(node_dir)), str(port)]
        cwd = node_dir
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if "listening" not in line:
        proc.kill()
        raise RuntimeError(f"{kind} tracker did not start: {line!r}")
    return proc


def memory(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the load client ------------------------------------------------------------------------


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A client frame: FIN, `opcode`, masked with the key 0 (the payload stays as is)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + b"\0\0\0\0" + payload


class Stats:
    def __init__(self) -> None:
        self.replies = self.offers = self.answers = self.failures = 0
        self.first_failure = ""
        self.running = True


class Peer(asyncio.Protocol):
    """One simulated p2p-media-loader peer on its own WebSocket."""

    def __init__(self, stats: Stats, host: str, n: int, swarms: int, offers: int) -> None:
        self.stats, self.host = stats, host
        # 20 ASCII characters, like p2p-media-loader's base64 of 15 hash bytes
        self.info_hash = base64.b64encode((n % swarms).to_bytes(15, "big")).decode()
        self.peer_id = f"-PM0203-{n:012d}"
        body = {
            "action": "announce",
            "info_hash": self.info_hash,
            "peer_id": self.peer_id,
            "numwant": offers,
            "uploaded": 0,
            "downloaded": 0,
            "offers": [
                {"offer": {"type": "offer", "sdp": SDP}, "offer_id": f"o{n:013d}{k:06d}"}
                for k in range(offers)
            ],
        }
        self.update = frame(json.dumps(body).encode())
        self.started = frame(json.dumps({**body, "event": "started"}).encode())
        head = f'{{"action":"announce","info_hash":"{self.info_hash}","peer_id":"{self.peer_id}"'
        self.answer_head = head.encode() + b',"to_peer_id":"'
        self.answer_body = b'","answer":' + json.dumps({"type": "answer", "sdp": SDP}).encode()
        self.buf = bytearray()
        self.open = False
        self.ready = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            (
                f"GET /tracker/socket HTTP/1.1\r\nHost: {self.host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes) -> None:
        buf = self.buf
        buf += data
        if not self.open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if b" 101 " not in buf[: buf.find(b"\r\n")]:
                self.ready.set_exception(RuntimeError(bytes(buf[:200]).decode("latin-1")))
                return
            del buf[: end + 4]
            self.open = True
            self.ready.set_result(None)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, n = buf[pos], buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if size - pos < 10:
                    break
                n, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            opcode = b0 & 0x0F
            if opcode == 0x1:
                self.on_text(payload)
            elif opcode == 0x9:
                self.transport.write(frame(payload, 0xA))
        del buf[:pos]

    def on_text(self, message: bytes) -> None:
        stats = self.stats
        if b'"interval"' in message:
            stats.replies += 1
            if stats.running:
                self.transport.write(self.update)
        elif b'"offer"' in message:
            stats.offers += 1
            # both servers end a relayed offer with "offer_id":..,"peer_id":..,"info_hash":..
            i, j = message.rfind(b'"offer_id":"'), message.rfind(b'"peer_id":"')
            if i < 0 or j < 0:
                data = json.loads(message)
                offer_id, from_peer = data["offer_id"].encode(), data["peer_id"].encode()
            else:
                offer_id, from_peer = message[i + 12 : i + 32], message[j + 11 : j + 31]
            answer = b"".join(
                (self.answer_head, from_peer, self.answer_body, b',"offer_id":"', offer_id, b'"}')
            )
            self.transport.write(frame(answer))
        elif b'"answer"' in message:
            stats.answers += 1
        elif b"failure reason" in message:
            stats.failures += 1
            stats.first_failure = stats.first_failure or message.decode("latin-1")[:200]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(str(exc)))


async def run_load(
    url: str, peers: int, swarms: int, seconds: float, offers: int, server_pid: int
) -> dict:
    """Connect `peers` peers, let them announce for a warm-up and `seconds`; return figures."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    loop = asyncio.get_running_loop()
    stats = Stats()
    gate = asyncio.Semaphore(200)  # connections being opened at once

    async def open_one(n: int) -> Peer:
        async with gate:
            _, peer = await loop.create_connection(
                lambda: Peer(stats, f"{host}:{port}", n, swarms, offers), host, int(port)
            )
            await asyncio.wait_for(peer.ready, 30)
            return peer

    started = time.perf_counter()
    conns = await asyncio.gather(*(open_one(n) for n in range(peers)))
    connect_time = time.perf_counter() - started
    for peer in conns:
        peer.transport.write(peer.started)
    await asyncio.sleep(3)  # warm-up: every swarm full, the pipelines busy
    before = (stats.replies, stats.offers, stats.answers)
    cpu0, server0, t0 = time.process_time(), cpu_seconds(server_pid), time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - t0
    after = (stats.replies, stats.offers, stats.answers)
    cpu1, server1 = time.process_time(), cpu_seconds(server_pid)
    stats.running = False
    replies, relayed_offers, relayed_answers = (b - a for a, b in zip(before, after, strict=True))
    return {
        "announces_per_s": replies / elapsed,
        "offers_per_s": relayed_offers / elapsed,
        "answers_per_s": relayed_answers / elapsed,
        "failures": stats.failures,
        "first_failure": stats.first_failure,
        "client_cpu": (cpu1 - cpu0) / elapsed,
        "server_cpu": (server1 - server0) / elapsed,
        "connect_s": connect_time,
        "_conns": conns,
    }


def load_main(url: str, peers: int, swarms: int, seconds: float, offers: int, pid: int) -> None:
    """The `load` subcommand: print the figures as JSON, close when told on stdin."""

    async def run() -> None:
        result = await run_load(url, peers, swarms, seconds, offers, pid)
        conns = result.pop("_conns")
        print(json.dumps(result), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for peer in conns:
            peer.transport.close()

    asyncio.run(run())


# --- the comparison -------------------------------------------------------------------------


def measure(kind: str, peers: int, args: argparse.Namespace) -> dict:
    """One run: a fresh server of `kind`, the load process against it, its memory."""
    port = free_port()
    server = start_server(kind, port, Path(args.node_dir))
    try:
        url = f"ws://127.0.0.1:{port}/tracker/socket"
        options = [peers, args.swarms, args.seconds, args.offers, server.pid]
        load = subprocess.Popen(
            [sys.executable, __file__, "load", url, *map(str, options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = load.stdout.readline()
        if not line:
            raise RuntimeError(f"load against {kind} failed")
        result = json.loads(line)
        result["rss_kib"], result["hwm_kib"] = memory(server.pid)
        load.stdin.write("\n")
        load.stdin.flush()
        load.wait(60)
        return result
    finally:
        server.terminate()
        server.wait(10)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main() -> None:
    """Run the comparison from the command line and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--swarms", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--offers", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3, help="runs per server, alternating")
    parser.add_argument("--only", choices=["shoal", "node"], help="measure one server only")
    parser.add_argument("--node-dir", default="/tmp/shoal-bench-bittorrent-tracker")
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["shoal", "node"]
    names = {"shoal": "Shoal (Tornado)", "node": "bittorrent-tracker"}
    print(
        f"{args.swarms} swarms, {args.offers} offers per announce (each answered), "
        f"{args.seconds:g} s measured after 3 s warm-up, {args.repeat} runs each (alternating)"
    )
    print(
        f"{'server':<20} {'peers':>6} {'announces/s':>12} {'offers/s':>9} {'answers/s':>10} "
        f"{'RSS MiB':>8} {'peak MiB':>9} {'srv CPU':>8} {'load CPU':>9}"
    )
    for peers in args.peers:
        runs: dict[str, list[dict]] = {kind: [] for kind in kinds}
        for _ in range(args.repeat):
            for kind in kinds:
                r = measure(kind, peers, args)
                runs[kind].append(r)
                print(
                    f"{names[kind]:<20} {peers:>6} {r['announces_per_s']:>12.0f} "
                    f"{r['offers_per_s']:>9.0f} {r['answers_per_s']:>10.0f} "
                    f"{r['rss_kib'] / 1024:>8.1f} {r['hwm_kib'] / 1024:>9.1f} "
                    f"{r['server_cpu']:>8.0%} {r['client_cpu']:>9.0%}",
                    flush=True,
                )
                if r["failures"]:
                    print(f"  {r['failures']} failures, first: {r['first_failure']}")
        medians = {
            kind: {key: median([r[key] for r in rs]) for key in ("announces_per_s", "rss_kib")}
            for kind, rs in runs.items()
        }
        for kind, m in medians.items():
            print(
                f"  median {names[kind]:<20} {peers:>6} peers: "
                f"{m['announces_per_s']:.0f} announces/s, {m['rss_kib'] / 1024:.1f} MiB RSS"
            )
        if len(medians) == 2:
            shoal, node = medians["shoal"], medians["node"]
            print(
                f"  ratio Shoal/bittorrent-tracker at {peers} peers: "
                f"{shoal['announces_per_s'] / node['announces_per_s']:.2f}x announces/s, "
                f"{shoal['rss_kib'] / node['rss_kib']:.2f}x RSS",
                flush=True,
            )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-shoal":
        serve_shoal(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "load":
        url, peers, swarms, seconds, offers, pid = sys.argv[2:8]
        load_main(url, int(peers), int(swarms), float(seconds), int(offers), int(pid))
    else:
        main()
