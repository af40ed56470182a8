"""Viewers share a video's segments over WebRTC, and a lying peer changes nothing.

Two headless Chromium contexts (two viewers, each its own storage and peer
id) watch one published video on a live server; p2p-media-loader in each page
announces to the server's own tracker and they trade segments over loopback
WebRTC. The first viewer starts earlier, so it holds segments the second one
needs later: the second gets some of them from the first, until it turns
sharing off (remembered by its browser). Then the first viewer is fed
corrupted segment bytes by the server (Playwright rewrites its responses, on
that page only) and shares them: the second checks each against
segments-sha256.json, rejects them, drops that peer, fetches the segments over
HTTP and plays on without a media error. A peer that takes requests but never
delivers the bytes does not stall a viewer playing at double speed. Without
WebRTC, or when the P2P modules do not load, the video plays from the server
as before. A viewer on the origin and one on a server following it share
through the origin's tracker.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.clips import make_clip
from tests.handlers.test_api_videos import upload
from tests.integration.test_browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_LISTENER,
    record_console_error,
    wait_until,
)
from tests.integration.test_federation import follow_server, make_user, settle

# WebRTC between pages of one headless browser over loopback. Chromium hides
# host ICE candidates behind mDNS names (*.local) unless the page may use the
# camera, and leaves loopback addresses out: the first two flags show real and
# loopback addresses, so peers connect without an mDNS responder or a network
# interface (on this machine they happened to connect without them too). The
# others keep timers and rendering of every page running: several play at once.
WEBRTC_ARGS = [
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--allow-loopback-in-peer-connection",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]

pytestmark = pytest.mark.browser

PLAY = "async () => { const v = document.querySelector('video'); v.muted = true; await v.play(); }"
P2P = "() => window.shoal.p2p"  # {enabled, peers, downloadedFromPeers, ...}


def buffered_past(seconds: float) -> str:
    """A predicate: the player has buffered beyond `seconds`."""
    return (
        "() => { const b = document.getElementById('player').buffered;"
        f" return b.length > 0 && b.end(b.length - 1) > {seconds}; }}"
    )


@pytest.fixture
def webrtc_chromium():
    """Headless Chromium whose pages can reach each other over loopback WebRTC."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser test needs Chromium at {CHROMIUM}, which is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + WEBRTC_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def thirty_seconds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 30 s 320x240 clip: eight ~4 s segments per rendition."""
    path = tmp_path_factory.mktemp("p2p") / "thirty-seconds.mp4"
    return Path(make_clip(str(path), seconds=30.0, width=320, height=240, fps=15))


@pytest.fixture
def published(alice_api, thirty_seconds, run_jobs) -> str:
    """The watch URL path of alice's published 30 s video."""
    ids = upload(alice_api, thirty_seconds, name="Shared peer to peer")
    run_jobs()
    return f"/w/{ids['shortUUID']}"


def viewer(browser, errors: list[str]):
    """A new viewer (own context: own storage, own peer id) on the watch page, player ready."""
    context = browser.new_context()
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return context, page


def open_player(page, url: str) -> None:
    page.goto(url)
    wait_until(page, "() => Boolean(window.shoal.player && window.shoal.player.hls)")
    assert page.evaluate(P2P)["enabled"] is True  # the P2P engine runs


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_second_viewer_gets_segments_from_the_first(webrtc_chromium, server, published):
    errors: list[str] = []
    url = f"{server.url}{published}"
    first_context, first = viewer(webrtc_chromium, errors)
    open_player(first, url)
    first.evaluate(PLAY)
    # The first viewer holds segments past the second one's first 6 s (those
    # the second fetches from the server at once, as they are due soon).
    wait_until(first, "() => document.getElementById('player').currentTime > 1")
    wait_until(first, buffered_past(15), timeout=20)
    started_at = first.evaluate("() => document.getElementById('player').currentTime")

    second_context, second = viewer(webrtc_chromium, errors)
    open_player(second, url)
    second.evaluate(PLAY)
    wait_until(second, "() => window.shoal.p2p.downloadedFromPeers > 0", timeout=20)
    wait_until(second, "() => document.getElementById('player').currentTime > 1.5")

    got, gave = second.evaluate(P2P), first.evaluate(P2P)
    assert got["peers"] >= 1 and gave["peers"] >= 1
    assert got["downloadedFromPeers"] > 0 and got["downloadedFromServer"] > 0
    assert gave["uploadedToPeers"] > 0
    assert got["rejectedFromPeers"] == 0
    assert first.evaluate("() => document.getElementById('player').currentTime") > started_at
    # What player.js's closePeer reaches into (p2p-media-loader 2.3.1's internals) is there.
    assert second.evaluate(
        "() => [...window.shoal.player.hls.p2pEngine.core.mainStreamLoader.p2pLoaders"
        ".loaders.values()].some(({loader}) => loader.trackerClient._peers instanceof Map)"
    )
    # A small "P2P · 1" indicator; its figures and the setting open on demand.
    peers = second.evaluate(P2P)["peers"]  # one connection per swarm (rendition) shared
    assert second.locator("#p2p-panel summary").inner_text() == f"P2P · {peers}"
    assert second.locator("#p2p-toggle").is_hidden()  # folded away until asked for
    second.click("#p2p-panel summary")
    shown = second.locator("#p2p-stats").inner_text()
    assert re.fullmatch(r"\d+ peers? · .+ from peers · .+ from server · .+ sent", shown), shown
    for page in (first, second):
        assert page.locator("#player-error").is_hidden()
        assert page.evaluate("() => document.getElementById('player').error") is None

    # The second viewer says no: sharing stops now, and after a reload too.
    second.uncheck("#p2p-toggle input")
    wait_until(second, "() => window.shoal.p2p.peers === 0", timeout=5)
    shown_off = "() => document.getElementById('p2p-stats').textContent === 'Peer-to-peer off'"
    wait_until(second, shown_off, timeout=2)
    assert second.locator("#p2p-panel summary").inner_text() == "P2P off"
    second.reload()
    wait_until(second, "() => Boolean(window.shoal.player && window.shoal.player.hls)")
    second.click("#p2p-panel summary")
    assert not second.is_checked("#p2p-toggle input")
    second.evaluate(PLAY)
    wait_until(second, "() => document.getElementById('player').currentTime > 1")
    after = second.evaluate(P2P)
    assert after["enabled"] is False and after["peers"] == 0
    assert after["downloadedFromPeers"] == 0 and after["downloadedFromServer"] > 0
    second_context.close()
    first_context.close()
    assert errors == [], "\n".join(errors)


def corrupt_segments(route) -> None:
    """Serve the real response with some bytes of each media segment flipped.

    The init segment (the range from byte 0) is left alone, and so are the
    first bytes of each segment (its moof box and first frames), so the lying
    page still parses what it buffers; the tail of the mdat is garbage.
    """
    response = route.fetch()
    body = bytearray(response.body())
    if route.request.headers.get("range", "bytes=0-").startswith("bytes=0-") or len(body) < 4096:
        route.fulfill(response=response, body=bytes(body))
        return
    for i in range(len(body) - 64, len(body)):
        body[i] ^= 0xFF
    route.fulfill(response=response, body=bytes(body))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_corrupted_segments_from_a_peer_are_rejected(webrtc_chromium, server, published):
    errors: list[str] = []
    url = f"{server.url}{published}"
    liar_context, liar = viewer(webrtc_chromium, errors)
    liar.route(re.compile(r"-fragmented\.mp4$"), corrupt_segments)
    open_player(liar, url)
    # Paused 14 s in, the liar buffers (and offers) the segments from 12 s on:
    # the honest viewer, starting at 0, looks for those among its peers. (Nothing
    # but playlists loads before a first play.)
    liar.evaluate(
        "async () => { const v = document.getElementById('player'); v.muted = true;"
        " await v.play(); v.pause(); v.currentTime = 14; }"
    )
    wait_until(liar, buffered_past(20), timeout=20)

    honest_context, honest = viewer(webrtc_chromium, errors)
    open_player(honest, url)
    honest.evaluate(PLAY)
    wait_until(honest, "() => window.shoal.p2p.rejectedFromPeers > 0", timeout=20)
    # The liar's data never reached the video. (Its connection in that rendition's swarm
    # is dropped; both start at the lowest rendition and may also meet in another one,
    # under another peer id, so the count of peers need not fall to zero.)
    assert honest.evaluate(P2P)["downloadedFromPeers"] == 0
    # The rejected segments play, fetched from the server.
    honest.evaluate("() => { document.getElementById('player').currentTime = 17; }")
    wait_until(honest, "() => document.getElementById('player').currentTime > 19", timeout=15)
    assert honest.locator("#player-error").is_hidden()
    assert honest.evaluate("() => document.getElementById('player').error") is None
    assert honest.evaluate(P2P)["downloadedFromPeers"] == 0
    honest_context.close()
    liar_context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_without_webrtc_or_the_p2p_modules_the_video_plays_from_the_server(
    webrtc_chromium, server, published
):
    url = f"{server.url}{published}"
    errors: list[str] = []
    blocked_context, blocked = viewer(webrtc_chromium, errors)
    blocked.route(re.compile(r"/p2p-media-loader-core\.es\.min\.js"), lambda route: route.abort())
    no_webrtc_context, no_webrtc = viewer(webrtc_chromium, errors)
    no_webrtc_context.add_init_script("delete window.RTCPeerConnection;")
    for page in (blocked, no_webrtc):
        page.goto(url)
        wait_until(page, "() => Boolean(window.shoal.player && window.shoal.player.hls)")
        page.evaluate(PLAY)
        wait_until(page, "() => document.getElementById('player').currentTime > 1")
        stats = page.evaluate(P2P)
        assert stats["enabled"] is False and stats["downloadedFromServer"] > 0
        assert page.locator("#p2p-toggle").is_hidden()
        assert page.locator("#player-error").is_hidden()
    blocked_context.close()
    no_webrtc_context.close()
    # Only the blocked module's own failure shows (its preload and its import).
    assert errors and all("p2p-media-loader-core.es.min.js" in e for e in errors), errors


@pytest.fixture
def on_two_servers(instances, thirty_seconds):
    """(origin, other, watch path): alice's video on the origin, federated to `other`.

    Made before the browser starts: the job runner's HTTP client needs a
    thread with no event loop running, and Playwright runs one.
    """
    origin, other = instances("origin"), instances("other")
    follow_server(other, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, thirty_seconds, name="Shared across servers")
    settle(origin, other)
    path = f"/w/{ids['shortUUID']}"
    assert other.client().get(path).status_code == 200
    return origin, other, path


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_viewers_on_two_servers_share_through_the_origins_tracker(on_two_servers, webrtc_chromium):
    """A viewer on the origin and one on a server that follows it share one swarm.

    The other server plays the remote video from the origin's HLS files with
    the origin's tracker and hashes, so p2p-media-loader derives the same swarm
    id on both pages and the origin's tracker introduces them.
    """
    origin, other, path = on_two_servers
    errors: list[str] = []
    first_context, first = viewer(webrtc_chromium, errors)
    open_player(first, f"{origin.url}{path}")
    first.evaluate(PLAY)
    wait_until(first, "() => document.getElementById('player').currentTime > 1")
    wait_until(first, buffered_past(15), timeout=20)

    second_context, second = viewer(webrtc_chromium, errors)
    open_player(second, f"{other.url}{path}")
    player = second.locator("#player")
    assert player.get_attribute("data-tracker") == f"ws://{origin.settings.host}/tracker/socket"
    assert player.get_attribute("data-segments-sha256").startswith(origin.url)
    second.evaluate(PLAY)
    wait_until(second, "() => window.shoal.p2p.downloadedFromPeers > 0", timeout=20)
    got, gave = second.evaluate(P2P), first.evaluate(P2P)
    assert got["rejectedFromPeers"] == 0 and gave["uploadedToPeers"] > 0
    # Both announced to the origin's tracker, in one swarm; the other server's has none.
    swarms = origin.app.settings["tracker"].swarms
    assert max(len(swarm.peers) for swarm in swarms.values()) == 2
    assert other.app.settings.get("tracker") is None
    second_context.close()
    first_context.close()
    assert errors == [], "\n".join(errors)


# Stalls of the <video>: seconds spent waiting for data after playback began.
STALL_WATCH = """() => {
  const v = document.getElementById('player');
  const s = window.shoalStalls = {count: 0, seconds: 0, since: null};
  v.addEventListener('waiting', () => {
    if (v.currentTime > 0.5) { s.count++; s.since = performance.now(); }
  });
  v.addEventListener('playing', () => {
    if (s.since !== null) { s.seconds += (performance.now() - s.since) / 1000; s.since = null; }
  });
}"""


# A peer too slow to deliver: its data channel carries p2p-media-loader's
# small commands (it announces segments and takes requests) but none of the
# segment bytes it then sends.
SILENT_PEER = """(() => {
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    const size = typeof data === 'string' ? data.length : (data.byteLength ?? data.size ?? 0);
    if (size > 2048) return;
    return send.call(this, data);
  };
})();"""


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_peer_that_never_delivers_does_not_stall_playback(webrtc_chromium, server, published):
    errors: list[str] = []
    url = f"{server.url}{published}"
    slow_context, slow = viewer(webrtc_chromium, errors)
    slow_context.add_init_script(SILENT_PEER)
    open_player(slow, url)
    slow.evaluate(PLAY)
    wait_until(slow, buffered_past(25), timeout=20)

    second_context, second = viewer(webrtc_chromium, errors)
    open_player(second, url)
    second.evaluate(STALL_WATCH)
    second.evaluate(PLAY)
    second.evaluate("() => { document.getElementById('player').playbackRate = 2; }")  # in a hurry
    wait_until(second, "() => document.getElementById('player').currentTime > 24", timeout=40)
    stalls = second.evaluate("() => window.shoalStalls")
    stats = second.evaluate(P2P)
    assert stats["downloadedFromPeers"] == 0 and stats["downloadedFromServer"] > 0
    assert slow.evaluate(P2P)["uploadedToPeers"] > 0  # it was asked, and began to answer
    assert stalls["seconds"] < 1.0, stalls
    assert second.locator("#player-error").is_hidden()
    assert second.evaluate("() => document.getElementById('player').error") is None
    second_context.close()
    slow_context.close()
    assert errors == [], "\n".join(errors)
