"""Stored anonymous reads (app/read_cache.py) in one web process: answered again without
rendering, with ETag, 304 and gzip; never for signed-in users; each visitor's own XSRF
token in pages; and a change shows at once."""

from __future__ import annotations

import gzip
import re

from app import videos
from app.read_cache import XSRF_MARKER
from tests.conftest import PASSWORD
from tests.handlers.test_feeds import channel_of, make_video

AP = {"Accept": "application/activity+json"}


def stored(server) -> tuple[int, int]:
    cache = server.app.settings["read_cache"]
    return cache.hits, cache.misses


def test_anonymous_reads_are_answered_again_with_etag_304_and_gzip(server, anon, local_user):
    video = make_video(channel_of(local_user), "Lighthouse at dawn")
    paths = [
        ("/api/v1/videos", {}),
        (f"/api/v1/videos/{video.uuid}", {}),
        (f"/videos/watch/{video.uuid}", AP),
        ("/accounts/alice", AP),
        ("/accounts/alice/outbox?page=1", AP),
    ]
    for path, headers in paths:
        anon.get(path, headers=headers)  # a local actor is made on its first read
        first = anon.get(path, headers=headers)
        assert first.status_code == 200
        assert "Lighthouse" in first.text or "alice" in first.text
        hits = stored(server)[0]
        again = anon.get(path, headers=headers)
        assert stored(server)[0] == hits + 1, path
        assert again.content == first.content
        assert again.headers["Content-Type"] == first.headers["Content-Type"]
        assert again.headers["Etag"] == first.headers["Etag"]
        assert again.headers.get("Vary") == first.headers.get("Vary")

        not_modified = anon.get(path, headers={**headers, "If-None-Match": first.headers["Etag"]})
        assert not_modified.status_code == 304 and not_modified.content == b""
        assert not_modified.headers["Etag"] == first.headers["Etag"]

    # The same URL as ActivityPub and as a page: two entries, each its own.
    page = anon.get(f"/videos/watch/{video.uuid}", headers={"Accept": "text/html"})
    assert page.headers["Content-Type"].startswith("text/html")
    assert "<title>Lighthouse at dawn" in page.text

    raw = anon.get(
        f"/api/v1/videos/{video.uuid}", headers={"Accept-Encoding": "gzip"}, extensions={}
    )
    assert raw.json()["name"] == "Lighthouse at dawn"  # httpx undoes the gzip
    assert raw.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["Vary"]
    with anon.stream("GET", "/api/v1/videos", headers={"Accept-Encoding": "gzip"}) as response:
        body = b"".join(response.iter_raw())
    assert gzip.decompress(body) == anon.get("/api/v1/videos").content


def test_a_change_shows_at_once_and_signed_in_reads_are_never_stored(
    server, anon, alice_api, local_user
):
    video = make_video(channel_of(local_user), "Before", privacy=2)  # unlisted: by URL only
    path = f"/api/v1/videos/{video.uuid}"
    assert anon.get(path).json()["name"] == "Before"
    assert anon.get(path).json()["name"] == "Before"

    assert alice_api.put(path, json={"name": "After"}).status_code == 204
    assert anon.get(path).json()["name"] == "After"

    hits, misses = stored(server)
    mine = alice_api.get(path).json()
    assert mine["name"] == "After"
    assert stored(server) == (hits, misses)  # neither looked up nor stored

    assert alice_api.put(path, json={"privacy": 3}).status_code == 204  # private
    assert anon.get(path).status_code == 404
    assert alice_api.get(path).status_code == 200


def test_pages_carry_each_visitors_own_token_and_never_a_signed_in_page(
    server, anon, local_user, other_user
):
    video = make_video(channel_of(local_user), "Lighthouse keepers")
    path = f"/w/{video.uuid}"

    def token_in(page: str) -> str:
        return re.search(r'"X-XSRFToken": "([^"]+)"', page).group(1)

    first = anon.get(path)
    assert XSRF_MARKER not in first.text
    assert token_in(first.text) == anon.cookies["_xsrf"]  # a new visitor: token and cookie
    again = anon.get(path)  # stored, with this visitor's cookie
    assert token_in(again.text) == anon.cookies["_xsrf"]

    stranger = server.client()
    seen = stranger.get(path)
    assert token_in(seen.text) == stranger.cookies["_xsrf"] != anon.cookies["_xsrf"]
    assert XSRF_MARKER not in seen.text
    # The token works: the visitor can sign in with the form the page led to.
    stranger.login("bob", PASSWORD)
    bobs = stranger.get(path)
    assert "bob" in bobs.text and 'action="/logout"' in bobs.text
    assert "Sign in" not in bobs.text.split("<main")[0]
    # What bob saw is not given to the next anonymous visitor.
    later = server.client()
    assert 'action="/logout"' not in later.get(path).text
    for client in (stranger, later):
        client.close()


def test_media_of_a_public_video_skip_its_lookup_until_anything_changes(
    server, anon, alice_api, local_user, monkeypatch
):
    video = make_video(channel_of(local_user), "Lighthouse segments")
    folder = server.settings.media_dir / "hls" / str(video.uuid)
    folder.mkdir(parents=True)
    (folder / "master.m3u8").write_text("#EXTM3U\n")
    path = f"/static/streaming-playlists/hls/{video.uuid}/master.m3u8"
    lookups = []
    find_video = videos.find_video
    monkeypatch.setattr(videos, "find_video", lambda ref: lookups.append(ref) or find_video(ref))

    for _ in range(3):
        assert anon.get(path).text == "#EXTM3U\n"
    assert len(lookups) == 1  # then known to be public

    # Made private: refused to visitors at once, still the owner's.
    assert alice_api.put(f"/api/v1/videos/{video.uuid}", json={"privacy": 3}).status_code == 204
    refused = anon.get(path)
    assert refused.status_code == 404 and refused.headers["Cache-Control"] == "private, no-store"
    assert anon.get(path).status_code == 404
    mine = alice_api.get(path)
    assert mine.status_code == 200 and mine.headers["Cache-Control"] == "private, no-store"
