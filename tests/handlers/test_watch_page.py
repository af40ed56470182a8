"""What people expect on the watch page and around it: who made the video with a way to
subscribe, the channel's other videos, counts in words, a long description folded, its
headings under the title, feeds in sight, and names for links and a skip link."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import av

from models.accounts import User
from models.videos import Video
from tests.clips import make_clip
from tests.handlers.test_api_videos import upload

AP = "application/activity+json"
LONG = "# Recipe\n\n" + "\n\n".join(f"Step {n}: stir for a while." for n in range(1, 12))


def test_the_watch_page_shows_the_channel_a_subscribe_button_and_its_other_videos(
    alice_api, alice, anon, clip, run_jobs
):
    first = upload(alice_api, clip, name="First", description=LONG)
    upload(alice_api, clip, name="Second")
    upload(alice_api, clip, name="Private one", privacy=3)
    run_jobs()
    Video.update(views=1).where(Video.name == "First").execute()

    page = anon.get(f"/w/{first['shortUUID']}").text
    byline = page[page.index('<div class="byline">') :]
    assert '<a class="channel" href="/c/alice_channel">' in byline
    assert "Continue on my server" in byline  # a visitor subscribes from their own server
    assert 'href="/feeds/videos.xml?videoChannelId=' in byline  # or by RSS
    assert '<span class="views">1 view</span>' in page
    more = page[page.index('<section class="more-from">') :]
    assert "More from" in more and "Second" in more
    assert "Private one" not in more and ">First<" not in more
    # The long description is folded, and its "# Recipe" sits under the title's h1.
    assert '<input type="checkbox" id="more-description" class="fold-toggle">' in page
    assert "<h2>Recipe</h2>" in page and "<h1>Recipe</h1>" not in page
    signed_in = alice.get(f"/w/{first['shortUUID']}").text
    assert 'hx-post="/c/alice_channel/subscribe"' in signed_in


def test_feeds_are_linked_where_people_look_for_them(alice_api, anon, clip, run_jobs):
    upload(alice_api, clip, name="Fed")
    run_jobs()
    assert '<a class="feed" href="/feeds/videos.xml">RSS</a>' in anon.get("/").text
    channel = anon.get("/c/alice_channel").text
    assert re.search(r'<a class="feed" href="/feeds/videos.xml\?videoChannelId=\d+">RSS', channel)
    account = anon.get("/a/alice").text
    assert re.search(r'<a class="feed" href="/feeds/videos.xml\?accountId=\d+">RSS', account)


def test_links_have_names_and_the_page_a_skip_link(alice_api, anon, clip, run_jobs):
    upload(alice_api, clip, name="Named thumbnail")
    run_jobs()
    alice_api.put("/api/v1/video-channels/alice_channel",
                  json={"support": "Support me at https://example.org/tip"})  # fmt: skip
    home = anon.get("/").text
    assert '<a class="skip" href="#main">Skip to the content</a>' in home
    assert '<main id="main">' in home
    assert re.search(r'class="thumb" aria-label="Named thumbnail"', home)
    channel = html.unescape(anon.get("/c/alice_channel").text)
    assert '<a href="https://example.org/tip" rel="noopener noreferrer nofollow">' in channel


def test_my_videos_is_a_manager_with_state_privacy_views_and_actions(
    alice, alice_api, clip, run_jobs
):
    done = upload(alice_api, clip, name="Ready one", privacy=2)
    run_jobs()
    waiting = upload(alice_api, clip, name="Still waiting")
    page = html.unescape(alice.get("/my-videos").text)
    rows = re.findall(r"<tr>(.*?)</tr>", page[page.index("<tbody>") :], re.S)
    assert len(rows) == 2
    ready = next(r for r in rows if "Ready one" in r)
    assert "Published" in ready and "Unlisted" in ready and "0 views" in ready
    assert f'href="/videos/{done["uuid"]}/edit"' in ready
    assert f'href="/videos/{done["uuid"]}/delete"' in ready
    pending = next(r for r in rows if "Still waiting" in r)
    assert "Waiting to be processed" in pending and "Public" in pending
    assert f'href="/videos/{waiting["uuid"]}/delete"' in pending
    assert "2 videos" in page


def test_a_sound_only_video_shows_a_waveform_picture_and_no_quality_menu(
    alice_api, anon, tmp_path, run_jobs
):
    tone = Path(make_clip(str(tmp_path / "tone.m4a"), video=False))
    ids = upload(alice_api, tone, name="Only sound")
    run_jobs()
    page = anon.get(f"/w/{ids['shortUUID']}").text
    poster = re.search(r'<video id="player"[^>]*?poster="([^"]+)"', page, re.S).group(1)
    assert poster.startswith("/assets/img/audio.svg")
    assert anon.get(poster).headers["Content-Type"].startswith("image/svg+xml")
    assert 'id="quality"' not in page


def test_the_quota_shows_on_upload_and_settings_and_an_upload_over_it_says_so(
    alice, local_user, clip
):
    assert "this server sets you no limit" in alice.get("/videos/upload").text
    User.update(video_quota=1024 * 1024).where(User.id == local_user.id).execute()
    for path in ("/videos/upload", "/settings"):
        text = html.unescape(alice.get(path).text)
        assert "Your videos take 0 B of your 1.0 MB quota (1.0 MB left)." in text, path
    assert 'data-quota-left="1048576"' in alice.get("/videos/upload").text
    # upload.js sends the form with XHR: a refusal before the body is read is JSON too.
    with clip.open("rb") as fh:
        refused = alice.post(
            f"/videos/upload?_xsrf={alice.xsrf()}",
            data={"name": "Too big", "privacy": "1"},
            files={"videofile": ("big.mp4", fh.read() * 20, "video/mp4")},
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
    assert refused.status_code == 413
    assert refused.json()["detail"] == "The user video quota is exceeded with this video."


def test_storyboard_is_made_listed_served_and_offered_on_the_watch_page(
    alice_api, anon, clip, run_jobs
):
    ids = upload(alice_api, clip, name="With a storyboard")
    # Not made yet: PeerTube's shape with none.
    assert anon.get(f"/api/v1/videos/{ids['uuid']}/storyboards").json() == {"storyboards": []}
    run_jobs()
    # The 3 s clip: three one-second tiles of 192x144 in one row, as PeerTube makes them.
    (board,) = anon.get(f"/api/v1/videos/{ids['shortUUID']}/storyboards").json()["storyboards"]
    assert board == {
        "storagePath": f"/lazy-static/storyboards/{ids['uuid']}.jpg",
        "totalHeight": 144,
        "totalWidth": 576,
        "spriteHeight": 144,
        "spriteWidth": 192,
        "spriteDuration": 1,
    }
    image = anon.get(board["storagePath"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    with av.open(io.BytesIO(image.content)) as container:
        sprite = next(container.decode(video=0))
    assert (sprite.width, sprite.height) == (576, 144)
    assert anon.head(board["storagePath"]).status_code == 200
    # The ActivityPub object lists it where PeerTube does.
    doc = anon.get(f"/videos/watch/{ids['uuid']}", headers={"Accept": AP}).json()
    (link,) = doc["preview"][0]["url"]
    assert link["href"].endswith(board["storagePath"]) and link["tileDuration"] == "PT1S"
    # The watch page gives player.js the timeline with the sprite's geometry.
    page = anon.get(f"/w/{ids['shortUUID']}").text
    timeline = page[page.index('<div id="storyboard"') :]
    assert f'data-src="{board["storagePath"]}"' in timeline
    assert 'data-tile-width="192"' in timeline and 'data-tile-duration="1"' in timeline
    assert 'class="storyboard-seek" type="range"' in timeline


def test_storyboards_of_hidden_or_missing_videos_are_not_served(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip, name="Secret", privacy=3)
    run_jobs()
    assert alice_api.get(f"/api/v1/videos/{ids['uuid']}/storyboards").json()["storyboards"]
    assert anon.get(f"/api/v1/videos/{ids['uuid']}/storyboards").status_code == 404
    assert anon.get(f"/lazy-static/storyboards/{ids['uuid']}.jpg").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert anon.get(f"/lazy-static/storyboards/{missing}.jpg").status_code == 404
