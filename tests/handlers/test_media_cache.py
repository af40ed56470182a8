"""What media answers tell caches (a reverse proxy, a CDN, browsers), and media sent by
the proxy (SHOAL_ACCEL_REDIRECT): Shoal checks who may see the video and names the file,
the proxy sends the bytes. tests/integration/test_nginx.py runs the same through nginx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app import auth
from app.settings import Settings
from handlers.media import IMMUTABLE, NAMED_BY_VIDEO, PLAYLIST, PRIVATE
from tests.conftest import PASSWORD, LiveServer
from tests.handlers.test_api_videos import upload
from tests.handlers.test_channels import png


def media_urls(client, uuid: str) -> dict[str, str]:
    """Every kind of file of a published video, by kind."""
    video = client.get(f"/api/v1/videos/{uuid}").json()
    (playlist,) = video["streamingPlaylists"]
    first = playlist["files"][0]
    board = client.get(f"/api/v1/videos/{uuid}/storyboards").json()["storyboards"][0]
    return {
        "segments": first["fileUrl"],
        "segments-sha256.json": playlist["segmentsSha256Url"],
        "master playlist": playlist["playlistUrl"],
        "variant playlist": first["fileUrl"].replace("-fragmented.mp4", ".m3u8"),
        "thumbnail": video["thumbnailPath"],
        "preview": video["previewPath"],
        "storyboard": board["storagePath"],
        "torrent": first["torrentUrl"],
        "download": first["fileDownloadUrl"],
    }


EXPECTED = {
    "segments": IMMUTABLE,  # named with the transcoding's random prefix
    "segments-sha256.json": IMMUTABLE,
    "master playlist": PLAYLIST,
    "variant playlist": PLAYLIST,
    "thumbnail": NAMED_BY_VIDEO,  # named after the video
    "preview": NAMED_BY_VIDEO,
    "storyboard": NAMED_BY_VIDEO,
    "torrent": NAMED_BY_VIDEO,
    "download": NAMED_BY_VIDEO,
}


def test_a_public_videos_files_are_cached_as_long_as_their_name_holds_their_bytes(
    alice_api, anon, clip, run_jobs
):
    uuid = upload(alice_api, clip)["uuid"]
    run_jobs()
    urls = media_urls(anon, uuid)
    assert set(urls) == set(EXPECTED)
    assert urls["variant playlist"].rsplit("/", 1)[1] in anon.get(urls["master playlist"]).text
    for kind, url in urls.items():
        response = anon.get(url)
        assert response.status_code == 200, (kind, url)
        assert response.headers["Cache-Control"] == EXPECTED[kind], kind
        assert response.headers["Access-Control-Allow-Origin"] == "*", kind
    # A segment by Range keeps the header; a cache asking again with the ETag gets 304.
    ranged = anon.get(urls["segments"], headers={"Range": "bytes=0-99"})
    assert (ranged.status_code, ranged.headers["Cache-Control"]) == (206, IMMUTABLE)
    again = anon.get(urls["segments"], headers={"If-None-Match": ranged.headers["ETag"]})
    assert again.status_code == 304
    # What is not there is not cached either: it may be there a moment later.
    missing = anon.get(urls["segments"].replace("-fragmented.mp4", "-9-fragmented.mp4"))
    assert (missing.status_code, missing.headers["Cache-Control"]) == (404, PRIVATE)


@pytest.fixture
def moderator(server, admin_user):
    client = server.client()
    client.token("root", PASSWORD)
    yield client
    client.close()


def test_files_not_everyone_may_see_are_never_kept_by_a_shared_cache(
    alice_api, anon, moderator, clip, run_jobs
):
    private = upload(alice_api, clip, name="Private", privacy=3)["uuid"]
    blocked = upload(alice_api, clip, name="Blocked")["uuid"]
    run_jobs()
    assert moderator.post(f"/api/v1/videos/{blocked}/blacklist", json={}).status_code == 204
    for uuid in (private, blocked):
        for kind, url in media_urls(alice_api, uuid).items():
            owner = alice_api.get(url)
            assert owner.status_code == 200, (kind, url)
            assert owner.headers["Cache-Control"] == PRIVATE, (kind, url)
            assert "Access-Control-Allow-Origin" not in owner.headers
            refused = anon.get(url)
            assert refused.status_code == 404, (kind, url)
            assert refused.headers["Cache-Control"] == PRIVATE, (kind, url)


@pytest.fixture
def accel_server(settings: Settings) -> Iterator[LiveServer]:
    """A server whose media the reverse proxy sends (SHOAL_ACCEL_REDIRECT=/internal-media/)."""
    live = LiveServer(settings.with_(accel_redirect="/internal-media/"))
    yield live
    live.stop()


def test_behind_a_proxy_media_answers_name_the_file_after_the_checks(accel_server, clip):
    auth.create_user(accel_server.settings, "alice", PASSWORD)
    alice = accel_server.client()
    alice.token("alice", PASSWORD)
    anon = accel_server.client()
    public = upload(alice, clip)["uuid"]
    private = upload(alice, clip, name="Private", privacy=3)["uuid"]

    # Before transcoding: the original, listed in `files`, from originals/.
    original = alice.get(f"/api/v1/videos/{public}").json()["files"][0]
    answer = anon.get(original["fileUrl"])
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["X-Accel-Redirect"].startswith("/internal-media/originals/")
    path = answer.headers["X-Accel-Redirect"].removeprefix("/internal-media/")
    assert (accel_server.settings.data_dir / path).is_file()

    accel_server.run_jobs()
    urls = media_urls(anon, public)
    for kind in ("segments", "segments-sha256.json", "master playlist", "thumbnail", "download"):
        answer = anon.get(urls[kind], headers={"Range": "bytes=0-99"})
        # nginx answers the Range from the file; Shoal only names it.
        assert answer.status_code == 200 and answer.content == b"", kind
        assert "Content-Range" not in answer.headers and "ETag" not in answer.headers
        target = answer.headers["X-Accel-Redirect"]
        assert target.startswith(f"/internal-media/media/hls/{public}/"), (kind, target)
        assert (accel_server.settings.data_dir / target.removeprefix("/internal-media/")).is_file()
        assert answer.headers["Cache-Control"] == EXPECTED[kind], kind
    assert anon.get(urls["segments"]).headers["Content-Type"] == "video/mp4"
    playlist = anon.head(urls["master playlist"])
    assert playlist.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist.headers["X-Accel-Redirect"].endswith("-master.m3u8")
    download = anon.get(urls["download"])
    assert download.headers["Content-Disposition"].startswith("attachment;")
    # Generated, not a file: the torrent is sent by Shoal.
    torrent = anon.get(urls["torrent"])
    assert torrent.content.startswith(b"d") and "X-Accel-Redirect" not in torrent.headers

    # Refusals name nothing.
    for url in media_urls(alice, private).values():
        refused = anon.get(url)
        assert refused.status_code == 404 and "X-Accel-Redirect" not in refused.headers
        assert alice.get(url).headers["Cache-Control"] == PRIVATE
    assert anon.get(urls["segments"].replace(".mp4", ".mp5")).status_code == 404


def test_a_channels_new_avatar_comes_under_a_new_url_so_each_is_kept_for_good(alice_api, anon):
    paths = []
    for size in (320, 400):
        answer = alice_api.post(
            "/api/v1/video-channels/alice_channel/avatar/pick",
            files={"avatarfile": ("a.png", png(size, size), "image/png")},
        )
        assert answer.status_code == 200, answer.text
        paths.append(answer.json()["avatars"][0]["path"])
    assert paths[0] != paths[1]
    current = anon.get(paths[1])
    assert current.headers["Content-Type"] == "image/jpeg"
    assert current.headers["Cache-Control"] == IMMUTABLE
    assert current.headers["Access-Control-Allow-Origin"] == "*"
    assert anon.get(paths[0]).status_code == 404  # the old one is gone, not changed
