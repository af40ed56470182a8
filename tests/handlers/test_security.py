"""Security rules: deny by default, CSRF, escaping, sanitized Markdown, private videos
invisible everywhere, no path traversal."""

from __future__ import annotations

import re

import pytest

from app.web import routes
from handlers.base import BaseHandler
from tests.handlers.test_api_videos import upload

WRITE_METHODS = ("post", "put", "delete", "patch")
# Every write open to anonymous visitors, reviewed one by one.
PUBLIC_WRITES = {
    ("LoginHandler", "post"),
    ("RegisterHandler", "post"),  # open sign-up (API)
    ("SignupHandler", "post"),  # open sign-up or a request to join (page)
    ("RequestHandler", "post"),  # a request to join (API)
    ("TokenHandler", "post"),
    ("ViewHandler", "post"),
    ("InboxHandler", "post"),  # authenticated by HTTP signatures, tested in test_inbox
    ("RemoteFollowHandler", "post"),  # a visitor from elsewhere: only redirects to their server
    ("RemoteInteractHandler", "post"),  # the same, to comment on a video from elsewhere
    ("NotFoundAPIHandler", "post"),
    ("NotFoundAPIHandler", "put"),
    ("NotFoundAPIHandler", "delete"),
    ("NotFoundAPIHandler", "patch"),
    ("NotFoundPageHandler", "post"),
    ("NotFoundPageHandler", "put"),
    ("NotFoundPageHandler", "delete"),
    ("NotFoundPageHandler", "patch"),
}
SAMPLE = {
    "ref": "1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "name": "alice",
    "handle": "alice",
    "filename": "x.m3u8",
    "kind": "thumbnails",
    "resolution": "240",
    "user_id": "1",
    "registration_id": "1",
    "decision": "accept",
    "comment_id": "1",
    "mirror_id": "1",
    "thread_id": "1",
    "abuse_id": "1",
    "message_id": "1",
}


def _url(pattern: str) -> str:
    """A concrete URL for a route pattern: each named group gets a sample value."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("(?P<", i):
            name = pattern[i + 4 : pattern.index(">", i)]
            depth, j = 0, i
            while True:  # skip to the group's closing parenthesis
                if pattern[j] == "(" and pattern[j - 1] != "\\":
                    depth += 1
                elif pattern[j] == ")" and pattern[j - 1] != "\\":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            body = pattern[pattern.index(">", i) + 1 : j]
            if re.fullmatch(r"[\w-]+(\|[\w-]+)+", body):  # an alternation: take its first word
                out += body.split("|")[0]
            else:
                out += SAMPLE.get(name, "x")
            i = j + 1
        else:
            out += pattern[i]
            i += 1
    return out.replace("\\.", ".").replace("(.*)", "x").replace(".*", "x")


def _write_routes():
    for route in routes():
        pattern, handler = route[0], route[1]
        if not (isinstance(handler, type) and issubclass(handler, BaseHandler)):
            continue
        for method in WRITE_METHODS:
            func = getattr(handler, method, None)
            if func is None or func is getattr(BaseHandler, method, None):
                continue
            yield pattern, handler, method, func


def test_every_anonymous_write_is_refused_unless_reviewed_public(anon):
    checked = 0
    public = set()
    for pattern, handler, method, func in _write_routes():
        if getattr(func, "public", False):
            public.add((handler.__name__, method))
            continue
        url = _url(pattern)
        response = anon.request(method.upper(), url, headers={"X-XSRFToken": anon.xsrf()})
        assert response.status_code in (401, 403), (method, url, response.status_code)
        checked += 1
    assert checked >= 8
    assert public == PUBLIC_WRITES


def test_form_posts_without_the_csrf_token_are_refused(alice, clip):
    response = alice.post("/logout")  # no _xsrf field, no header
    assert response.status_code == 403
    assert alice.get("/my-videos").status_code == 200  # still signed in
    htmx = alice.post("/logout", headers={"HX-Request": "true", "X-XSRFToken": alice.xsrf()})
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == "/"


def test_user_text_is_escaped_and_markdown_sanitized(alice_api, anon, clip, run_jobs):
    ids = upload(
        alice_api,
        clip,
        name="<img src=x onerror=alert(1)>",
        description="Hi <script>alert(1)</script> [click](javascript:alert(2)) **ok**",
    )
    run_jobs()
    page = anon.get(f"/w/{ids['shortUUID']}").text
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script>alert(1)" not in page
    assert not re.search(r"href=\"?\s*javascript", page, re.I)
    assert "<strong>ok</strong>" in page


@pytest.fixture
def private_video(alice_api, clip, run_jobs) -> dict:
    """alice's published private video."""
    ids = upload(alice_api, clip, name="Secret stuff", privacy=3)
    run_jobs()
    return alice_api.get(f"/api/v1/videos/{ids['uuid']}").json()


def test_private_videos_are_invisible_to_others_everywhere(
    server, alice, alice_api, anon, other_user, private_video
):
    bob = server.client()
    bob.login("bob", "correct horse battery")
    uuid, short = private_video["uuid"], private_video["shortUUID"]
    media = [
        private_video["streamingPlaylists"][0]["playlistUrl"],
        private_video["streamingPlaylists"][0]["segmentsSha256Url"],
        private_video["streamingPlaylists"][0]["files"][0]["fileUrl"],
        private_video["thumbnailPath"],
        private_video["previewPath"],
        f"/download/streaming-playlists/hls/videos/{uuid}-240-fragmented.mp4",
    ]
    for client in (anon, bob):
        assert client.get(f"/w/{short}").status_code == 404
        assert client.get(f"/videos/watch/{uuid}").status_code == 404
        assert client.get(f"/api/v1/videos/{uuid}").status_code == 404
        assert client.get(f"/api/v1/videos/{uuid}/description").status_code == 404
        for url in media:
            assert client.get(url).status_code == 404, url
        for listing in ("/", "/c/alice_channel", "/a/alice"):
            assert "Secret stuff" not in client.get(listing).text
        assert client.get("/api/v1/videos").json()["total"] == 0
        assert client.get("/api/v1/video-channels/alice_channel/videos").json()["total"] == 0
        assert client.get("/api/v1/accounts/alice/videos").json()["total"] == 0
    # the owner sees it, on the page, the API and the media
    assert alice.get(f"/w/{short}").status_code == 200
    assert "Secret stuff" in alice.get("/my-videos").text
    assert alice_api.get(f"/api/v1/videos/{uuid}").status_code == 200
    for url in media:
        response = alice.get(url)
        assert response.status_code == 200, url
    assert "no-store" in alice.get(media[0]).headers["Cache-Control"]


def test_paths_never_leave_the_media_folders(anon, alice_api, clip, run_jobs, live_settings):
    ids = upload(alice_api, clip)
    run_jobs()
    (live_settings.media_dir / "secret.txt").write_text("top secret")
    base = f"/static/streaming-playlists/hls/{ids['uuid']}"
    attempts = [
        f"{base}/..%2Fsecret.txt",
        f"{base}/..%2F..%2Fsecret.txt",
        f"{base}/%2e%2e/secret.txt",
        f"{base}/..",
        f"{base}/.hidden",
        f"{base}/../../secret.txt",
        "/assets/..%2F..%2Fapp%2Fsettings.py",
        "/assets/../app/settings.py",
        "/lazy-static/thumbnails/..%2F..%2Fsecret.jpg",
        f"/static/streaming-playlists/hls/..%2F{ids['uuid']}/x",
    ]
    for url in attempts:
        response = anon.get(url)
        assert response.status_code in (400, 403, 404), (url, response.status_code)
        assert b"top secret" not in response.content
        assert b"SettingsError" not in response.content
    bad_upload = alice_api.put(
        "/api/v1/videos/upload-resumable?upload_id=../../secret.txt",
        headers={"Content-Range": "bytes 0-0/1"},
        content=b"x",
    )
    assert bad_upload.status_code == 404
    assert (live_settings.media_dir / "secret.txt").read_text() == "top secret"


def test_pages_send_a_strict_content_security_policy(anon):
    csp = anon.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
