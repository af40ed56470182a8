"""The layout holds on desktop and phone widths: the main pages, signed in and not.

Headless Chromium renders each page at two widths, checks what must be visible
(a heading, the page's buttons), that nothing spills sideways, that no function
repr leaks into the text, and that no console error or CSP violation happens. It
keeps a screenshot of each for people to look at, in the folder named by
SHOAL_SCREENSHOTS (else `screenshots` in the test's temporary folder); the test
prints where.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload
from tests.handlers.test_channels import png
from tests.integration.test_browser import CSP_LISTENER, chromium, record_console_error

__all__ = ["chromium"]
pytestmark = pytest.mark.browser

WIDTHS = {"desktop": (1280, 800), "phone": (375, 740)}


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_pages_hold_their_layout_on_desktop_and_phone(
    chromium, server, alice, alice_api, other_user, clip, run_jobs, tmp_path
):
    alice.post(
        "/c/alice_channel/edit",
        data={
            "_xsrf": alice.xsrf(),
            "displayName": "Alice's Very Long Channel Name For Cats",
            "description": "A *long* description " * 20,
            "support": "Support me",
            "links": "Website https://alice.example",
        },
        files={
            "avatarfile": ("a.png", png(300, 300), "image/png"),
            "bannerfile": ("b.png", png(1200, 200), "image/png"),
        },
    )
    ids = upload(alice_api, clip, name="A rather long video title that must wrap on a phone")
    for n in range(3):
        upload(alice_api, clip, name=f"Another video {n}")
    run_jobs()
    bob = server.client()
    bob.token("bob", PASSWORD)
    bob.post("/api/v1/users/me/subscriptions", json={"uri": "alice_channel"})

    shots = Path(os.environ.get("SHOAL_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots of the layout walk: {shots}")
    watch = f"/w/{ids['shortUUID']}"
    # (name, path, text of a button or link that must be visible there)
    visitor_pages = (
        ("visitor-home", "/", "Create an account"),
        ("visitor-watch", watch, "Subscribe"),
        ("visitor-channel", "/c/alice_channel", "Subscribe"),
        ("visitor-login", "/login", "Sign in"),
        ("visitor-signup", "/signup", "Create"),
        ("visitor-about", "/about", None),
    )
    member_pages = (
        ("home", "/", "Upload"),
        ("channel", "/c/alice_channel", "Subscribed"),
        ("watch", watch, "Subscribed"),
        ("subscriptions", "/subscriptions", None),
        ("search", "/search?q=video", "Another video 0"),
        ("my-videos", "/my-videos", None),
        ("upload", "/videos/upload", "Upload"),
        ("settings", "/settings", "Save"),
        ("notifications", "/notifications", None),
    )
    for label, (width, height) in WIDTHS.items():
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: record_console_error(errors, msg))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        for name, path, button in visitor_pages:
            visit(page, server.url + path, name, label, button, shots)
        page.goto(f"{server.url}/login")
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        for name, path, button in member_pages:
            visit(page, server.url + path, name, label, button, shots)
            header = page.locator("header.top").bounding_box()
            nav = page.locator("header.top nav")
            if label == "phone":  # one row, the links behind a Menu button
                assert header["height"] < 70, f"{name}: the header is {header['height']}px high"
                assert nav.is_hidden()
                page.click("label.menu-button")
                assert nav.is_visible() and nav.get_by_text("Subscriptions").is_visible()
                page.click("label.menu-button")
                assert nav.is_hidden()
            else:
                assert nav.is_visible() and page.locator("label.menu-button").is_hidden()
        assert not errors, errors
        context.close()
    assert len(list(shots.glob("*.png"))) == 2 * (len(visitor_pages) + len(member_pages))


def visit(page, url: str, name: str, label: str, button: str | None, shots: Path) -> None:
    """Open a page and check what a person would see first; keep its screenshot."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)
    where = f"{name} at {label} width"
    assert page.locator("main h1").first.is_visible(), where
    text = page.locator("body").inner_text()
    assert "<function" not in page.content() and "function" not in page.title(), where
    assert "None" not in page.title() and "${" not in text, where
    if button:
        wanted = (
            page.get_by_role("button", name=button)
            .or_(page.get_by_role("link", name=button))
            .or_(page.locator("summary", has_text=button))  # a disclosure's button
        )
        seen = any(w.is_visible() for w in wanted.all())
        menu = page.locator("label.menu-button")
        if not seen and menu.is_visible():  # on a phone, header links are behind Menu
            menu.click()
            seen = any(w.is_visible() for w in wanted.all())
            menu.click()
        assert seen, f"{where}: no visible '{button}'"
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{where}: spills {overflow}px sideways"
