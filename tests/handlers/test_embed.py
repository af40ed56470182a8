"""Any site can embed a video: the embed page and oEmbed."""

from __future__ import annotations

from tests.handlers.test_api_videos import upload


def test_embed_page_is_a_bare_player_any_site_may_frame(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip, name="Embed me")
    run_jobs()
    page = anon.get(f"/videos/embed/{ids['uuid']}")
    assert page.status_code == 200
    assert '<video id="player"' in page.text and "master.m3u8" in page.text
    assert 'class="top"' not in page.text  # no site chrome
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in page.headers
    watch = anon.get(f"/w/{ids['shortUUID']}")
    assert f"/videos/embed/{ids['uuid']}" in watch.text  # the snippet to copy
    assert watch.headers["X-Frame-Options"] == "SAMEORIGIN"  # the site itself is not framed
    assert 'type="application/json+oembed"' in watch.text


def test_oembed_describes_watch_urls(alice_api, anon, clip, run_jobs, live_settings):
    ids = upload(alice_api, clip, name="Cats <3")
    run_jobs()
    url = f"{live_settings.base_url}/w/{ids['shortUUID']}"
    data = anon.get("/services/oembed", params={"url": url, "maxwidth": 400}).json()
    assert data["type"] == "video" and data["version"] == "1.0"
    assert data["title"] == "Cats <3" and data["width"] == 400 and data["height"] == 225
    assert f'src="{live_settings.base_url}/videos/embed/{ids["uuid"]}"' in data["html"]
    assert 'title="Cats &lt;3"' in data["html"]
    assert data["thumbnail_url"].endswith(".jpg")
    assert (
        anon.get("/services/oembed", params={"url": "https://elsewhere.example/w/abc"}).status_code
        == 404
    )
    assert anon.get("/services/oembed", params={"url": url, "format": "xml"}).status_code == 501


def test_private_and_unfinished_videos_do_not_embed(alice_api, anon, clip, run_jobs, live_settings):
    private = upload(alice_api, clip, name="Hidden", privacy=3)
    pending = upload(alice_api, clip, name="Not yet")
    assert anon.get(f"/videos/embed/{pending['uuid']}").status_code == 404
    run_jobs()
    assert anon.get(f"/videos/embed/{private['uuid']}").status_code == 404
    url = f"{live_settings.base_url}/w/{private['shortUUID']}"
    assert anon.get("/services/oembed", params={"url": url}).status_code == 404
