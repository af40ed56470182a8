"""Comments and ratings in a real browser: with HTMX (no page reload) and without
JavaScript (plain form posts that land back on the comment)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload
from tests.integration.test_browser import CSP_LISTENER, chromium, record_console_error

__all__ = ["chromium"]
pytestmark = pytest.mark.browser


def signed_in(chromium, server, *, javascript: bool):
    context = chromium.new_context(java_script_enabled=javascript)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    return context, page


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_comment_reply_and_like_with_htmx_without_a_reload(
    chromium, server, local_user, alice_api, clip, run_jobs
):
    ids = upload(alice_api, clip, name="Talk about it")
    run_jobs()
    context, page = signed_in(chromium, server, javascript=True)
    errors: list[str] = []
    page.on("console", lambda msg: record_console_error(errors, msg))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{server.url}/w/{ids['shortUUID']}")
    page.evaluate("() => { window.sameDocument = true; }")  # lost on any reload

    page.fill("#comment-form-new textarea", "What a **nice** clip")
    page.click("#comment-form-new button[type=submit]")
    first = page.locator("#comment-list article.comment").first
    first.wait_for()
    assert first.locator(".comment-text strong").inner_text() == "nice"
    assert page.input_value("#comment-form-new textarea") == ""  # a fresh form
    comment_id = first.get_attribute("id").removeprefix("comment-")

    page.click(f"#reply-{comment_id} summary")
    page.fill(f"#comment-form-{comment_id} textarea", "Thanks!")
    page.click(f"#comment-form-{comment_id} button[type=submit]")
    page.locator(f"#thread-{comment_id} .replies article.comment").first.wait_for()
    assert "Thanks!" in page.locator(f"#thread-{comment_id} .replies").inner_text()

    page.click("#rating button[value=like]")
    page.wait_for_selector("#rating button[aria-pressed=true]")
    assert page.locator("#rating button[aria-pressed=true] .count").inner_text() == "1"

    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click("#share summary")
    page.click("button[data-copy='#share-link']")
    page.wait_for_selector("button[data-copy='#share-link']:has-text('Copied')")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == f"{server.url}/w/{ids['shortUUID']}"
    assert page.evaluate("() => window.sameDocument") is True
    context.close()
    assert errors == [], errors


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_comment_reply_and_like_without_javascript(
    chromium, server, local_user, alice_api, clip, run_jobs
):
    ids = upload(alice_api, clip, name="Plain forms")
    run_jobs()
    context, page = signed_in(chromium, server, javascript=False)
    page.goto(f"{server.url}/w/{ids['shortUUID']}")
    page.fill("#comment-form-new textarea", "Posted without JavaScript")
    page.click("#comment-form-new button[type=submit]")
    page.wait_for_load_state()
    comment = page.locator("article.comment", has_text="Posted without JavaScript")
    assert comment.is_visible()
    comment_id = comment.get_attribute("id").removeprefix("comment-")
    assert page.url.endswith(f"#comment-{comment_id}")

    page.click(f"#reply-{comment_id} summary")  # <details> opens without JavaScript
    page.fill(f"#comment-form-{comment_id} textarea", "And a plain reply")
    page.click(f"#comment-form-{comment_id} button[type=submit]")
    page.wait_for_load_state()
    assert "And a plain reply" in page.locator(f"#thread-{comment_id}").inner_text()

    page.click("#rating button[value=like]")
    page.wait_for_load_state()
    assert page.locator("#rating button[aria-pressed=true] .count").inner_text() == "1"
    page.click("#share summary")
    assert page.locator("#share-link").is_visible()  # to copy by hand
    assert page.locator("button[data-copy]").first.is_hidden()  # the button needs JavaScript
    context.close()
