"""Channels: several per user, customized (texts, links, avatar, banner), back catalogue hidden."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import fractions
import functools
import html
import io
import struct
import threading
import time
import zlib

import av
import pytest

from app import images
from models import utcnow
from models.accounts import Channel
from models.videos import Video
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload


def png(width: int = 320, height: int = 200) -> bytes:
    """A real PNG made with PyAV."""
    frame = av.VideoFrame(width, height, "rgb24")
    codec = av.CodecContext.create("png", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "rgb24"
    codec.time_base = fractions.Fraction(1, 25)
    return b"".join(bytes(p) for p in codec.encode(frame) + codec.encode(None))


def test_users_create_and_delete_channels(alice, alice_api, clip, run_jobs):
    made = alice.form("/my-channels", {"name": "cooking", "displayName": "Cooking with Alice"})
    assert made.status_code == 303 and made.headers["Location"] == "/c/cooking/edit"
    taken = alice.form("/my-channels", {"name": "cooking", "displayName": "Again"})
    assert taken.status_code == 400 and "That name is taken." in taken.text
    api = alice_api.post("/api/v1/video-channels", json={"name": "travel", "displayName": "Travel"})
    assert api.status_code == 200 and api.json()["videoChannel"]["id"]
    bad = alice_api.post("/api/v1/video-channels", json={"name": "Bad Name!", "displayName": "x"})
    assert bad.status_code == 400 and "name" in bad.json()["invalid-params"]
    me = alice_api.get("/api/v1/users/me").json()
    assert {c["name"] for c in me["videoChannels"]} == {"alice_channel", "cooking", "travel"}
    travel_id = next(c["id"] for c in me["videoChannels"] if c["name"] == "travel")
    ids = upload(alice_api, clip, channelId=travel_id, name="Trip")
    run_jobs()
    assert alice_api.delete("/api/v1/video-channels/travel").status_code == 204
    assert alice_api.get(f"/api/v1/videos/{ids['uuid']}").status_code == 404
    assert alice_api.delete("/api/v1/video-channels/cooking").status_code == 204
    last = alice_api.delete("/api/v1/video-channels/alice_channel")
    assert last.status_code == 409 and "at least one channel" in last.json()["detail"]


def test_owner_customizes_texts_links_avatar_and_banner(alice, anon, live_settings):
    response = alice.post(
        "/c/alice_channel/edit",
        data={
            "_xsrf": alice.xsrf(),
            "displayName": "Alice's Cats",
            "description": "All **cats**",
            "support": "Tip me",
            "links": "Website https://alice.example\nMastodon https://m.example/@a",
        },
        files={
            "avatarfile": ("a.png", png(300, 300), "image/png"),
            "bannerfile": ("b.png", png(1200, 200), "image/png"),
        },
    )
    assert response.status_code == 200 and "Saved." in response.text
    page = anon.get("/c/alice_channel").text
    assert "Alice&#39;s Cats" in page and "<strong>cats</strong>" in page
    assert 'href="https://alice.example"' in page and "Tip me" in page
    info = anon.get("/api/v1/video-channels/alice_channel").json()
    assert [(a["width"], a["height"]) for a in info["avatars"]] == [
        (48, 48),
        (120, 120),
        (600, 600),
    ]
    assert [(b["width"], b["height"]) for b in info["banners"]] == [(600, 100), (1920, 317)]
    assert info["links"][0] == {"label": "Website", "url": "https://alice.example"}
    image = anon.get(info["avatars"][0]["path"])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    with av.open(io.BytesIO(image.content)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (48, 48)
    assert anon.get("/c/alice_channel/edit").status_code == 302  # visitors go to sign-in


def test_bad_images_get_clear_errors(alice, alice_api):
    text = alice.post(
        "/c/alice_channel/edit",
        data={"_xsrf": alice.xsrf(), "displayName": "Alice"},
        files={"avatarfile": ("notes.txt", b"hello", "text/plain")},
    )
    assert text.status_code == 400 and "PNG, JPEG, WebP or GIF" in text.text
    fake = alice_api.post(
        "/api/v1/video-channels/alice_channel/avatar/pick",
        files={"avatarfile": ("x.png", b"not really a png", "image/png")},
    )
    assert fake.status_code == 400 and "not an image" in fake.json()["detail"]
    big = alice_api.post(
        "/api/v1/video-channels/alice_channel/avatar/pick",
        files={"avatarfile": ("x.png", b"\x89PNG" + b"0" * (5 * 1024 * 1024), "image/png")},
    )
    assert big.status_code == 413 and "too large" in big.json()["detail"]
    wrong = alice_api.post(
        "/api/v1/video-channels/alice_channel/banner/pick",
        files={"bannerfile": ("x.bmp", b"BM", "image/bmp")},
    )
    assert wrong.status_code == 415
    ok = alice_api.post(
        "/api/v1/video-channels/alice_channel/avatar/pick",
        files={"avatarfile": ("a.png", png(), "image/png")},
    )
    assert ok.status_code == 200 and len(ok.json()["avatars"]) == 3


def test_others_cannot_change_a_channel(server, alice_api, other_user):
    bob = server.client()
    bob.token("bob", PASSWORD)
    assert (
        bob.put("/api/v1/video-channels/alice_channel", json={"displayName": "x"}).status_code
        == 403
    )
    assert bob.delete("/api/v1/video-channels/alice_channel").status_code == 403
    browser = server.client()
    browser.login("bob", PASSWORD)
    assert browser.get("/c/alice_channel/edit").status_code == 403


@pytest.fixture
def old_and_new(alice_api, clip, run_jobs):
    """Two published videos of alice_channel: one from a month ago, one from today."""
    old = upload(alice_api, clip, name="Old video")
    new = upload(alice_api, clip, name="New video")
    run_jobs()
    Video.update(published_at=utcnow() - dt.timedelta(days=30)).where(
        Video.uuid == old["uuid"]
    ).execute()
    return old, new


def test_hidden_back_catalogue_lists_only_new_videos_to_visitors(
    alice, alice_api, anon, old_and_new
):
    old, new = old_and_new
    assert (
        alice_api.put(
            "/api/v1/video-channels/alice_channel", json={"hideCatalogue": True}
        ).status_code
        == 204
    )
    assert Channel.get(Channel.name == "alice_channel").hide_catalogue
    page = anon.get("/c/alice_channel").text
    assert "New video" in page and "Old video" not in page and "only its newest videos" in page
    listed = anon.get("/api/v1/video-channels/alice_channel/videos").json()
    assert [v["name"] for v in listed["data"]] == ["New video"]
    assert [v["name"] for v in anon.get("/api/v1/videos").json()["data"]] == ["New video"]
    assert "Old video" not in anon.get("/a/alice").text and "Old video" not in anon.get("/").text
    outbox = anon.get(
        "/video-channels/alice_channel/outbox?page=1",
        headers={"Accept": "application/activity+json"},
    ).json()
    assert len(outbox["orderedItems"]) == 1
    assert anon.get("/api/v1/search/videos", params={"search": "Old video"}).json()["total"] == 0
    # a shared link still plays, and the owner still sees everything on their channel
    assert anon.get(f"/w/{old['shortUUID']}").status_code == 200
    assert "Old video" in alice.get("/c/alice_channel").text
    assert (
        alice_api.put(
            "/api/v1/video-channels/alice_channel", json={"hideCatalogue": False}
        ).status_code
        == 204
    )
    assert "Old video" in anon.get("/c/alice_channel").text


@functools.cache
def black_png(width: int, height: int) -> bytes:
    """A real grayscale PNG of any size, made row by row: all black, so a huge one
    (8192x8192, 64 megapixels) is a file of a few dozen KB."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte, then one byte per pixel
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def stored_images(settings) -> list[str]:
    folder = settings.media_dir / "images"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(
    alice, alice_api, live_settings
):
    """A 216 KB PNG of 8192x8192 pixels took the server 1.7 s to decode, stalling every
    other request; any user could repeat it. It is refused from its header, at once."""
    bomb = black_png(8192, 8192)
    assert len(bomb) < 300 * 1024
    message = "The image is 8192x8192 pixels; at most 16.8 megapixels (such as 4096x4096)."
    for kind in ("avatar", "banner"):
        api = alice_api.post(
            f"/api/v1/video-channels/alice_channel/{kind}/pick",
            files={f"{kind}file": ("big.png", bomb, "image/png")},
        )
        assert api.status_code == 400 and api.json()["detail"] == message
    page = alice.post(
        "/c/alice_channel/edit",
        data={"_xsrf": alice.xsrf(), "displayName": "Alice"},
        files={"bannerfile": ("big.png", bomb, "image/png")},
    )
    assert page.status_code == 400 and message in page.text
    assert stored_images(live_settings) == []
    info = alice_api.get("/api/v1/video-channels/alice_channel").json()
    assert info["avatars"] == [] and info["banners"] == []


def test_other_requests_are_answered_while_an_image_is_processed(
    alice_api, anon, live_settings, monkeypatch
):
    """A large image that is allowed (4096x4096) is decoded off the IOLoop: a page asked
    for meanwhile is answered before the upload is."""
    real_store = images.store
    processing, release = threading.Event(), threading.Event()

    def held_store(*args, **kwargs):
        processing.set()
        release.wait(10)  # the image work goes on until the other request was answered
        return real_store(*args, **kwargs)

    monkeypatch.setattr(images, "store", held_store)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pending = pool.submit(
            alice_api.post,
            "/api/v1/video-channels/alice_channel/avatar/pick",
            files={"avatarfile": ("large.png", black_png(4096, 4096), "image/png")},
        )
        assert processing.wait(10)
        began = time.monotonic()
        other = anon.get("/api/v1/video-channels/alice_channel", timeout=3)
        waited = time.monotonic() - began
        answered_first = not pending.done()
        release.set()
        done = pending.result(30)
    assert other.status_code == 200 and other.json()["avatars"] == []
    assert answered_first and waited < 2
    assert done.status_code == 200, done.text
    assert [(a["width"], a["height"]) for a in done.json()["avatars"]] == [
        (48, 48),
        (120, 120),
        (600, 600),
    ]
    assert len(stored_images(live_settings)) == 3


def test_deleting_a_channel_from_its_page_asks_first_and_says_it_was_done(
    alice, alice_api, clip, run_jobs
):
    alice.form("/my-channels", {"name": "cooking", "displayName": "Cooking with Alice"})
    cooking = alice_api.get("/api/v1/video-channels/cooking").json()["id"]
    upload(alice_api, clip, channelId=cooking, name="Soup")
    run_jobs()
    ask = alice.form("/c/cooking/edit", {"action": "delete"})
    assert ask.status_code == 200
    text = html.unescape(ask.text)
    assert "Delete the channel “Cooking with Alice”?" in text and "its 1 video" in text
    assert alice_api.get("/api/v1/video-channels/cooking").status_code == 200  # still there
    done = alice.form("/c/cooking/edit", {"action": "delete", "confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["Location"] == "/my-channels?deleted=Cooking+with+Alice"
    page = html.unescape(alice.get(done.headers["Location"]).text)
    assert "The channel “Cooking with Alice” was deleted." in page
    assert alice_api.get("/api/v1/video-channels/cooking").status_code == 404
    last = alice.form("/c/alice_channel/edit", {"action": "delete"})  # no confirmation to give
    assert last.status_code == 400 and "at least one channel" in last.text
