"""Search finds videos by words in their name or description and by tag (on the page and
in PeerTube's API, with its tagsOneOf and tagsAllOf filters), tags on the watch page link
to their search, and a local user's handle finds their channels."""

from __future__ import annotations

import html
import re

from tests.handlers.test_api_videos import upload


def found(client, **params) -> list[str]:
    response = client.get("/api/v1/search/videos", params=params)
    assert response.status_code == 200, response.text
    return sorted(v["name"] for v in response.json()["data"])


def test_videos_are_found_by_tag_words_and_description(alice_api, anon, clip, run_jobs):
    upload(alice_api, clip, name="Morning", **{"tags[0]": "Demo", "tags[1]": "cats"})
    upload(alice_api, clip, name="Evening", description="A 100% demo_reel of dogs",
           **{"tags[0]": "dogs", "tags[1]": "night"})  # fmt: skip
    upload(alice_api, clip, name="Noon", **{"tags[0]": "cats", "tags[1]": "night"})
    run_jobs()
    assert found(anon, search="demo") == ["Evening", "Morning"]  # tag, or description
    assert found(anon, search="#demo") == ["Morning"]  # a tag only
    assert found(anon, search="#DEMO") == ["Morning"]
    assert found(anon, search="100%") == ["Evening"]  # % and _ are taken literally
    assert found(anon, search="demo_") == ["Evening"]
    assert found(anon, search="0%d") == []
    assert found(anon, search="night", tagsOneOf="cats") == ["Noon"]
    assert found(anon, search="e", tagsOneOf=["dogs", "demo"]) == ["Evening", "Morning"]
    assert found(anon, search="n", tagsAllOf=["cats", "night"]) == ["Noon"]
    page = anon.get("/search", params={"q": "#demo"}).text
    assert "Morning" in page and "Evening" not in page


def test_tags_on_the_watch_page_link_to_their_search(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip, name="Tagged", **{"tags[0]": "demo", "tags[1]": "cats"})
    run_jobs()
    page = anon.get(f"/videos/watch/{ids['uuid']}").text
    links = re.findall(r'<a class="tag" href="([^"]+)">([^<]+)</a>', page)
    assert [(html.unescape(h), t) for h, t in links] == [
        ("/search?q=%23demo", "#demo"),
        ("/search?q=%23cats", "#cats"),
    ]
    assert "Tagged" in anon.get("/search?q=%23cats").text


def test_a_local_users_handle_finds_their_channels(server, alice, anon, live_settings):
    handle = f"alice@{live_settings.host}"
    for client in (anon, alice):
        page = client.get("/search", params={"q": handle}).text
        assert "/c/alice_channel" in page, page
        assert "Sign in to look up" not in page
        api = client.get("/api/v1/search/video-channels", params={"search": handle}).json()
        assert [c["name"] for c in api["data"]] == ["alice_channel"]
    assert "Nothing found" in anon.get("/search", params={"q": f"nobody@{live_settings.host}"}).text


def test_the_search_page_has_one_box_the_headers_holding_the_query(anon):
    page = anon.get("/search", params={"q": "cats & dogs"}).text
    assert page.count('name="q"') == 1
    assert 'value="cats &amp; dogs"' in page
    assert "<h1>Results for “cats &amp; dogs”</h1>" in page
