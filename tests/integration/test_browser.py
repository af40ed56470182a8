"""What only a real browser proves: upload with the progress bar, then watch.

One headless Chromium session drives the real pages of a live server: sign in
through the login form, upload a generated clip with upload.js (XHR and its
progress bar), land on the watch page while the video waits for a worker, see
the page refresh itself once the job queue has run (HTMX polling the state
fragment, HX-Refresh), and play the HLS renditions with hls.js. The page must
log no console errors and trip no Content-Security-Policy.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from models.accounts import User
from tests.clips import make_clip
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Reports CSP violations as console errors, so that one listener catches both.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""

# Records every value the upload progress bar shows, through an exposed function.
PROGRESS_OBSERVER = """
() => {
  const bar = document.getElementById("upload-progress");
  new MutationObserver(() => window.reportProgress(bar.value, bar.hidden)).observe(
    bar, { attributes: true, attributeFilter: ["value", "hidden"] });
}
"""

pytestmark = pytest.mark.browser


def record_console_error(errors: list[str], msg) -> None:
    """Keep console errors, except the 404 of the browser's own /favicon.ico probe."""
    where = msg.location.get("url", "")
    if msg.type == "error" and not where.endswith("/favicon.ico"):
        errors.append(f"{msg.text} ({where})")


def wait_until(page, predicate: str, timeout: float = 15.0) -> None:
    """Poll a JS function until it returns true.

    Playwright's own wait_for_function evaluates strings with eval(), which the
    page's CSP (rightly) forbids; page.evaluate goes through DevTools instead.
    """
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        page.wait_for_timeout(100)


@pytest.fixture
def chromium():
    """A headless Debian Chromium driven by Playwright; skipped when absent."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser test needs Chromium at {CHROMIUM}, which is not installed")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def long_clip(tmp_path: Path) -> Path:
    """A real 6 s 320x240 H.264/AAC clip: long enough to watch it play for a while."""
    return Path(make_clip(str(tmp_path / "six-seconds.mp4"), seconds=6.0, width=320, height=240))


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_user_uploads_with_progress_then_watches_once_transcoded(
    chromium, server, local_user, long_clip, run_jobs, tmp_path
):
    errors: list[str] = []
    progress: list[float] = []
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.expose_function("reportProgress", lambda value, hidden: progress.append(value))
    refreshes: list[str] = []
    page.on(
        "response",
        lambda r: r.url.endswith("/state") and refreshes.append(r.headers.get("hx-refresh", "")),
    )

    # Sign in through the login form.
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    assert page.locator("header nav").get_by_text("@alice").is_visible()

    # Upload through the form: upload.js sends it with XHR and drives the bar.
    page.goto(f"{server.url}/videos/upload")
    page.evaluate(PROGRESS_OBSERVER)
    page.set_input_files("input[name=videofile]", str(long_clip))
    # The title starts as the file's name.
    assert page.input_value("#upload-form input[name=name]") == "six-seconds"
    page.fill("#upload-form input[name=name]", "Six seconds in a browser")
    with page.expect_response(
        lambda r: r.url.startswith(f"{server.url}/videos/upload") and r.request.method == "POST"
    ) as posted:
        page.click("#upload-form button[type=submit]")
    response = posted.value
    assert response.status == 201, response.text()
    assert response.request.headers.get("x-requested-with") == "XMLHttpRequest"
    # upload.js navigates at once to the `url` of the 201 JSON (its body is gone by then).
    page.wait_for_url(re.compile(r"/w/[A-Za-z0-9]+$"))
    assert progress and max(progress) == 100, progress

    # The watch page waits for a worker, polling the state fragment.
    state = page.locator("#video-state")
    assert state.is_visible()
    assert "Waiting for a worker" in state.inner_text()
    assert page.locator("#player").count() == 0

    assert run_jobs() >= 1  # the transcode, then its federation job
    # The next poll answers HX-Refresh, and the reloaded page has the player.
    page.wait_for_selector("video#player", state="attached", timeout=10_000)
    wait_until(
        page,
        "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls"
        " && !document.getElementById('quality').hidden)",
    )
    assert refreshes[-1] == "true" and refreshes[:-1] == [""] * (len(refreshes) - 1)
    qualities = page.eval_on_selector_all("#quality option", "os => os.map(o => o.textContent)")
    assert qualities[0].startswith("Auto")
    assert qualities[1:] == ["240p", "144p"]

    page.evaluate(
        "async () => { const v = document.getElementById('player');"
        " v.muted = true; await v.play(); }"
    )
    wait_until(page, "() => document.getElementById('player').currentTime > 1.0")
    assert page.locator("#player-error").is_hidden()
    page.screenshot(path=str(tmp_path / "watch.png"), full_page=True)
    context.close()

    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_watch_page_plays_without_javascript(chromium, server, alice_api, long_clip, run_jobs):
    ids = upload(alice_api, long_clip, name="No script")
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server.url}/w/{ids['shortUUID']}")  # still processing
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    assert "reloads itself every 10 seconds" in page.locator("#video-state").inner_text()

    run_jobs()
    page.goto(f"{server.url}/w/{ids['shortUUID']}")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    plain = page.locator("video.plain")
    assert plain.is_visible() and page.locator("#player").is_hidden()
    assert page.get_by_text("Quality").is_hidden()
    src = plain.get_attribute("src")
    assert re.search(r"/static/streaming-playlists/hls/[0-9a-f-]+/.*240.*\.mp4$", src), src
    assert "peer to peer" in page.locator("p.noscript").inner_text()
    # The browser reads the file's header: it plays as a plain MP4.
    deadline = time.monotonic() + 10
    while plain.evaluate("v => v.readyState") < 1:
        assert time.monotonic() < deadline, "the plain player never loaded the video's metadata"
        page.wait_for_timeout(100)
    assert plain.evaluate("v => Math.round(v.duration)") == 6
    context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_an_upload_over_the_quota_says_so_before_sending(chromium, server, local_user, long_clip):
    User.update(video_quota=50_000).where(User.id == local_user.id).execute()
    context = chromium.new_context()
    page = context.new_page()
    sent: list[str] = []
    page.on(
        "request", lambda r: r.method == "POST" and "/videos/upload" in r.url and sent.append(r.url)
    )
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.goto(f"{server.url}/videos/upload")
    assert "of your 48.8 kB quota" in page.locator("p.quota").inner_text()
    page.set_input_files("input[name=videofile]", str(long_clip))
    page.click("#upload-form button[type=submit]")
    error = page.locator("#upload-error")
    error.wait_for(state="visible")
    assert "your video quota has 48.8 kB left (of 48.8 kB)" in error.inner_text()
    assert page.locator("#upload-progress").is_hidden() and sent == []
    context.close()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_hovering_the_timeline_previews_that_moment_and_clicking_seeks(
    chromium, server, alice_api, long_clip, run_jobs, tmp_path
):
    ids = upload(alice_api, long_clip, name="Storyboard")
    run_jobs()
    errors: list[str] = []
    sprites: list[str] = []
    context = chromium.new_context(viewport={"width": 1100, "height": 900})
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on("console", lambda msg: record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    page.on("request", lambda r: "/lazy-static/storyboards/" in r.url and sprites.append(r.url))
    page.goto(f"{server.url}/w/{ids['shortUUID']}")
    timeline = page.locator("#storyboard .storyboard-seek")
    assert timeline.is_visible()
    preview = page.locator("#storyboard .storyboard-preview")
    assert preview.is_hidden() and sprites == []  # nothing fetched before anyone looks

    # Six one-second tiles in one row; halfway along the 6 s video is tile 3.
    box = timeline.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2)
    assert preview.is_visible()
    tile = page.locator("#storyboard .storyboard-tile")
    assert tile.evaluate("t => t.style.backgroundPosition") == "-576px 0px"
    assert tile.evaluate("t => [t.style.width, t.style.height]") == ["192px", "144px"]
    assert page.locator("#storyboard .storyboard-time").inner_text() == "0:03"
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] / 2)
    assert tile.evaluate("t => t.style.backgroundPosition") == "-960px 0px"
    assert page.locator("#storyboard .storyboard-time").inner_text() == "0:05"
    # The preview sits over the picture, inside the player's width.
    shown = preview.bounding_box()
    assert shown["x"] + shown["width"] <= box["x"] + box["width"] + 8
    page.screenshot(path=str(tmp_path / "storyboard.png"))
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] - 200)
    assert preview.is_hidden()

    # A click at a third of the way seeks the video there, before anything was played:
    # the frame of that moment loads.
    page.mouse.click(box["x"] + box["width"] / 3, box["y"] + box["height"] / 2)
    wait_until(page, "() => document.getElementById('player').readyState >= 2")
    assert page.evaluate("() => document.getElementById('player').currentTime") == pytest.approx(
        2, abs=0.3
    )
    assert len(set(sprites)) == 1 and sprites[0].endswith(f"/{ids['uuid']}.jpg")
    context.close()
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_a_shared_link_with_a_start_time_plays_from_there(
    chromium, server, alice_api, long_clip, run_jobs
):
    ids = upload(alice_api, long_clip, name="Start later")
    run_jobs()
    context = chromium.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/w/{ids['shortUUID']}?start=0m3s")
    wait_until(
        page, "() => Boolean(window.shoal && window.shoal.player && window.shoal.player.hls)"
    )
    # play() resolves once playing has begun: at the shared moment, not 3 s into the video.
    at = page.evaluate(
        "async () => { const v = document.getElementById('player');"
        " v.muted = true; await v.play(); return v.currentTime; }"
    )
    assert 2.9 <= at < 4, f"playing began at {at} s"
    context.close()
