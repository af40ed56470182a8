"""Pages: home with HTMX paging, upload without JavaScript, watch, edit, delete, live state."""

from __future__ import annotations

import re
import time

from app import auth, trending
from models.accounts import Role
from models.videos import State, Video, ViewDay
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload


def page_upload(client, clip, **fields):
    """The upload form exactly as a browser without JavaScript posts it."""
    page = client.get("/videos/upload")
    assert page.status_code == 200
    action = re.search(r'<form id="upload-form" method="post" action="([^"]+)"', page.text).group(1)
    data = {
        "name": "From the page",
        "description": "Made *here*",
        "tags": "",
        "privacy": "1",
        "category": "",
        "licence": "",
        "language": "",
        **fields,
    }
    channel = re.search(r'<option value="(\d+)">', page.text).group(1)
    data["channelId"] = channel
    with clip.open("rb") as fh:
        return client.post(
            action.replace("&amp;", "&"),
            data=data,
            files={"videofile": ("my clip.mp4", fh, "video/mp4")},
        )


def test_upload_form_works_without_javascript(alice, clip, run_jobs):
    response = page_upload(alice, clip)
    assert response.status_code == 303
    watch = response.headers["Location"]
    assert re.fullmatch(r"/w/[1-9A-HJ-NP-Za-km-z]{20,22}", watch)
    pending = alice.get(watch)
    assert 'hx-trigger="every 2s"' in pending.text  # the state fragment polls
    assert "<video" not in pending.text
    run_jobs()
    page = alice.get(watch).text
    assert '<video id="player"' in page and "master.m3u8" in page
    assert "<em>here</em>" in page
    assert 'property="og:title" content="From the page"' in page
    assert 'property="og:image"' in page and 'property="og:video:url"' in page


def test_xhr_upload_gets_json_with_the_watch_url(alice, clip):
    page = alice.get("/videos/upload")
    action = re.search(r'action="([^"]+)"', page.text.split('id="upload-form"')[1]).group(1)
    with clip.open("rb") as fh:
        response = alice.post(
            action.replace("&amp;", "&"),
            data={"name": "Via XHR"},
            files={"videofile": ("c.mp4", fh, "video/mp4")},
            headers={"X-Requested-With": "XMLHttpRequest"},
        )
    assert response.status_code == 201
    assert response.json()["url"].startswith("/w/")
    bad = alice.post(
        action.replace("&amp;", "&"),
        data={"name": "x"},
        files={"videofile": ("c.txt", b"text", "text/plain")},
        headers={"X-Requested-With": "XMLHttpRequest"},
    )
    assert bad.status_code == 415 and "not supported" in bad.json()["detail"]


def test_upload_errors_show_a_clear_page(alice, clip):
    response = page_upload(alice, clip, name="no")
    assert response.status_code == 400
    assert "Should have a video name between 3 and 120 characters long" in response.text


def test_state_fragment_reports_progress_then_asks_for_refresh(alice, alice_api, clip, run_jobs):
    ids = upload(alice_api, clip)
    Video.update(state=State.TRANSCODING, progress=42).where(Video.uuid == ids["uuid"]).execute()
    fragment = alice.get(f"/videos/{ids['uuid']}/state", headers={"HX-Request": "true"})
    assert 'value="42"' in fragment.text and "42%" in fragment.text
    assert "<html" not in fragment.text and fragment.headers["Vary"].find("HX-Request") >= 0
    Video.update(state=State.UPLOADED, progress=0).where(Video.uuid == ids["uuid"]).execute()
    run_jobs()
    done = alice.get(f"/videos/{ids['uuid']}/state", headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"


def test_failed_video_shows_the_reason_and_can_be_retried(alice, alice_api, tmp_path, run_jobs):
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"\x00" * 4096)
    ids = upload(alice_api, bogus)
    run_jobs()
    page = alice.get(f"/w/{ids['shortUUID']}").text
    assert "could not be processed" in page and "Retry processing" in page
    video = Video.get(Video.uuid == ids["uuid"])
    assert video.state_error in page.replace("&#39;", "'").replace("&quot;", '"')
    retry = alice.form(f"/videos/{ids['uuid']}/retry")
    assert retry.status_code == 303
    assert Video.get_by_id(video.id).state == State.UPLOADED


def test_home_lists_recent_videos_with_htmx_paging(alice_api, anon, clip, run_jobs):
    for i in range(26):
        upload(alice_api, clip, name=f"Clip {i:02d}")
    run_jobs()
    home = anon.get("/")
    assert home.text.count('class="card"') == 24
    assert "Clip 25" in home.text and "Clip 01" not in home.text
    more = re.search(r'hx-get="(/\?page=2)"', home.text).group(1)
    fragment = anon.get(more, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.count('class="card"') == 2 and "Clip 00" in fragment.text
    assert "hx-get" not in fragment.text  # no more pages
    plain = anon.get(more)  # without HTMX: a whole page, still usable
    assert "<html" in plain.text and "Clip 00" in plain.text


def test_channel_and_account_pages_list_their_videos(alice_api, anon, clip, run_jobs):
    upload(alice_api, clip, name="Channel clip")
    run_jobs()
    channel = anon.get("/c/alice_channel")
    assert channel.status_code == 200 and "Channel clip" in channel.text
    assert "@alice_channel@" in channel.text
    account = anon.get("/a/alice")
    assert account.status_code == 200 and "Channel clip" in account.text
    assert anon.get("/c/nobody").status_code == 404
    assert "nothing at this address" in anon.get("/no/such/page").text


def test_owner_edits_and_deletes_from_the_pages(alice, alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip)
    run_jobs()
    form = alice.get(f"/videos/{ids['uuid']}/edit")
    assert form.status_code == 200 and 'value="Cats over P2P"' in form.text
    bad = alice.form(f"/videos/{ids['uuid']}/edit", {"name": "ab", "privacy": "1"})
    assert bad.status_code == 400 and "between 3 and 120" in bad.text
    ok = alice.form(
        f"/videos/{ids['uuid']}/edit",
        {"name": "Renamed", "tags": "one, two", "privacy": "2", "nsfw": "on"},
    )
    assert ok.status_code == 303
    video = anon.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert video["name"] == "Renamed" and video["tags"] == ["one", "two"] and video["nsfw"]
    assert anon.get(f"/videos/{ids['uuid']}/edit").status_code == 302  # to sign-in
    watch = alice.get(f"/w/{ids['shortUUID']}").text
    assert f'<a class="button danger" href="/videos/{ids["uuid"]}/delete">Delete</a>' in watch
    ask = alice.get(f"/videos/{ids['uuid']}/delete")  # the button asks first
    assert ask.status_code == 200 and "Delete “Renamed”?" in ask.text
    unconfirmed = alice.form(f"/videos/{ids['uuid']}/delete")  # a bare POST asks too
    assert unconfirmed.status_code == 200 and "Delete “Renamed”?" in unconfirmed.text
    assert anon.get(f"/w/{ids['shortUUID']}").status_code == 200
    gone = alice.form(f"/videos/{ids['uuid']}/delete", {"confirm": "yes"})
    assert gone.status_code == 303 and gone.headers["Location"] == "/my-videos?deleted=Renamed"
    assert "“Renamed” was deleted." in alice.get(gone.headers["Location"]).text
    assert anon.get(f"/w/{ids['shortUUID']}").status_code == 404


def test_a_moderator_deleting_a_video_lands_on_its_channel(server, alice_api, clip, run_jobs):
    with server.use():
        auth.create_user(server.settings, "mod", PASSWORD, role=Role.MODERATOR)
    mod = server.client()
    mod.login("mod", PASSWORD)
    ids = upload(alice_api, clip, name="Spam")
    run_jobs()
    gone = mod.form(f"/videos/{ids['uuid']}/delete", {"confirm": "yes"})
    assert gone.status_code == 303
    assert gone.headers["Location"] == "/c/alice_channel?deleted=Spam"
    assert "“Spam” was deleted." in mod.get(gone.headers["Location"]).text


def test_views_are_counted_once_per_visitor(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip)
    run_jobs()
    for _ in range(3):
        assert anon.post(f"/api/v1/videos/{ids['uuid']}/views").status_code == 204
    # Written in batches: the count shows after the next flush (5 s at most).
    deadline = time.monotonic() + 10
    while anon.get(f"/api/v1/videos/{ids['uuid']}").json()["views"] == 0:
        assert time.monotonic() < deadline, "the view was never written"
        time.sleep(0.2)
    time.sleep(0.5)
    assert anon.get(f"/api/v1/videos/{ids['uuid']}").json()["views"] == 1
    # and kept per day, for the trending order
    assert [(d.day, d.views) for d in ViewDay.select()] == [(trending.today(), 1)]


def test_a_private_videos_views_are_checked_every_time(server, alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip, privacy=3)
    run_jobs()
    assert alice_api.post(f"/api/v1/videos/{ids['uuid']}/views").status_code == 204
    # Seen by its owner, it is still no one else's to count (no remembered answer).
    assert anon.post(f"/api/v1/videos/{ids['uuid']}/views").status_code == 404
    counter = server.app.settings["view_counter"]
    assert counter.known(ids["uuid"]) is None
    public = upload(alice_api, clip)
    run_jobs()
    assert anon.post(f"/api/v1/videos/{public['uuid']}/views").status_code == 204
    assert counter.known(public["uuid"]) == public["id"]
