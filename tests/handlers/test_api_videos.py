"""The PeerTube-compatible video API: upload, transcode, list, get, edit, delete."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from app import trending
from models.jobs import Job


def upload(client, clip: Path, **fields) -> dict:
    data = {
        "name": "Cats over P2P",
        "tags[0]": "cats",
        "tags[1]": "p2p",
        "privacy": "1",
        "category": "15",
        "licence": "4",
        "language": "en",
        "description": "# Hello\n\nThis is **bold**.",
    }
    data.update({k: str(v) for k, v in fields.items()})
    with clip.open("rb") as fh:
        response = client.post(
            "/api/v1/videos/upload", data=data, files={"videofile": (clip.name, fh, "video/mp4")}
        )
    assert response.status_code == 200, response.text
    return response.json()["video"]


def test_uploaded_video_is_transcoded_and_published_with_hls(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip)
    assert set(ids) == {"id", "uuid", "shortUUID"}
    before = anon.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert before["state"] == {"id": 2, "label": "To transcode"}
    assert before["streamingPlaylists"] == []

    assert run_jobs() >= 1

    video = anon.get(f"/api/v1/videos/{ids['shortUUID']}").json()
    assert video["state"] == {"id": 1, "label": "Published"}
    assert video["name"] == "Cats over P2P"
    assert video["tags"] == ["cats", "p2p"]
    assert video["category"] == {"id": 15, "label": "Science & Technology"}
    assert video["licence"]["id"] == 4 and video["language"] == {"id": "en", "label": "English"}
    assert video["duration"] == 3
    assert video["description"].startswith("# Hello")
    (playlist,) = video["streamingPlaylists"]
    assert [f["resolution"]["id"] for f in playlist["files"]] == [240, 144]
    for f in playlist["files"]:
        assert f["size"] > 0 and f["hasAudio"] and f["hasVideo"]
    master = anon.get(playlist["playlistUrl"])
    assert master.status_code == 200
    assert master.text.startswith("#EXTM3U")
    assert master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    sha = anon.get(playlist["segmentsSha256Url"]).json()
    first = playlist["files"][0]
    name = first["fileUrl"].rsplit("/", 1)[1]
    start, end = (int(x) for x in next(iter(sha[name])).split("-"))
    ranged = anon.get(first["fileUrl"], headers={"Range": f"bytes={start}-{end}"})
    assert ranged.status_code == 206
    assert hashlib.sha256(ranged.content).hexdigest() == sha[name][f"{start}-{end}"]
    # A cheap validator (size and time, not a hash of the whole file): a cache asks again
    # and gets 304 until the file changes.
    etag = ranged.headers["Etag"]
    again = anon.get(first["fileUrl"], headers={"If-None-Match": etag})
    assert again.status_code == 304
    size = first["size"]
    assert etag == f'"{size:x}-' + etag.split("-")[-1] and len(etag) < 40
    assert anon.get(video["thumbnailPath"]).headers["Content-Type"] == "image/jpeg"
    assert anon.get(video["previewPath"]).status_code == 200


def test_video_list_pages_and_sorts(alice_api, anon, clip, run_jobs):
    for i in range(3):
        upload(alice_api, clip, name=f"Video number {i}")
    run_jobs()
    page = anon.get("/api/v1/videos", params={"start": 0, "count": 2, "sort": "-publishedAt"})
    body = page.json()
    assert body["total"] == 3
    assert [v["name"] for v in body["data"]] == ["Video number 2", "Video number 1"]
    rest = anon.get("/api/v1/videos", params={"start": 2, "count": 2}).json()
    assert [v["name"] for v in rest["data"]] == ["Video number 0"]
    by_name = anon.get("/api/v1/videos", params={"sort": "name"}).json()
    assert [v["name"] for v in by_name["data"]][0] == "Video number 0"
    bad = anon.get("/api/v1/videos", params={"sort": "nope"})
    assert bad.status_code == 400 and "sort" in bad.json()["invalid-params"]


def test_owner_edits_and_deletes_a_video(alice_api, anon, clip, run_jobs, live_settings):
    ids = upload(alice_api, clip)
    run_jobs()
    response = alice_api.put(
        f"/api/v1/videos/{ids['id']}", json={"name": "New name", "tags": ["dogs"], "privacy": 2}
    )
    assert response.status_code == 204
    video = anon.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert video["name"] == "New name" and video["tags"] == ["dogs"]
    assert video["privacy"] == {"id": 2, "label": "Unlisted"}
    assert anon.get("/api/v1/videos").json()["total"] == 0  # unlisted: not listed
    desc = anon.get(f"/api/v1/videos/{ids['uuid']}/description").json()
    assert desc["description"].startswith("# Hello")

    media = live_settings.media_dir / "hls" / ids["uuid"]
    assert media.is_dir()
    assert alice_api.delete(f"/api/v1/videos/{ids['uuid']}").status_code == 204
    assert anon.get(f"/api/v1/videos/{ids['uuid']}").status_code == 404
    assert not media.exists()
    assert not any(live_settings.originals_dir.iterdir())


def test_others_cannot_edit_or_delete(server, alice_api, other_user, clip, run_jobs):
    ids = upload(alice_api, clip)
    bob = server.client()
    bob.token("bob", "correct horse battery")
    assert bob.put(f"/api/v1/videos/{ids['id']}", json={"name": "pwned"}).status_code == 403
    assert bob.delete(f"/api/v1/videos/{ids['id']}").status_code == 403


def test_api_errors_use_peertube_problem_shape(alice_api, anon, clip):
    missing = anon.get("/api/v1/videos/123456")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Video not found" and missing.json()["error"]
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    bad = anon.get("/api/v1/videos/not-a-valid-id!")
    assert bad.status_code == 400
    assert bad.json()["invalid-params"]["id"]["location"] == "params"
    unauth = anon.get("/api/v1/users/me")
    assert unauth.status_code == 401 and unauth.json()["code"] == "unauthorized_request"
    badtoken = anon.get("/api/v1/users/me", headers={"Authorization": "Bearer nope"})
    assert badtoken.status_code == 401 and badtoken.json()["detail"] == "Token is invalid"

    with clip.open("rb") as fh:
        wrong = alice_api.post(
            "/api/v1/videos/upload",
            data={"name": "x"},
            files={"videofile": ("clip.mp4", fh, "video/mp4")},
        )
    assert wrong.status_code == 400
    body = wrong.json()
    assert body["invalid-params"]["name"]["msg"].startswith("Should have a video name")
    assert body["detail"] == "Incorrect request parameters: name"

    octet = alice_api.post(
        "/api/v1/videos/upload",
        data={"name": "Some video"},
        files={"videofile": ("notes.txt", b"hello", "application/octet-stream")},
    )
    assert octet.status_code == 415

    with clip.open("rb") as fh:
        channel = alice_api.post(
            "/api/v1/videos/upload",
            data={"name": "Some video", "channelId": "999"},
            files={"videofile": ("clip.mp4", fh, "video/mp4")},
        )
    assert channel.status_code == 400
    assert channel.json()["detail"] == 'Unknown video "video channel" for this instance.'
    assert Job.select().count() == 0  # nothing was queued for refused uploads


def test_upload_over_quota_is_refused_with_413(alice_api, local_user, clip):
    local_user.video_quota = 1000
    local_user.save()
    with clip.open("rb") as fh:
        response = alice_api.post(
            "/api/v1/videos/upload",
            data={"name": "Too big"},
            files={"videofile": ("clip.mp4", fh, "video/mp4")},
        )
    assert response.status_code == 413
    assert "quota" in response.json()["detail"]


def test_bad_media_fails_with_a_message_the_owner_sees(
    alice_api, run_jobs, tmp_path, live_settings
):
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"this is not a video at all" * 100)
    ids = upload(alice_api, bogus)
    run_jobs()
    video = alice_api.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert video["state"] == {"id": 7, "label": "Transcoding failed"}
    assert video["stateError"]
    # the original is kept until the owner deletes the video
    assert len(list(live_settings.originals_dir.iterdir())) == 1
    assert json.loads(alice_api.get("/api/v1/users/me/videos").text)["total"] == 1


def test_head_of_a_download_and_a_torrent_answers_like_get(alice_api, anon, clip, run_jobs):
    """HEAD of a download was a 500, HEAD of a public video's torrent a 401."""
    uuid = upload(alice_api, clip)["uuid"]
    run_jobs()
    for path in (
        f"/download/streaming-playlists/hls/videos/{uuid}-240-fragmented.mp4",
        f"/lazy-static/torrents/{uuid}-240-hls.torrent",
        f"/download/torrents/{uuid}-240-hls.torrent",
    ):
        got, head = anon.get(path), anon.head(path)
        assert (got.status_code, head.status_code) == (200, 200), (path, head.text)
        assert head.content == b"" and len(got.content) > 0
        for name in ("Content-Type", "Content-Length", "Content-Disposition"):
            assert head.headers.get(name) == got.headers.get(name), (path, name)


def test_resolution_beyond_64_bits_in_a_media_url_is_not_found(alice_api, anon, clip):
    """A resolution number too big for the database was a 500; no file has it: 404."""
    uuid = upload(alice_api, clip)["uuid"]  # its original is listed: /static/web-videos/
    huge = "9" * 25
    for path in (
        f"/download/streaming-playlists/hls/videos/{uuid}-{huge}-fragmented.mp4",
        f"/lazy-static/torrents/{uuid}-{huge}-hls.torrent",
        f"/lazy-static/torrents/{uuid}-{huge}.torrent",
        f"/static/web-videos/{uuid}-{huge}.mp4",
        f"/download/web-videos/{uuid}-{huge}.mp4",
    ):
        for method in ("GET", "HEAD"):
            response = anon.request(method, path)
            assert response.status_code == 404, (method, path, response.status_code)


def test_trending_orders_by_the_views_of_the_last_two_days(alice_api, anon, clip, run_jobs):
    ids = {name: upload(alice_api, clip, name=name) for name in ("classic", "rising", "quiet")}
    run_jobs()
    today = trending.today()
    trending.record({ids["classic"]["id"]: 900}, day=today - dt.timedelta(days=5))
    trending.record({ids["classic"]["id"]: 2})
    trending.record({ids["rising"]["id"]: 3}, day=today - dt.timedelta(days=1))
    trending.record({ids["rising"]["id"]: 4})
    for sort in ("-trending", "-hot", "-best"):
        listed = anon.get("/api/v1/videos", params={"sort": sort})
        assert listed.status_code == 200
        assert [v["name"] for v in listed.json()["data"]] == ["rising", "classic", "quiet"]
    assert anon.get("/api/v1/videos", params={"sort": "-coolness"}).status_code == 400
