"""Feeds, read with feedparser (what feed readers use): RSS with Media RSS, Atom,
JSON Feed 1.1, the podcast feed, comments, private subscription feeds, caching.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuidlib
from email.utils import format_datetime, parsedate_to_datetime

import feedparser
import pytest
from lxml import etree

import app.web
from app import feeds, subscriptions
from app.tracker import bdecode
from app.videos import short_uuid
from handlers import feeds as feed_handlers
from models import utcnow
from models.accounts import Account, Channel, User
from models.videos import Privacy, State, Video, VideoFile
from tests.handlers.test_api_videos import upload

NS = {
    "media": feeds.MEDIA_NS,
    "itunes": feeds.ITUNES_NS,
    "podcast": feeds.PODCAST_NS,
    "atom": "http://www.w3.org/2005/Atom",
}


@pytest.fixture(autouse=True)
def feed_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve handlers.feeds.ROUTES, whether or not app/web.py lists them yet."""
    original = app.web.routes
    if not any(route[1].__module__ == feed_handlers.__name__ for route in original()):
        monkeypatch.setattr(app.web, "routes", lambda: [*feed_handlers.ROUTES, *original()])


def channel_of(user: User) -> Channel:
    return Channel.select().join(Account).where(Account.user == user).get()


def make_video(
    channel: Channel,
    name: str,
    *,
    minutes_ago: int = 0,
    privacy: Privacy = Privacy.PUBLIC,
    state: State = State.PUBLISHED,
    remote: str | None = None,
    **fields: object,
) -> Video:
    """A video row as a finished transcode (or a federated Create) leaves it.

    Feeds read only the database, so no media is written; `remote` is the
    origin's base URL for a video from another server.
    """
    when = utcnow() - dt.timedelta(minutes=minutes_ago)
    video_uuid = uuidlib.uuid4()
    base = f"{remote}/static/streaming-playlists/hls/{video_uuid}/" if remote else ""
    values: dict[str, object] = {
        "description": f"About **{name}**.",
        "category": 15,
        "language": "en",
        "duration": 3,
        "hls_master": f"{base}master.m3u8",
        "thumbnail": f"{base}thumb.jpg",
        "preview": f"{base}preview.jpg",
    }
    values.update(fields)
    video = Video.create(
        uuid=video_uuid,
        channel=channel,
        name=name,
        privacy=privacy,
        state=state,
        ap_id=f"{remote}/videos/watch/{video_uuid}" if remote else None,
        published_at=when if state == State.PUBLISHED else None,
        created_at=when,
        updated_at=when,
        **values,
    )
    for height, size in ((240, 50_000), (144, 20_000)):
        VideoFile.create(
            video=video,
            resolution=height,
            width=height * 4 // 3,
            height=height,
            fps=25,
            size=size,
            filename=f"{base}{height}-fragmented.mp4",
            playlist=f"{base}{height}.m3u8",
        )
    return video


def remote_channel(host: str = "peertube.example") -> Channel:
    """carol's channel on another server, as federation stores it."""
    account = Account.create(name="carol", host=host, display_name="Carol")
    return Channel.create(account=account, name="carol_channel", host=host, display_name="Carol TV")


def get_feed(client, path: str, **params: object):
    """(response, feedparser result) of a feed that must answer 200 and parse cleanly."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def titles(client, path: str, **params: object) -> list[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    if path.endswith(".json"):
        return [item["title"] for item in response.json()["items"]]
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return [entry.title for entry in parsed.entries]


def test_rss_feed_lists_an_upload_with_media_rss_and_a_downloadable_enclosure(
    alice_api, anon, clip, run_jobs, live_settings
):
    ids = upload(alice_api, clip, name="Cats over P2P")
    run_jobs()
    files = anon.get(f"/api/v1/videos/{ids['uuid']}").json()["streamingPlaylists"][0]["files"]

    response, parsed = get_feed(anon, "/feeds/videos.xml")

    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert parsed.version == "rss20"
    assert parsed.feed.title == live_settings.instance_name
    assert parsed.feed.link == live_settings.base_url
    (entry,) = parsed.entries
    assert entry.title == "Cats over P2P"
    assert entry.link == f"{live_settings.base_url}/w/{ids['shortUUID']}"
    assert entry.id == entry.link
    assert "<strong>bold</strong>" in entry.content[0].value
    assert entry.summary == "Hello This is bold."
    assert entry.author == "Main alice channel"  # dc:creator
    assert [t.term for t in entry.tags] == ["Science & Technology"]
    (enclosure,) = entry.enclosures
    best = files[0]
    assert enclosure.href == best["fileDownloadUrl"]
    assert enclosure.href.endswith(
        f"/download/streaming-playlists/hls/videos/{ids['uuid']}-240-fragmented.mp4"
    )
    assert int(enclosure.length) == best["size"] and enclosure.type == "video/mp4"
    # One media:content per rendition, the highest is the default.
    assert [(c["url"], c["height"], c["filesize"]) for c in entry.media_content] == [
        (f["fileUrl"], str(f["resolution"]["id"]), str(f["size"])) for f in files
    ]
    assert [c["isdefault"] for c in entry.media_content] == ["true", "false"]
    assert {c["type"] for c in entry.media_content} == {"video/mp4"}
    assert entry.media_content[0]["duration"] == "3"
    assert entry.media_player["url"] == entry.link
    assert {t["url"] for t in entry.media_thumbnail} == {
        f"{live_settings.base_url}/lazy-static/previews/{ids['uuid']}.jpg",
        f"{live_settings.base_url}/lazy-static/thumbnails/{ids['uuid']}.jpg",
    }
    item = etree.fromstring(response.content).find("channel/item")
    assert item.findtext("media:rating", namespaces=NS) == "nonadult"
    assert item.find("media:embed", NS).get("url").endswith(f"/videos/embed/{ids['uuid']}")
    assert item.find("media:community/media:statistics", NS).get("views") == "0"
    assert item.findtext("media:title", namespaces=NS) == "Cats over P2P"

    download = anon.get(enclosure.href)
    assert download.status_code == 200 and len(download.content) == best["size"]
    # Each rendition's torrent first in the group, as PeerTube lists them.
    group = item.find("media:group", NS)
    links = group.findall("media:peerLink", NS)
    assert [child.tag for child in group][: len(links)] == [link.tag for link in links]
    assert [link.get("href") for link in links] == [f["torrentUrl"] for f in files]
    assert {(link.get("type"), link.get("isDefault")) for link in links} == {
        ("application/x-bittorrent", "false")
    }
    torrent = bdecode(anon.get(links[0].get("href")).content)
    assert torrent[b"url-list"] == [best["fileUrl"].encode()]  # the WebSeed


def test_atom_feed_is_valid_atom_with_watch_links_and_enclosures(anon, local_user, live_settings):
    video = make_video(channel_of(local_user), "An Atom entry")

    response, parsed = get_feed(anon, "/feeds/videos.atom")

    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert parsed.version == "atom10"
    assert parsed.feed.title == live_settings.instance_name
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": f"{live_settings.base_url}/feeds/videos.atom",
        "alternate": live_settings.base_url,
    }
    (entry,) = parsed.entries
    watch = f"{live_settings.base_url}/w/{short_uuid(video.uuid)}"
    assert entry.title == "An Atom entry" and entry.id == watch and entry.link == watch
    assert entry.author_detail.name == "Main alice channel"
    assert entry.author_detail.href == f"{live_settings.base_url}/c/alice_channel"
    assert "<strong>An Atom entry</strong>" in entry.content[0].value
    assert entry.content[0].type == "text/html"
    assert entry.published_parsed and entry.updated_parsed
    (enclosure,) = entry.enclosures
    assert enclosure.type == "video/mp4" and int(enclosure.length) == 50_000
    # `.xml?format=atom` is Atom too, as on PeerTube.
    _, same = get_feed(anon, "/feeds/videos.xml", format="atom")
    assert same.version == "atom10"


def test_json_feed_is_version_1_1_with_authors_and_attachments(anon, local_user, live_settings):
    video = make_video(channel_of(local_user), "A JSON item", nsfw=True)

    response = anon.get("/feeds/videos.json")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    doc = response.json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] and doc["home_page_url"] == live_settings.base_url
    assert doc["feed_url"] == f"{live_settings.base_url}/feeds/videos.json"
    assert doc["authors"] == [{"name": live_settings.instance_name, "url": live_settings.base_url}]
    assert "author" not in doc  # deprecated in 1.1
    (item,) = doc["items"]
    watch = f"{live_settings.base_url}/w/{short_uuid(video.uuid)}"
    assert item["id"] == watch and item["url"] == watch and item["title"] == "A JSON item"
    assert "<strong>A JSON item</strong>" in item["content_html"]
    assert item["authors"] == [
        {"name": "Main alice channel", "url": f"{live_settings.base_url}/c/alice_channel"}
    ]
    assert dt.datetime.fromisoformat(item["date_published"]).tzinfo is not None
    assert item["tags"] == ["Science & Technology"]
    attachments = item["attachments"]
    assert [a["size_in_bytes"] for a in attachments] == [50_000, 20_000]
    assert {(a["mime_type"], a["title"], a["duration_in_seconds"]) for a in attachments} == {
        ("video/mp4", "A JSON item", 3)
    }
    assert all(a["url"].startswith(f"{live_settings.base_url}/static/") for a in attachments)
    # feedparser 6 does not read JSON Feed: these are the 1.1 spec's requirements.
    for entry in doc["items"]:
        assert isinstance(entry["id"], str) and ("content_html" in entry or "content_text" in entry)


def test_private_unlisted_and_unfinished_videos_never_appear_in_any_feed(
    server, alice_api, anon, clip, run_jobs, local_user, other_user, live_settings
):
    upload(alice_api, clip, name="Public clip")
    upload(alice_api, clip, name="Private clip", privacy=3)
    upload(alice_api, clip, name="Unlisted clip", privacy=2)
    run_jobs()
    upload(alice_api, clip, name="Still transcoding")  # its job has not run
    channel = channel_of(local_user)
    account = channel.account
    subscriptions.subscribe(live_settings, other_user, "alice_channel")
    bob = server.client()
    bob.token("bob", "correct horse battery")
    token = bob.get("/api/v1/users/scoped-tokens").json()["feedToken"]
    bob_account = Account.get(Account.user == other_user)

    for ext in ("xml", "atom", "json"):
        for params in (
            {},
            {"videoChannelId": channel.id},
            {"videoChannelName": "alice_channel"},
            {"accountId": account.id},
            {"accountName": "alice"},
            {"sort": "-views"},
        ):
            assert titles(anon, f"/feeds/videos.{ext}", **params) == ["Public clip"], params
        assert titles(
            anon, f"/feeds/subscriptions.{ext}", accountId=bob_account.id, token=token
        ) == ["Public clip"]
    assert titles(anon, "/feeds/podcast/videos.xml", videoChannelId=channel.id) == ["Public clip"]
    # The owner sees all four in their own list: the feeds' choice is not a side effect.
    assert alice_api.get("/api/v1/users/me/videos").json()["total"] == 4


def test_feeds_filter_by_channel_and_account_id_or_name(
    anon, local_user, other_user, live_settings
):
    alice_channel = channel_of(local_user)
    music = Channel.create(
        account=alice_channel.account, name="alice_music", display_name="Alice sings"
    )
    make_video(alice_channel, "Alice main", minutes_ago=3)
    make_video(music, "Alice song", minutes_ago=2)
    make_video(channel_of(other_user), "Bob clip", minutes_ago=1)
    path = "/feeds/videos.xml"

    assert titles(anon, path) == ["Bob clip", "Alice song", "Alice main"]
    assert titles(anon, path, videoChannelId=alice_channel.id) == ["Alice main"]
    assert titles(anon, path, videoChannelName="alice_music") == ["Alice song"]
    assert titles(anon, path, videoChannelName=f"alice_music@{live_settings.host}") == [
        "Alice song"
    ]
    assert titles(anon, path, accountId=alice_channel.account_id) == ["Alice song", "Alice main"]
    assert titles(anon, path, accountName="bob") == ["Bob clip"]

    _, by_channel = get_feed(anon, path, videoChannelId=music.id)
    assert by_channel.feed.title == "Alice sings"
    assert by_channel.feed.link == f"{live_settings.base_url}/c/alice_music"
    root = etree.fromstring(anon.get(path, params={"videoChannelId": music.id}).content)
    assert root.findtext("channel/podcast:txt", namespaces=NS) == feeds.podcast_url(
        live_settings, music
    )
    _, by_account = get_feed(anon, path, accountName="alice")
    assert by_account.feed.title == "alice"
    assert by_account.feed.link == f"{live_settings.base_url}/a/alice"


def test_unknown_channels_and_accounts_are_404_and_bad_parameters_400(anon, local_user):
    for params, detail in (
        ({"videoChannelId": 9999}, "Video channel not found"),
        ({"videoChannelName": "nobody_channel"}, "Video channel not found"),
        ({"accountId": 9999}, "Account not found"),
        ({"accountName": "nobody@elsewhere.example"}, "Account not found"),
    ):
        response = anon.get("/feeds/videos.xml", params=params)
        assert response.status_code == 404, params
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["detail"] == detail
        assert response.json()["status"] == 404
    for params in ({"videoChannelId": "abc"}, {"sort": "-nope"}, {"isLocal": "maybe"}):
        response = anon.get("/feeds/videos.atom", params=params)
        assert response.status_code == 400, params
        assert set(response.json()["invalid-params"]) == set(params)
    assert anon.get("/feeds/podcast/videos.xml").status_code == 400
    assert anon.get("/feeds/podcast/videos.xml?videoChannelId=9999").status_code == 404


def test_remote_videos_are_in_server_feeds_with_origin_media_unless_only_local_asked(
    anon, local_user, live_settings
):
    make_video(channel_of(local_user), "Local clip", minutes_ago=2)
    remote = make_video(
        remote_channel(), "Remote clip\x07", minutes_ago=1, remote="https://peertube.example"
    )

    response, parsed = get_feed(anon, "/feeds/videos.xml")

    # The remote name's control character, which XML cannot carry, is left out.
    assert [e.title for e in parsed.entries] == ["Remote clip", "Local clip"]
    entry = parsed.entries[0]
    assert entry.link == f"{live_settings.base_url}/w/{short_uuid(remote.uuid)}"  # watchable here
    origin = f"https://peertube.example/static/streaming-playlists/hls/{remote.uuid}/"
    assert [c["url"] for c in entry.media_content] == [
        f"{origin}240-fragmented.mp4",
        f"{origin}144-fragmented.mp4",
    ]
    assert entry.enclosures[0].href == f"{origin}240-fragmented.mp4"
    assert entry.author == "Carol TV"
    assert titles(anon, "/feeds/videos.xml", isLocal="true") == ["Local clip"]
    assert titles(anon, "/feeds/videos.json", isLocal="true") == ["Local clip"]
    assert titles(anon, "/feeds/videos.xml", videoChannelName="carol_channel@peertube.example") == [
        "Remote clip"
    ]


def test_feeds_sort_newest_first_or_by_views_and_never_list_more_than_twenty(anon, local_user):
    channel = channel_of(local_user)
    make_video(channel, "Old and popular", minutes_ago=10, views=50)
    make_video(channel, "New and quiet", minutes_ago=1, views=2)
    make_video(channel, "Adult", minutes_ago=5, views=1, nsfw=True)

    assert titles(anon, "/feeds/videos.xml") == ["New and quiet", "Adult", "Old and popular"]
    expected = ["Old and popular", "New and quiet", "Adult"]
    assert titles(anon, "/feeds/videos.xml", sort="-views") == expected
    assert titles(anon, "/feeds/videos.xml", sort="-trending") == expected
    assert titles(anon, "/feeds/videos.atom", nsfw="false") == ["New and quiet", "Old and popular"]
    for i in range(20):
        make_video(channel, f"Filler {i}", minutes_ago=20 + i)
    assert len(titles(anon, "/feeds/videos.json")) == 20


def test_conditional_requests_get_304_and_a_new_publication_changes_the_etag(
    alice_api, anon, clip, run_jobs
):
    first = upload(alice_api, clip, name="First")
    run_jobs()
    path = "/feeds/videos.xml"
    response = anon.get(path)
    etag, modified = response.headers["Etag"], response.headers["Last-Modified"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    published = anon.get(f"/api/v1/videos/{first['uuid']}").json()["publishedAt"]
    assert parsedate_to_datetime(modified) == dt.datetime.fromisoformat(published).replace(
        microsecond=0
    )
    assert anon.get(path).content == response.content  # the same bytes, from the cache
    head = anon.head(path)
    assert head.status_code == 200 and head.content == b"" and head.headers["Etag"] == etag

    again = anon.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["Etag"] == etag
    since = anon.get(path, headers={"If-Modified-Since": modified})
    assert since.status_code == 304 and since.content == b""
    earlier = parsedate_to_datetime(modified) - dt.timedelta(hours=1)
    stale = anon.get(path, headers={"If-Modified-Since": format_datetime(earlier, usegmt=True)})
    assert stale.status_code == 200 and stale.content == response.content

    upload(alice_api, clip, name="Second")
    run_jobs()
    changed = anon.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["Etag"] != etag
    assert [e.title for e in feedparser.parse(changed.content).entries] == ["Second", "First"]

    # An edit publishes nothing new, and shows at once too (the read version moved).
    alice_api.put(f"/api/v1/videos/{first['uuid']}", json={"name": "First, renamed"})
    assert titles(anon, path) == ["Second", "First, renamed"]


def test_podcast_feed_has_what_podcast_apps_require(anon, local_user, live_settings):
    channel = channel_of(local_user)
    Channel.update(description="Short clips of **cats**.").where(Channel.id == channel.id).execute()
    Account.update(display_name="Alice Example").where(Account.id == channel.account_id).execute()
    older = make_video(channel, "Episode one", minutes_ago=5, duration=125)
    newer = make_video(channel, "Episode two", minutes_ago=1, category=16, language="fr")
    make_video(
        channel, "Episode three", minutes_ago=2, category=16, language="fr", download_enabled=False
    )
    base = live_settings.base_url
    feed_url = f"{base}/feeds/podcast/videos.xml?videoChannelId={channel.id}"

    response, parsed = get_feed(anon, "/feeds/podcast/videos.xml", videoChannelId=channel.id)

    assert response.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert parsed.feed.title == "Main alice channel"
    assert parsed.feed.subtitle == "Short clips of cats."
    assert parsed.feed.link == f"{base}/c/alice_channel"
    assert parsed.feed.language == "fr"
    assert parsed.feed.image.href == f"{base}/lazy-static/previews/{newer.uuid}.jpg"
    root = etree.fromstring(response.content)
    ch = root.find("channel")
    assert ch.find("itunes:image", NS).get("href") == parsed.feed.image.href
    assert ch.findtext("itunes:author", namespaces=NS) == "Alice Example"
    assert ch.findtext("itunes:explicit", namespaces=NS) == "no"
    assert ch.findtext("itunes:type", namespaces=NS) == "episodic"
    category = ch.find("itunes:category", NS)
    assert category.get("text") == "Kids & Family"
    assert category.find("itunes:category", NS).get("text") == "Pets & Animals"
    assert ch.findtext("podcast:guid", namespaces=NS) == str(
        uuidlib.uuid5(
            uuidlib.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6"), feed_url[len("http://") :]
        )
    )
    assert ch.findtext("podcast:locked", namespaces=NS) == "yes"
    assert ch.findtext("podcast:medium", namespaces=NS) == "video"
    assert ch.find("atom:link[@rel='self']", NS).get("href") == feed_url

    assert [e.title for e in parsed.entries] == ["Episode two", "Episode three", "Episode one"]
    items = {item.findtext("title"): item for item in ch.findall("item")}
    for title, item in items.items():
        enclosure = item.find("enclosure")
        assert enclosure.get("type") == "video/mp4" and enclosure.get("length") == "50000", title
        assert item.find("itunes:image", NS).get("href").endswith(".jpg")
        assert item.findtext("itunes:explicit", namespaces=NS) == "no"
        assert item.findtext("guid").startswith(f"{base}/w/")
        assert item.findtext("pubDate")
        assert len(item.findall("podcast:alternateEnclosure", NS)) == 3  # 240p, 144p, HLS
    one = items["Episode one"]
    assert one.findtext("itunes:duration", namespaces=NS) == "125"
    assert one.find("enclosure").get("url") == (
        f"{base}/download/streaming-playlists/hls/videos/{older.uuid}-240-fragmented.mp4"
    )
    # Downloads turned off: the episode is the streamed file itself.
    three = items["Episode three"].find("enclosure").get("url")
    assert three.startswith(f"{base}/static/streaming-playlists/hls/")
    assert feeds.podcast_guid("https://podnews.net/rss/") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_video_comments_feed_is_an_empty_valid_feed_with_its_subject(
    anon, local_user, live_settings
):
    video = make_video(channel_of(local_user), "Commented clip")
    private = make_video(channel_of(local_user), "Private clip", privacy=Privacy.PRIVATE)

    response, parsed = get_feed(anon, "/feeds/video-comments.xml")
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert parsed.feed.title == live_settings.instance_name and parsed.entries == []
    _, atom = get_feed(anon, "/feeds/video-comments.atom")
    assert atom.version == "atom10" and atom.entries == []
    doc = anon.get("/feeds/video-comments.json").json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["items"] == []

    _, about = get_feed(anon, "/feeds/video-comments.xml", videoId=str(video.uuid))
    assert about.feed.title == "Commented clip"
    assert about.feed.link == f"{live_settings.base_url}/w/{short_uuid(video.uuid)}"
    _, by_account = get_feed(anon, "/feeds/video-comments.xml", accountName="alice")
    assert by_account.feed.title == "alice"

    assert (
        anon.get("/feeds/video-comments.xml", params={"videoId": str(uuidlib.uuid4())}).status_code
        == 404
    )
    assert (
        anon.get("/feeds/video-comments.xml", params={"videoId": str(private.uuid)}).status_code
        == 404
    )
    assert anon.get("/feeds/video-comments.xml", params={"videoId": "bad!"}).status_code == 400
    assert anon.get("/feeds/video-comments.xml", params={"videoChannelId": 9999}).status_code == 404


def test_subscriptions_feed_needs_the_users_feed_token_and_a_reset_revokes_it(
    server, anon, alice_api, local_user, other_user, live_settings
):
    make_video(channel_of(other_user), "Bob's clip", minutes_ago=2)
    make_video(channel_of(local_user), "Alice's own clip", minutes_ago=1)
    subscriptions.subscribe(live_settings, local_user, "bob_channel")
    account_id = Account.get(Account.user == local_user).id
    bob_account_id = Account.get(Account.user == other_user).id

    assert anon.get("/api/v1/users/scoped-tokens").status_code == 401
    token = alice_api.get("/api/v1/users/scoped-tokens").json()["feedToken"]
    assert len(token) >= 32
    assert alice_api.get("/api/v1/users/scoped-tokens").json() == {"feedToken": token}

    path = "/feeds/subscriptions.xml"
    response, parsed = get_feed(anon, path, accountId=account_id, token=token)
    assert [e.title for e in parsed.entries] == ["Bob's clip"]
    assert response.headers["Cache-Control"].startswith("private")
    assert titles(anon, "/feeds/subscriptions.json", accountId=account_id, token=token) == [
        "Bob's clip"
    ]

    wrong = anon.get(path, params={"accountId": account_id, "token": token[:-1] + "x"})
    assert wrong.status_code == 403 and wrong.json()["status"] == 403
    assert anon.get(path, params={"accountId": bob_account_id, "token": token}).status_code == 403
    assert anon.get(path, params={"accountId": account_id}).status_code == 400
    assert anon.get(path, params={"token": token}).status_code == 400
    assert anon.get(path, params={"accountId": 9999, "token": token}).status_code == 404

    renewed = alice_api.post("/api/v1/users/scoped-tokens").json()["feedToken"]
    assert renewed != token
    assert anon.get(path, params={"accountId": account_id, "token": token}).status_code == 403
    assert titles(anon, path, accountId=account_id, token=renewed) == ["Bob's clip"]


def test_channel_and_account_pages_link_their_feeds(anon, local_user):
    channel = channel_of(local_user)
    page = anon.get("/c/alice_channel").text
    assert f'href="/feeds/videos.xml?videoChannelId={channel.id}"' in page
    assert 'type="application/rss+xml"' in page
    assert f'href="/feeds/podcast/videos.xml?videoChannelId={channel.id}"' in page
    account_page = anon.get("/a/alice").text
    assert f'href="/feeds/videos.xml?accountId={channel.account_id}"' in account_page
    assert anon.get(f"/feeds/videos.xml?accountId={channel.account_id}").status_code == 200
    assert json.loads(anon.get("/feeds/videos.json").content)["items"] == []


def test_private_feed_address_is_shown_and_reset_in_settings(alice, anon, local_user):
    import re

    page = alice.get("/settings").text
    url = re.search(r'class="feed-url" value="([^"]+)"', page).group(1).replace("&amp;", "&")
    path = url.split("//", 1)[1].split("/", 1)[1]
    assert anon.get("/" + path).status_code == 200
    reset = alice.form("/settings", {"form": "feed-token"})
    assert reset.status_code == 200 and "new address" in reset.text
    assert anon.get("/" + path).status_code == 403
