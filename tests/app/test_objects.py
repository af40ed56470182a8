"""ActivityPub Video objects against PeerTube 6.3's captures, and our own round trips.

Reading: the reference Video (`ap-video.json`) and the Videos inside the
Create/Update deliveries must give the fields a viewer sees (title, tags,
renditions, thumbnail, who published it, whether it is listed). Writing: a
local video's object has PeerTube's key set and reads back unchanged. No
database: the models are built unsaved.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid as uuidlib
from pathlib import Path
from typing import Any

import pytest

from app.federation.actors import PUBLIC
from app.federation.objects import (
    VIDEO_CONTEXT,
    RemoteStoryboard,
    activity,
    first_id,
    host_of,
    parse_datetime,
    parse_duration,
    parse_video,
    swarm_id,
    video_object,
)
from app.settings import Settings
from models.videos import Privacy, State, Storyboard, Video, VideoFile

PEERTUBE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"
V1 = "http://127.0.0.1:9001/videos/watch/a562a6a2-b1a9-4ffe-ba51-bfc67f348533"
V4 = "http://127.0.0.1:9001/videos/watch/ea3fde66-aa21-42f5-877d-261a0b33d371"
ALICE = "http://127.0.0.1:9001/accounts/alice"
ALICE_CHANNEL = "http://127.0.0.1:9001/video-channels/alice_channel"
UUID = "0f3a3c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
SHOAL_ACCOUNT = "https://shoal.example/accounts/dana"
SHOAL_CHANNEL = "https://shoal.example/video-channels/dana_channel"
# Keys of ap-video.json that Shoal does not write, and why.
NOT_PRODUCED = {
    "hasParts": "chapters: Shoal serves no chapters collection, and PeerTube would fetch it",
}


def _load(name: str) -> dict[str, Any]:
    return json.loads((PEERTUBE / name).read_text(encoding="utf-8"))


def _delivered(name: str) -> dict[str, Any]:
    """The body PeerTube POSTed to the stub's inbox."""
    return _load(name)["body"]


def _hls_tag(obj: dict) -> list[dict]:
    link = next(u for u in obj["url"] if u.get("mediaType") == "application/x-mpegURL")
    return link["tag"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A Shoal server at https://shoal.example (no database is opened)."""
    return Settings(
        database_url="sqlite:///:memory:",
        host="shoal.example",
        port=9000,
        bind="127.0.0.1",
        data_dir=tmp_path,
        https=True,
        root_password=None,
        secret="test",
    )


@pytest.fixture
def local_video() -> tuple[Video, list[VideoFile]]:
    """An unsaved, published, public local video with 360p and 240p renditions."""
    video = Video(
        uuid=uuidlib.UUID("0f3a3c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"),
        name="Otters at dusk",
        description="Two **otters** and a [link](https://example.org).",
        support="Tip jar: https://example.org/tip",
        tags=["otters", "river"],
        category=16,
        licence=1,
        language="en",
        privacy=Privacy.PUBLIC,
        state=State.PUBLISHED,
        duration=65,
        aspect_ratio=1.7778,
        views=3,
        hls_master="abc-master.m3u8",
        hls_sha256="abc-segments-sha256.json",
        thumbnail="thumbnail.jpg",
        preview="preview.jpg",
        created_at=dt.datetime(2026, 1, 2, 3, 4, 5, 678000),
        updated_at=dt.datetime(2026, 1, 2, 3, 9, 0),
        published_at=dt.datetime(2026, 1, 2, 3, 5, 0),
    )
    files = [
        VideoFile(
            resolution=240,
            width=426,
            height=240,
            fps=25.0,
            size=95583,
            filename="abc-240-fragmented.mp4",
            playlist="abc-240.m3u8",
        ),
        VideoFile(
            resolution=360,
            width=640,
            height=360,
            fps=25.0,
            size=107626,
            filename="abc-360-fragmented.mp4",
            playlist="abc-360.m3u8",
        ),
    ]
    return video, files


def _local_doc(settings: Settings, local_video: tuple[Video, list[VideoFile]]) -> dict:
    video, files = local_video
    # A 65 s video's storyboard: 65 tiles of one second, 9 columns and 8 rows.
    board = Storyboard(
        filename="storyboard.jpg", tile_width=192, tile_height=108, tile_duration=1,
        width=9 * 192, height=8 * 108,
    )  # fmt: skip
    return video_object(
        settings,
        video,
        files,
        account_url=SHOAL_ACCOUNT,
        channel_url=SHOAL_CHANNEL,
        storyboard=board,
    )


def test_local_storyboard_is_listed_as_peertube_lists_it(
    settings: Settings, local_video: Any
) -> None:
    (preview,) = _local_doc(settings, local_video)["preview"]
    (reference,) = _load("ap-video.json")["preview"]
    assert preview.keys() == reference.keys() and preview["rel"] == ["storyboard"]
    (link,) = preview["url"]
    assert link.keys() == reference["url"][0].keys()
    assert link == {
        "mediaType": "image/jpeg",
        "href": f"https://shoal.example/lazy-static/storyboards/{UUID}.jpg",
        "width": 1728,
        "height": 864,
        "tileWidth": 192,
        "tileHeight": 108,
        "tileDuration": "PT1S",
    }
    # A video without a storyboard says nothing about one.
    video, files = local_video
    bare = video_object(
        settings, video, files, account_url=SHOAL_ACCOUNT, channel_url=SHOAL_CHANNEL
    )
    assert "preview" not in bare


def test_peertube_storyboard_is_read_and_nonsense_ones_are_not() -> None:
    remote = parse_video(_load("ap-video.json"))
    assert remote.storyboard == RemoteStoryboard(
        url="http://127.0.0.1:9001/lazy-static/storyboards/955c9e65-70c8-4f46-9ab8-23f53bd5e983.jpg",
        width=960,
        height=108,
        tile_width=192,
        tile_height=108,
        tile_duration=1,
    )
    for bad in (
        {"tileWidth": 0},
        {"tileWidth": 961},
        {"tileDuration": "soon"},
        {"height": 10**30},
        {"href": 7},
    ):
        doc = _load("ap-video.json")
        doc["preview"][0]["url"][0].update(bad)
        assert parse_video(doc).storyboard is None, bad
    doc = _load("ap-video.json")
    doc["preview"][0]["rel"] = ["thumbnail"]
    assert parse_video(doc).storyboard is None


# --- reading PeerTube's Videos ------------------------------------------------------------


def test_reference_video_reads_with_every_field_a_viewer_sees() -> None:
    remote = parse_video(_load("ap-video.json"))
    assert remote.ap_id == V1
    assert remote.uuid == "a562a6a2-b1a9-4ffe-ba51-bfc67f348533"
    assert remote.name == "Cats over P2P: a 5 second test"
    assert remote.description.startswith("# A tiny test clip\n\nThis is **bold**")
    assert remote.duration == 5
    assert remote.tags == ["cats", "p2p"]
    assert (remote.category, remote.licence, remote.language) == (15, 4, "en")
    assert remote.nsfw is False
    assert remote.published == dt.datetime(2026, 11, 25, 0, 9, 28, 263000)
    assert remote.updated == dt.datetime(2026, 11, 25, 0, 13, 51, 441000)
    assert remote.views == 0
    assert remote.aspect_ratio == 1.7778
    assert remote.comments_enabled and remote.download_enabled
    assert remote.support == ""
    assert remote.state == 1
    assert remote.page_url == V1
    base = (
        "http://127.0.0.1:9001/static/streaming-playlists/hls/a562a6a2-b1a9-4ffe-ba51-bfc67f348533"
    )
    assert remote.master_playlist_url == f"{base}/06067655-790c-4c6c-a8ac-5b2dc33a1fc4-master.m3u8"
    assert remote.segments_sha256_url == (
        f"{base}/2b39d82f-e438-4c06-9565-4bbcae1e5276-segments-sha256.json"
    )
    assert remote.thumbnail_url == (
        "http://127.0.0.1:9001/lazy-static/thumbnails/1788c4b2-c535-4d16-9fd7-6d3f02fe39b5.jpg"
    )
    assert remote.preview_url == (
        "http://127.0.0.1:9001/lazy-static/previews/2106d38e-3194-4b9a-9fd7-a9fde3a3208f.jpg"
    )
    assert remote.attributed_account == ALICE
    assert remote.attributed_channel == ALICE_CHANNEL
    assert (remote.is_public, remote.is_listed) == (True, True)


def test_reference_video_files_are_the_hls_renditions_not_the_web_videos() -> None:
    remote = parse_video(_load("ap-video.json"))
    base = (
        "http://127.0.0.1:9001/static/streaming-playlists/hls/a562a6a2-b1a9-4ffe-ba51-bfc67f348533"
    )
    assert [(f.height, f.width, f.size, f.fps) for f in remote.files] == [
        (360, 640, 107626, 25.0),
        (240, 426, 95583, 25.0),
    ]
    assert remote.files[0].url == f"{base}/b801902d-5413-4d6e-8bb2-3e96901815e6-360-fragmented.mp4"
    # The variant playlist is not in the object; PeerTube names it after the file,
    # and hls-master.m3u8 lists exactly that name.
    assert remote.files[0].playlist_url == f"{base}/b801902d-5413-4d6e-8bb2-3e96901815e6-360.m3u8"
    master = (PEERTUBE / "hls-master.m3u8").read_text()
    for f in remote.files:
        assert f.playlist_url.rsplit("/", 1)[1] in master


def test_create_delivery_reads_its_embedded_video() -> None:
    create = _delivered("fed-04a-pt-to-stub.Create-Video.json")
    assert create["type"] == "Create" and "@context" not in create["object"]
    remote = parse_video(create["object"])
    assert remote.ap_id == V4
    assert remote.name == "Second clip for the stub follower"
    assert remote.tags == ["cats", "federation"]
    assert remote.duration == 4
    assert remote.published == dt.datetime(2026, 11, 25, 0, 25, 19, 610000)
    assert remote.category is None and remote.licence is None and remote.language == "en"
    # PeerTube sends the Create once the first rendition exists: only 360p is in HLS yet.
    assert [(f.height, f.size) for f in remote.files] == [(360, 362570)]
    assert remote.thumbnail_url.endswith("/thumbnails/846e46ca-0418-4f62-92a5-60dac6606c8b.jpg")
    assert remote.preview_url.endswith("/previews/58938818-d18d-4cab-9a51-c77878b13ee9.jpg")
    assert (remote.attributed_account, remote.attributed_channel) == (ALICE, ALICE_CHANNEL)
    assert (remote.is_public, remote.is_listed) == (True, True)


def test_updates_after_transcoding_add_renditions_and_move_the_playlist() -> None:
    first = parse_video(
        _delivered("fed-04d-pt-to-stub.Update-Video-after-transcoding-1.json")["object"]
    )
    second = parse_video(
        _delivered("fed-04e-pt-to-stub.Update-Video-after-transcoding-2.json")["object"]
    )
    assert [f.height for f in first.files] == [360]
    assert [(f.height, f.size) for f in second.files] == [(360, 362570), (240, 173502)]
    # Same activity id, different content: the master playlist was rewritten under a new name.
    assert first.master_playlist_url != second.master_playlist_url
    assert first.segments_sha256_url != second.segments_sha256_url


def test_update_after_edit_reads_the_new_title_description_and_tags() -> None:
    update = _delivered("fed-05-pt-to-stub.Update-Video-after-edit.json")
    remote = parse_video(update["object"])
    assert remote.name == "Second clip (edited title)"
    assert remote.description == "Edited description with **markdown**."
    assert remote.tags == ["cats", "edited", "federation"]
    assert remote.updated == dt.datetime(2026, 11, 25, 0, 25, 28, 621000)
    assert remote.published == dt.datetime(2026, 11, 25, 0, 25, 19, 610000)


def test_video_without_description_or_language_reads_empty() -> None:
    remote = parse_video(_delivered("fed-10a-pt-to-stub.Create-Video-2.json")["object"])
    assert remote.description == ""
    assert remote.tags == []
    assert remote.language is None and remote.category is None
    assert remote.aspect_ratio == 1.3333


def test_announce_and_delete_name_the_video_by_url_only() -> None:
    for name in (
        "fed-04b-pt-to-stub.Announce-Video-by-channel.json",
        "fed-04c-pt-to-stub.Announce-Video-by-application.json",
    ):
        assert first_id(_delivered(name)["object"]) == V4
    delete = _delivered("fed-11-pt-to-stub.Delete-Video-2.json")
    assert first_id(delete["object"]) == (
        "http://127.0.0.1:9001/videos/watch/b7cf80c0-ef7c-4002-98d9-553a6dc85be0"
    )
    assert host_of(first_id(delete["object"])) == "127.0.0.1:9001"


# --- p2p-media-loader swarm ids ---------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ap-video.json",
        "fed-04a-pt-to-stub.Create-Video.json",
        "fed-04e-pt-to-stub.Update-Video-after-transcoding-2.json",
    ],
)
def test_infohash_entries_are_swarm_ids_of_the_master_playlist(name: str) -> None:
    doc = _load(name)
    obj = doc["body"]["object"] if "body" in doc else doc
    master = parse_video(obj).master_playlist_url
    expected = [t["name"] for t in _hls_tag(obj) if t["type"] == "Infohash"]
    assert expected, "the capture has Infohash entries"
    assert [swarm_id(master, i) for i in range(len(expected))] == expected


# --- addressing ----------------------------------------------------------------------------


def _with_audience(to: Any, cc: Any) -> dict:
    obj = copy.deepcopy(_load("ap-video.json"))
    obj["to"], obj["cc"] = to, cc
    return obj


@pytest.mark.parametrize(
    ("to", "cc", "public", "listed"),
    [
        ([PUBLIC], [f"{ALICE}/followers"], True, True),
        ([f"{ALICE}/followers"], [PUBLIC], True, False),  # PeerTube's unlisted
        (["as:Public"], [], True, True),
        (PUBLIC, None, True, True),  # a single string
        ([f"{ALICE}/followers"], [], False, False),  # followers only
        (None, None, False, False),  # no addressing at all: never listed
    ],
)
def test_audience_decides_public_and_listed(to: Any, cc: Any, public: bool, listed: bool) -> None:
    remote = parse_video(_with_audience(to, cc))
    assert (remote.is_public, remote.is_listed) == (public, listed)


# --- liberal reading -----------------------------------------------------------------------


def _minimal(**extra: Any) -> dict:
    return {"type": "Video", "id": "https://tube.example/v/1", "name": "Clip", **extra}


def test_minimal_video_without_context_or_optional_fields_reads_with_defaults() -> None:
    remote = parse_video(_minimal())
    assert remote.ap_id == "https://tube.example/v/1"
    assert remote.uuid is None and remote.duration == 0 and remote.tags == []
    assert remote.files == [] and remote.master_playlist_url is None
    assert remote.thumbnail_url is None and remote.page_url is None
    assert remote.comments_enabled and remote.download_enabled and not remote.nsfw
    assert remote.state == 1


def test_url_as_plain_string_is_the_page() -> None:
    assert parse_video(_minimal(url="https://tube.example/watch/1")).page_url == (
        "https://tube.example/watch/1"
    )
    link = {"type": "Link", "href": "https://tube.example/w/1", "mediaType": "text/html"}
    assert parse_video(_minimal(url=link)).page_url == "https://tube.example/w/1"


def test_single_icon_object_is_both_thumbnail_and_preview() -> None:
    icon = {"type": "Image", "url": "https://tube.example/t.jpg", "mediaType": "image/jpeg"}
    remote = parse_video(_minimal(icon=icon))
    assert remote.thumbnail_url == remote.preview_url == "https://tube.example/t.jpg"


def test_icons_listed_widest_first_still_give_the_smallest_thumbnail() -> None:
    icons = [
        {"type": "Image", "url": "https://tube.example/big.jpg", "width": 850},
        {"type": "Image", "url": {"href": "https://tube.example/small.jpg"}, "width": 280},
    ]
    remote = parse_video(_minimal(icon=icons))
    assert remote.thumbnail_url == "https://tube.example/small.jpg"
    assert remote.preview_url == "https://tube.example/big.jpg"


@pytest.mark.parametrize(
    ("value", "people"),
    [
        ("https://tube.example/u/ann", ("https://tube.example/u/ann", None)),
        (
            {"type": "Person", "id": "https://tube.example/u/ann"},
            ("https://tube.example/u/ann", None),
        ),
        (
            ["https://tube.example/u/ann", "https://tube.example/c/ann"],
            ("https://tube.example/u/ann", "https://tube.example/c/ann"),
        ),
        (
            [{"type": "Group", "id": "https://tube.example/c/ann"}, "https://tube.example/u/ann"],
            ("https://tube.example/u/ann", "https://tube.example/c/ann"),
        ),
    ],
)
def test_attributed_to_as_string_object_or_list(value: Any, people: tuple) -> None:
    remote = parse_video(_minimal(attributedTo=value))
    assert (remote.attributed_account, remote.attributed_channel) == people


def test_other_tag_types_are_ignored_and_hash_signs_dropped() -> None:
    tags = [
        {"type": "Hashtag", "name": "#otters"},
        {"type": "Mention", "name": "@ann@tube.example", "href": "https://tube.example/u/ann"},
        {"type": "Emoji", "name": ":blob:"},
        {"type": "Hashtag", "name": "river"},
    ]
    assert parse_video(_minimal(tag=tags)).tags == ["otters", "river"]


def test_html_content_from_other_servers_is_kept_as_is() -> None:
    html = "<p>Hello <b>world</b></p>"
    assert parse_video(_minimal(content=html, mediaType="text/html")).description == html


def test_single_type_list_and_commentsPolicy_only_are_understood() -> None:
    remote = parse_video(_minimal(type=["Video"], commentsPolicy=2, sensitive=True))
    assert remote.comments_enabled is False and remote.nsfw is True


def test_hostile_uuid_is_dropped() -> None:
    assert parse_video(_minimal(uuid="../../etc/passwd")).uuid is None


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT5S", 5),
        ("PT1M5S", 65),
        ("PT1H2M3.5S", 3724),
        ("pt2m", 120),
        ("P1DT1S", 86401),
        (42, 42),
        ("5 seconds", 0),
        (None, 0),
    ],
)
def test_durations(value: Any, seconds: int) -> None:
    assert parse_duration(value) == seconds
    assert parse_video(_minimal(duration=value)).duration == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-25T00:09:28.263Z", dt.datetime(2026, 11, 25, 0, 9, 28, 263000)),
        ("2026-11-25T02:09:28+02:00", dt.datetime(2026, 11, 25, 0, 9, 28)),
        ("2026-11-24T19:09:28.1234567-05:00", dt.datetime(2026, 11, 25, 0, 9, 28, 123456)),
        ("2026-11-25T00:09:28", dt.datetime(2026, 11, 25, 0, 9, 28)),
        ("yesterday", None),
        (None, None),
        ("", None),
    ],
)
def test_parse_datetime_gives_naive_utc(value: Any, expected: dt.datetime | None) -> None:
    assert parse_datetime(value) == expected


def test_first_id_and_host_of() -> None:
    assert first_id("https://a.example/x") == "https://a.example/x"
    assert first_id({"type": "Person", "id": "https://a.example/p"}) == "https://a.example/p"
    assert first_id({"type": "Link", "href": "https://a.example/l"}) == "https://a.example/l"
    assert first_id([{"type": "Link"}, "https://a.example/y"]) == "https://a.example/y"
    assert first_id(None) is None and first_id([]) is None and first_id({}) is None
    assert host_of("http://127.0.0.1:9001/accounts/alice") == "127.0.0.1:9001"
    assert host_of("https://User@Tube.Example/videos") == "tube.example"
    assert host_of("https://[::1]:8443/x") == "[::1]:8443"
    assert host_of("not a url") == ""


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ({"type": "Note", "id": "https://a.example/n/1", "name": "x"}, "expected a Video"),
        (_delivered("fed-04a-pt-to-stub.Create-Video.json"), "got type 'Create'"),
        ({"type": "Video", "name": "No id"}, "has no id"),
        ({"type": "Video", "id": "https://a.example/v/1"}, "has no name"),
        ({"type": "Video", "id": "https://a.example/v/1", "name": "  "}, "has no name"),
        ("https://a.example/v/1", "got str"),
    ],
)
def test_bad_inputs_raise_value_error(obj: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_video(obj)


# --- writing a local video -----------------------------------------------------------------


def test_local_video_has_peertubes_key_set(settings: Settings, local_video: Any) -> None:
    doc = _local_doc(settings, local_video)
    reference = set(_load("ap-video.json"))
    assert set(doc) == reference - set(NOT_PRODUCED)
    assert doc["@context"] == _load("ap-video.json")["@context"] == VIDEO_CONTEXT


def test_local_video_fields(settings: Settings, local_video: Any) -> None:
    doc = _local_doc(settings, local_video)
    url = "https://shoal.example/videos/watch/0f3a3c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
    assert doc["id"] == url and doc["url"][0] == {
        "type": "Link",
        "mediaType": "text/html",
        "href": url,
    }
    assert (doc["to"], doc["cc"]) == ([PUBLIC], [f"{SHOAL_ACCOUNT}/followers"])
    assert doc["duration"] == "PT65S"
    assert doc["category"] == {"identifier": "16", "name": "Animals"}
    assert doc["licence"] == {"identifier": "1", "name": "Attribution"}
    assert doc["language"] == {"identifier": "en", "name": "English"}
    assert doc["state"] == 1 and doc["sensitive"] is False
    assert doc["published"] == "2026-01-02T03:05:00.000Z"
    assert doc["updated"] == "2026-01-02T03:09:00.000Z"
    assert doc["mediaType"] == "text/markdown" and doc["content"].startswith("Two **otters**")
    assert doc["shares"] == f"{url}/announces" and doc["likes"] == f"{url}/likes"
    assert doc["attributedTo"] == [
        {"type": "Person", "id": SHOAL_ACCOUNT},
        {"type": "Group", "id": SHOAL_CHANNEL},
    ]
    thumb, preview = doc["icon"]
    assert thumb["url"] == f"https://shoal.example/lazy-static/thumbnails/{UUID}.jpg"
    assert (thumb["width"], thumb["height"]) == (280, 158)  # PeerTube: 280x157
    assert preview["url"].endswith("/lazy-static/previews/0f3a3c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5.jpg")
    assert [u.get("name") for u in doc["url"][-2:]] == ["tracker-http", "tracker-websocket"]
    assert doc["url"][-1]["href"] == "wss://shoal.example/tracker/socket"
    assert json.loads(json.dumps(doc)) == doc  # plain JSON


def test_local_hls_link_matches_peertubes_shape(settings: Settings, local_video: Any) -> None:
    doc = _local_doc(settings, local_video)
    ours = next(u for u in doc["url"] if u.get("mediaType") == "application/x-mpegURL")
    theirs = next(u for u in _load("ap-video.json")["url"] if "tag" in u)
    base = (
        "https://shoal.example/static/streaming-playlists/hls/0f3a3c1e-5a6b-4c7d-8e9f-a0b1c2d3e4f5"
    )
    assert ours["href"] == f"{base}/abc-master.m3u8"
    kinds = [(t["type"], t.get("name"), t.get("mediaType")) for t in ours["tag"]]
    assert kinds == [
        ("Infohash", swarm_id(ours["href"], 0), None),
        ("Infohash", swarm_id(ours["href"], 1), None),
        ("Link", "sha256", "application/json"),
        ("Link", None, "video/mp4"),
        ("Link", None, "video/mp4"),
    ]
    assert ours["tag"][2]["href"] == f"{base}/abc-segments-sha256.json"
    mp4 = ours["tag"][3]
    their_mp4 = next(t for t in theirs["tag"] if t.get("mediaType") == "video/mp4")
    assert set(mp4) == set(their_mp4)
    assert mp4["attachment"] == their_mp4["attachment"]
    assert (mp4["href"], mp4["height"], mp4["size"], mp4["fps"]) == (
        f"{base}/abc-360-fragmented.mp4",
        360,
        107626,
        25,
    )
    assert not any("bittorrent" in u.get("mediaType", "") for u in doc["url"] + ours["tag"])


def test_local_video_round_trips(settings: Settings, local_video: Any) -> None:
    video, _ = local_video
    doc = _local_doc(settings, local_video)
    remote = parse_video(doc)
    assert remote.ap_id == doc["id"] and remote.uuid == str(video.uuid)
    assert (remote.name, remote.tags, remote.duration) == (
        "Otters at dusk",
        ["otters", "river"],
        65,
    )
    assert remote.description == video.description and remote.support == video.support
    assert (remote.category, remote.licence, remote.language) == (16, 1, "en")
    assert remote.published == video.published_at and remote.updated == video.updated_at
    assert remote.master_playlist_url.endswith("/abc-master.m3u8")
    assert remote.segments_sha256_url.endswith("/abc-segments-sha256.json")
    assert [(f.height, f.width, f.size, f.fps) for f in remote.files] == [
        (360, 640, 107626, 25.0),
        (240, 426, 95583, 25.0),
    ]
    assert [f.playlist_url.rsplit("/", 1)[1] for f in remote.files] == [
        "abc-360.m3u8",
        "abc-240.m3u8",
    ]
    assert remote.thumbnail_url.endswith(".jpg") and "/thumbnails/" in remote.thumbnail_url
    assert "/previews/" in remote.preview_url
    assert (remote.attributed_account, remote.attributed_channel) == (SHOAL_ACCOUNT, SHOAL_CHANNEL)
    assert (remote.is_public, remote.is_listed, remote.state) == (True, True, 1)


def test_unlisted_local_video_is_addressed_like_peertube(
    settings: Settings, local_video: Any
) -> None:
    video, _ = local_video
    video.privacy = Privacy.UNLISTED
    doc = _local_doc(settings, local_video)
    assert (doc["to"], doc["cc"]) == ([f"{SHOAL_ACCOUNT}/followers"], [PUBLIC])
    remote = parse_video(doc)
    assert (remote.is_public, remote.is_listed) == (True, False)


def test_private_local_video_has_no_object(settings: Settings, local_video: Any) -> None:
    video, _ = local_video
    video.privacy = Privacy.PRIVATE
    with pytest.raises(ValueError, match="private"):
        _local_doc(settings, local_video)


def test_remote_video_is_not_written_as_ours(settings: Settings, local_video: Any) -> None:
    video, _ = local_video
    video.ap_id = V4
    with pytest.raises(ValueError, match="local"):
        _local_doc(settings, local_video)


def test_unset_vocabulary_and_audio_only_video(settings: Settings, local_video: Any) -> None:
    video, _ = local_video
    video.category = video.licence = video.language = None
    video.description = video.support = ""
    video.thumbnail = video.preview = ""
    audio = VideoFile(
        resolution=0,
        width=0,
        height=0,
        fps=0,
        size=1000,
        has_video=False,
        filename="abc-0-fragmented.mp4",
        playlist="abc-0.m3u8",
    )
    doc = video_object(
        settings, video, [audio], account_url=SHOAL_ACCOUNT, channel_url=SHOAL_CHANNEL
    )
    assert not {"category", "licence", "language"} & set(doc)  # PeerTube leaves them out
    assert doc["content"] is None and doc["support"] is None and doc["icon"] == []
    mp4 = _hls_tag(doc)[-1]
    assert mp4["mediaType"] == "audio/mp4"
    assert [a["value"] for a in mp4["attachment"]] == ["audio", "fragmented"]
    assert parse_video(doc).files[0].size == 1000


def test_image_widths_follow_the_transcoder() -> None:
    from app.federation import objects
    from app.media import transcode

    assert objects.THUMBNAIL_WIDTH == transcode.THUMBNAIL_WIDTH
    assert objects.PREVIEW_WIDTH == transcode.PREVIEW_WIDTH


# --- activity envelopes --------------------------------------------------------------------


def test_create_envelope_matches_peertubes(settings: Settings, local_video: Any) -> None:
    doc = _local_doc(settings, local_video)
    body = activity(
        "Create",
        SHOAL_ACCOUNT,
        doc,
        activity_id=f"{doc['id']}/activity",
        to=doc["to"],
        cc=doc["cc"],
    )
    theirs = _delivered("fed-04a-pt-to-stub.Create-Video.json")
    assert list(body) == [k for k in theirs if k != "signature"]
    assert body["@context"] == theirs["@context"]
    assert "@context" not in body["object"]  # embedded without its own, as PeerTube
    assert "@context" in doc  # the caller's object is left alone


def test_follow_and_accept_envelopes_carry_no_audience() -> None:
    follow = activity(
        "Follow",
        "https://shoal.example/accounts/dana",
        ALICE_CHANNEL,
        activity_id="https://shoal.example/accounts/dana/follows/1",
    )
    accept = _delivered("fed-01e-pt-to-stub.Accept-of-channel-Follow.json")
    assert list(follow) == ["@context", "type", "id", "actor", "object"]
    assert follow["@context"] == accept["@context"]
    announce = activity(
        "Announce", SHOAL_CHANNEL, V4, activity_id=f"{V4}/announces/1", to=[PUBLIC], cc=[]
    )
    theirs = _delivered("fed-04b-pt-to-stub.Announce-Video-by-channel.json")
    assert list(announce) == [k for k in theirs if k != "signature"]
    assert announce["@context"] == theirs["@context"] and announce["object"] == V4
