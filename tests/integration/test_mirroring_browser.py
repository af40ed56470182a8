"""In a real browser: origin and mirror each send part of the segments; when the origin's
media stop answering mid-playback the mirror plays the video to the end; a mirror whose
copy goes bad is refused and the origin sends its part; with the origin gone altogether, a
viewer on the mirror's page plays the whole video."""

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


PLAY_FAST = (
    "async () => { const v = document.getElementById('player'); v.muted = true;"
    " v.defaultPlaybackRate = 4; v.playbackRate = 4; await v.play(); }"
)


class Viewer:
    """A fresh browser context on a watch page: the segment URLs it got and its errors."""

    def __init__(self, chromium, url: str, *, p2p: bool = True) -> None:
        self.context = chromium.new_context()
        self.context.add_init_script(CSP_LISTENER)
        if not p2p:
            self.context.add_init_script("window.localStorage.setItem('shoal.p2p', 'off')")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.served: list[str] = []
        page = self.page
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on(
            "console",
            lambda m: m.type == "error" and "CSP" in m.text and self.errors.append(m.text),
        )
        page.on("response", lambda r: r.ok and r.url.endswith(".mp4") and self.served.append(r.url))
        page.goto(url)
        assert page.locator("#player").get_attribute("data-mirrors")
        wait_until(
            page, "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls)"
        )
        page.evaluate(PLAY_FAST)

    def from_(self, server) -> list[str]:
        return [u for u in self.served if u.startswith(server.url)]

    def play_to_end(self) -> Viewer:
        wait_until(self.page, "() => document.getElementById('player').ended", timeout=60)
        assert self.page.locator("#player-error").is_hidden()
        self.context.close()
        assert self.errors == [], self.errors
        return self


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_origin_and_mirror_share_the_segments_and_each_stands_in_for_the_other(
    chromium, instances, tmp_path
):
    origin, mirror = instances("origin"), instances("mirror")

    def prepare() -> dict:
        """Off this thread: Playwright's loop runs here, and federation jobs run their own."""
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

    # Both serve: with P2P (p2p-media-loader asks the server for what no peer has) and
    # without, segments come from each in turn.
    for p2p in (True, False):
        viewer = Viewer(chromium, watch, p2p=p2p).play_to_end()
        assert len(viewer.from_(mirror)) >= 3 and len(viewer.from_(origin)) >= 3, viewer.served

    # The origin's media stop answering mid-playback: the mirror plays it to the end.
    with origin.use():
        folder = hls_dir(origin.settings, Video.get(Video.uuid == ids["uuid"]))
    viewer = Viewer(chromium, watch)
    wait_until(viewer.page, "() => document.getElementById('player').currentTime > 0.5")
    folder.rename(folder.with_name(f"{folder.name}.gone"))  # 404 from now on
    before = len(viewer.served)
    viewer.play_to_end()
    later = viewer.served[before:]  # (one asked before the move may still come from the origin)
    assert later and sum(u.startswith(mirror.url) for u in later) >= len(later) - 1, later
    folder.with_name(f"{folder.name}.gone").rename(folder)

    # The mirror's copy goes bad: what it sends is refused, the origin sends it instead.
    copy_dir = mirror.settings.media_dir / "mirrors" / ids["uuid"]
    good = {media: media.read_bytes() for media in copy_dir.glob("*-fragmented.mp4")}
    for media in good:
        media.write_bytes(bytes(media.stat().st_size))
    for p2p in (True, False):
        viewer = Viewer(chromium, watch, p2p=p2p).play_to_end()
        # Left out after its first bad segment (one per rendition at most).
        assert len(viewer.from_(mirror)) <= 2 and len(viewer.from_(origin)) >= 5, viewer.served

    # The origin is gone altogether: a viewer on the mirror's own page plays it all.
    for media, data in good.items():
        media.write_bytes(data)
    origin.stop()
    viewer = Viewer(chromium, f"{mirror.url}/w/{ids['shortUUID']}").play_to_end()
    assert len(viewer.from_(mirror)) >= 5 and viewer.from_(origin) == [], viewer.served
