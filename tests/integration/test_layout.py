"""The layout holds on desktop and phone widths: channel, watch and subscriptions pages.

Headless Chromium renders each page at two widths, checks that nothing spills
sideways and that no console error or CSP violation happens, and keeps a
screenshot of each (in the test's temporary folder) for people to look at.
"""

from __future__ import annotations

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

    for label, (width, height) in WIDTHS.items():
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda msg, errors=errors: record_console_error(errors, msg))
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(f"{server.url}/login")
        page.fill("input[name=username]", "bob")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        for name, path in (
            ("home", "/"),
            ("channel", "/c/alice_channel"),
            ("watch", f"/w/{ids['shortUUID']}"),
            ("subscriptions", "/subscriptions"),
            ("search", "/search?q=video"),
            ("my-videos", "/my-videos"),
        ):
            page.goto(server.url + path)
            page.wait_for_load_state("networkidle")
            assert page.locator("h1").first.is_visible(), name
            assert "function" not in page.title() and "<function" not in page.content()
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
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} spills {overflow}px sideways at {label} width"
            page.screenshot(path=str(tmp_path / f"{name}-{label}.png"), full_page=True)
        assert not errors, errors
        context.close()
