"""In a real browser: the origin's media stop answering mid-playback, and the player goes
on from the server that mirrors the video, to the end."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.videos import hls_dir
from models.videos import Video
from tests.clips import make_clip
from tests.handlers.test_api_videos import upload
from tests.integration.test_browser import CSP_LISTENER, chromium, wait_until
from tests.integration.test_federation import admin, follow_server, make_user, settle

__all__ = ["chromium"]
pytestmark = pytest.mark.browser


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_playing_goes_on_from_the_mirror_when_the_origin_stops_answering(
    chromium, instances, tmp_path
):
    origin, mirror = instances("origin"), instances("mirror")

    def prepare() -> dict:
        """Off this thread: Playwright's loop runs here, and federation jobs run their own."""
        follow_server(mirror, origin)
        follow_server(origin, mirror)
        clip = Path(make_clip(str(tmp_path / "forty.mp4"), seconds=40.0, width=320, height=240))
        ids = upload(make_user(origin, "alice"), clip, name="Long enough")
        settle(origin, mirror)
        remote_id = mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["id"]
        copy = admin(mirror).post("/api/v1/server/redundancy/videos", json={"videoId": remote_id})
        assert copy.status_code == 204
        settle(mirror, origin)
        return ids

    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(prepare).result()

    context = chromium.new_context()
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: m.type == "error" and "CSP" in m.text and errors.append(m.text))
    served: list[str] = []
    page.on("response", lambda r: r.ok and r.url.endswith(".mp4") and served.append(r.url))
    page.goto(f"{origin.url}/w/{ids['shortUUID']}")
    assert page.locator("#player").get_attribute("data-mirrors")
    wait_until(
        page, "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls)"
    )
    page.evaluate(
        "async () => { const v = document.getElementById('player'); v.muted = true;"
        " v.defaultPlaybackRate = 4; v.playbackRate = 4; await v.play(); }"
    )
    wait_until(page, "() => document.getElementById('player').currentTime > 0.5")
    with origin.use():
        folder = hls_dir(origin.settings, Video.get(Video.uuid == ids["uuid"]))
    folder.rename(folder.with_name(f"{folder.name}.gone"))  # the origin's media: 404 from now on
    wait_until(page, "() => document.getElementById('player').ended", timeout=60)
    assert any("/static/redundancy/hls/" in url for url in served), served
    assert page.locator("#player-error").is_hidden()
    context.close()
    assert errors == [], errors


def _play_to_end(chromium, url: str, *, p2p: bool) -> tuple[list[str], list[str]]:
    """Play a watch page to its end at 4x; the segment URLs served, and the page's errors."""
    context = chromium.new_context()
    context.add_init_script(CSP_LISTENER)
    if not p2p:
        context.add_init_script("window.localStorage.setItem('shoal.p2p', 'off')")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: m.type == "error" and "CSP" in m.text and errors.append(m.text))
    served: list[str] = []
    page.on("response", lambda r: r.ok and r.url.endswith(".mp4") and served.append(r.url))
    page.goto(url)
    wait_until(
        page, "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls)"
    )
    page.evaluate(
        "async () => { const v = document.getElementById('player'); v.muted = true;"
        " v.defaultPlaybackRate = 4; v.playbackRate = 4; await v.play(); }"
    )
    wait_until(page, "() => document.getElementById('player').ended", timeout=60)
    assert page.locator("#player-error").is_hidden()
    context.close()
    return served, errors


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_segments_come_from_the_origin_and_its_mirror_and_bad_copies_are_refused(
    chromium, instances, tmp_path
):
    origin, mirror = instances("origin"), instances("mirror")

    def prepare() -> dict:
        follow_server(mirror, origin)
        follow_server(origin, mirror)
        clip = Path(make_clip(str(tmp_path / "long.mp4"), seconds=30.0, width=320, height=240))
        ids = upload(make_user(origin, "alice"), clip, name="Shared load")
        settle(origin, mirror)
        remote_id = mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["id"]
        copy = admin(mirror).post("/api/v1/server/redundancy/videos", json={"videoId": remote_id})
        assert copy.status_code == 204
        settle(mirror, origin)
        return ids

    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(prepare).result()
    watch = f"{origin.url}/w/{ids['shortUUID']}"

    # With P2P (p2p-media-loader asks the server for what no peer has) and without.
    for p2p in (True, False):
        served, errors = _play_to_end(chromium, watch, p2p=p2p)
        assert errors == [], errors
        from_mirror = [u for u in served if u.startswith(mirror.url)]
        from_origin = [u for u in served if u.startswith(origin.url)]
        assert from_mirror and from_origin, (p2p, served)  # each carried a share

    # The mirror's copy goes bad: what it sends is refused, the origin sends it instead.
    copy_dir = mirror.settings.media_dir / "mirrors" / ids["uuid"]
    for media in copy_dir.glob("*-fragmented.mp4"):
        media.write_bytes(bytes(media.stat().st_size))
    for p2p in (True, False):
        served, errors = _play_to_end(chromium, watch, p2p=p2p)
        assert errors == [], errors
        # Left out after its first bad segment (one per rendition at most).
        assert len([u for u in served if u.startswith(mirror.url)]) <= 2, served
        assert len([u for u in served if u.startswith(origin.url)]) >= 5, served
