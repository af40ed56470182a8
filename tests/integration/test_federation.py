"""Two and three Shoal servers in one process, talking signed HTTP to each other."""

from __future__ import annotations

from app import auth
from models.federation import Delivery, Follow, FollowState
from models.videos import Video
from tests.conftest import PASSWORD, LiveServer
from tests.handlers.test_api_videos import upload


def admin(server: LiveServer):
    client = server.client()
    client.token("root", PASSWORD)
    return client


def settle(*servers: LiveServer, rounds: int = 6) -> None:
    """Run every server's jobs until nothing is left to do (deliveries cross over)."""
    for _ in range(rounds):
        if sum(s.run_jobs() for s in servers) == 0:
            return


def follow_server(follower: LiveServer, target: LiveServer) -> None:
    response = admin(follower).post(
        "/api/v1/server/following", json={"hosts": [target.settings.host]}
    )
    assert response.status_code == 204, response.text
    settle(follower, target)


def test_a_followed_servers_videos_appear_edit_and_disappear(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    following = admin(mirror).get("/api/v1/server/following").json()
    assert following["total"] == 1
    assert following["data"][0]["state"] == "accepted"
    assert following["data"][0]["following"]["host"] == origin.settings.host
    followers = origin.client().get("/api/v1/server/followers").json()
    assert followers["data"][0]["follower"]["host"] == mirror.settings.host

    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Federated cats")
    settle(origin, mirror)

    listed = mirror.client().get("/api/v1/videos").json()
    assert listed["total"] == 1
    remote = listed["data"][0]
    assert remote["name"] == "Federated cats" and remote["isLocal"] is False
    assert remote["uuid"] == ids["uuid"]
    assert remote["account"]["host"] == origin.settings.host
    assert remote["channel"]["name"] == "alice_channel"
    details = mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()
    master = details["streamingPlaylists"][0]["playlistUrl"]
    assert master.startswith(origin.url)  # plays from its origin's HLS files
    assert mirror.client().get(master).status_code == 200
    assert mirror.client().get("/api/v1/videos", params={"isLocal": "true"}).json()["total"] == 0
    page = mirror.client().get(f"/w/{ids['shortUUID']}")
    assert page.status_code == 200 and master in page.text
    assert origin.url in page.headers["Content-Security-Policy"]
    thumb = mirror.client().get(details["thumbnailPath"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    # The storyboard comes with the video and is served from the mirror's own URL.
    path = f"/api/v1/videos/{ids['uuid']}/storyboards"
    (board,) = mirror.client().get(path).json()["storyboards"]
    assert board == origin.client().get(path).json()["storyboards"][0]
    sprite = mirror.client().get(board["storagePath"])
    assert sprite.status_code == 200 and sprite.headers["Content-Type"] == "image/jpeg"
    assert sprite.content == origin.client().get(board["storagePath"]).content

    assert (
        alice.put(f"/api/v1/videos/{ids['uuid']}", json={"name": "Renamed cats"}).status_code == 204
    )
    settle(origin, mirror)
    assert mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["name"] == "Renamed cats"

    assert alice.put(f"/api/v1/videos/{ids['uuid']}", json={"privacy": 3}).status_code == 204
    settle(origin, mirror)
    assert mirror.client().get(f"/api/v1/videos/{ids['uuid']}").status_code == 404

    assert alice.put(f"/api/v1/videos/{ids['uuid']}", json={"privacy": 1}).status_code == 204
    settle(origin, mirror)
    assert mirror.client().get("/api/v1/videos").json()["total"] == 1

    assert alice.delete(f"/api/v1/videos/{ids['uuid']}").status_code == 204
    settle(origin, mirror)
    assert mirror.client().get("/api/v1/videos").json()["total"] == 0


def test_unlisted_videos_federate_unlisted_and_private_never_leave(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    unlisted = upload(alice, clip, name="Unlisted one", privacy=2)
    private = upload(alice, clip, name="Private one", privacy=3)
    settle(origin, mirror)
    assert mirror.client().get("/api/v1/videos").json()["total"] == 0
    got = mirror.client().get(f"/api/v1/videos/{unlisted['uuid']}")
    assert got.status_code == 200 and got.json()["privacy"]["id"] == 2
    assert mirror.client().get(f"/api/v1/videos/{private['uuid']}").status_code == 404
    with mirror.use():
        assert Video.select().count() == 1


def test_a_server_down_gets_its_backlog_when_it_returns(instances, clip):
    from models import utcnow
    from models.jobs import Job

    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    mirror.stop()
    ids = upload(alice, clip, name="While you were away")
    origin.run_jobs()
    with origin.use():
        waiting = list(Delivery.select().where(Delivery.state != "sent"))
        assert len(waiting) == 3  # Create and two Announces, one copy each to the shared inbox
        assert all(d.state == "pending" and d.attempts == 1 and d.last_error for d in waiting)
        assert all(d.next_at > utcnow() for d in waiting)  # backing off
        assert origin.run_jobs() == 0  # nothing due yet
        # time passes: the retries come due
        Delivery.update(next_at=utcnow()).execute()
        Job.update(run_at=utcnow()).where(Job.state == "pending").execute()
    back = LiveServer(mirror.settings, mirror.database, port=mirror.settings.port)
    try:
        settle(origin, back)
        with origin.use():
            assert {d.state for d in Delivery.select()} == {"sent"}
        got = back.client().get(f"/api/v1/videos/{ids['uuid']}")
        assert got.status_code == 200 and got.json()["name"] == "While you were away"
    finally:
        back.stop()


def test_a_follow_of_the_same_server_twice_changes_nothing(instances):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    follow_server(mirror, origin)
    with origin.use():
        assert Follow.select().where(Follow.state == FollowState.ACCEPTED).count() == 1
    with mirror.use():
        assert Follow.select().count() == 1


def make_user(server: LiveServer, name: str):
    with server.use():
        auth.create_user(server.settings, name, PASSWORD)
    client = server.client()
    client.token(name, PASSWORD)
    return client


def test_a_user_subscribes_to_a_remote_channel_and_gets_its_new_videos(instances, clip):
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    carol = make_user(home, "carol")
    handle = f"alice_channel@{origin.settings.host}"
    assert carol.post("/api/v1/users/me/subscriptions", json={"uri": handle}).status_code == 204
    settle(home, origin)
    subs = carol.get("/api/v1/users/me/subscriptions").json()
    assert subs["total"] == 1 and subs["data"][0]["host"] == origin.settings.host
    assert subs["data"][0]["isLocal"] is False
    assert carol.get("/api/v1/users/me/subscriptions/exist", params={"uris": handle}).json() == {
        handle: True
    }
    followers = origin.client().get(
        "/video-channels/alice_channel/followers", headers={"Accept": "application/activity+json"}
    )
    assert followers.json()["totalItems"] == 1

    upload(alice, clip, name="For my subscribers")
    settle(origin, home)
    feed = carol.get("/api/v1/users/me/subscriptions/videos").json()
    assert [v["name"] for v in feed["data"]] == ["For my subscribers"]
    told = carol.get("/api/v1/users/me/notifications").json()["data"]
    assert [(n["type"], n["video"]["name"]) for n in told] == [(1, "For my subscribers")]
    follows = alice.get("/api/v1/users/me/notifications").json()["data"]
    assert [n["actorFollow"]["follower"]["host"] for n in follows if n["type"] == 10] == [
        home.settings.host
    ]
    page = home.client()
    page.login("carol", PASSWORD)
    assert "For my subscribers" in page.get("/subscriptions").text

    assert carol.delete(f"/api/v1/users/me/subscriptions/{handle}").status_code == 204
    settle(home, origin)
    again = origin.client().get(
        "/video-channels/alice_channel/followers", headers={"Accept": "application/activity+json"}
    )
    assert again.json()["totalItems"] == 0


def test_subscribe_button_swaps_with_htmx(server, alice, other_user):
    bob = server.client()
    bob.login("bob", PASSWORD)
    page = bob.get("/c/alice_channel")
    assert ">Subscribe</button>" in page.text
    swapped = bob.post(
        "/c/alice_channel/subscribe", data={"_xsrf": bob.xsrf()}, headers={"HX-Request": "true"}
    )
    assert swapped.status_code == 200 and ">Subscribed</button>" in swapped.text
    assert "<html" not in swapped.text
    plain = bob.form("/c/alice_channel/subscribe", {"action": "unsubscribe"})
    assert plain.status_code == 303
    assert ">Subscribe</button>" in bob.get("/c/alice_channel").text


def test_search_finds_remote_channels_and_videos_by_handle_and_url(instances, clip):
    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Findable cats")
    origin.run_jobs()
    carol = make_user(home, "carol")
    # The API looks a handle up at once (off the IOLoop) for signed-in users.
    found = carol.get(
        "/api/v1/search/video-channels", params={"search": f"alice_channel@{origin.settings.host}"}
    ).json()
    assert found["total"] == 1 and found["data"][0]["name"] == "alice_channel"
    url = f"{origin.url}/videos/watch/{ids['uuid']}"
    videos = carol.get("/api/v1/search/videos", params={"search": url}).json()
    assert videos["total"] == 1 and videos["data"][0]["name"] == "Findable cats"
    local = home.client().get("/api/v1/search/videos", params={"search": "cats"}).json()
    assert local["total"] == 1  # the fetched remote video is searchable now


def test_search_page_looks_up_in_a_job_and_updates(instances, clip):
    origin, home = instances("origin"), instances("home")
    make_user(origin, "alice")
    make_user(home, "carol")
    browser = home.client()
    browser.login("carol", PASSWORD)
    handle = f"alice_channel@{origin.settings.host}"
    page = browser.get("/search", params={"q": handle})
    assert page.status_code == 200 and "Looking up" in page.text
    poll = page.text.split('hx-get="/search/lookup')[1].split('"')[0].replace("&amp;", "&")
    poll = "/search/lookup" + poll
    assert "Looking up" in browser.get(poll, headers={"HX-Request": "true"}).text
    home.run_jobs()
    done = browser.get(poll, headers={"HX-Request": "true"})
    assert "Looking up" not in done.text and "hx-trigger" not in done.text
    assert f"@alice_channel@{origin.settings.host}" in done.text


def test_three_servers_a_video_reaches_every_follower(instances, clip):
    origin, second, third = instances("origin"), instances("second"), instances("third")
    follow_server(second, origin)
    follow_server(third, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Everywhere")
    settle(origin, second, third)
    for server in (second, third):
        got = server.client().get(f"/api/v1/videos/{ids['uuid']}")
        assert got.status_code == 200 and got.json()["name"] == "Everywhere"
    with origin.use():
        # one copy per server, through shared inboxes
        assert Delivery.select().where(Delivery.state == "sent").count() >= 4


def test_manual_approval_of_server_followers_and_the_admin_page(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    origin.stop()
    strict = LiveServer(
        origin.settings.with_(followers_manual_approval=True),
        origin.database,
        port=origin.settings.port,
    )
    try:
        follow_server(mirror, strict)
        assert admin(mirror).get("/api/v1/server/following").json()["data"][0]["state"] == "pending"
        root = strict.client()
        root.login("root", PASSWORD)
        page = root.get("/admin/federation")
        assert page.status_code == 200 and "approved by an administrator" in page.text
        assert f"peertube@{mirror.settings.host}" in page.text and "pending" in page.text
        with strict.use():
            row = Follow.get()
        assert (
            root.form("/admin/federation", {"action": "accept", "follow": str(row.id)}).status_code
            == 303
        )
        settle(strict, mirror)
        assert (
            admin(mirror).get("/api/v1/server/following").json()["data"][0]["state"] == "accepted"
        )
        # the admin sees a server that does not receive, and why
        mirror.stop()
        alice = make_user(strict, "alice")
        upload(alice, clip, name="Nobody home")
        strict.run_jobs()
        page = root.get("/admin/federation")
        assert mirror.settings.host in page.text and "no answer" in page.text
    finally:
        strict.stop()


def test_an_admin_unfollows_a_server(instances):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    root = admin(mirror)
    assert root.delete(f"/api/v1/server/following/{origin.settings.host}").status_code == 204
    settle(mirror, origin)
    assert root.get("/api/v1/server/following").json()["total"] == 0
    assert origin.client().get("/api/v1/server/followers").json()["total"] == 0
    assert root.delete(f"/api/v1/server/following/{origin.settings.host}").status_code == 404


def test_profile_changes_reach_followers_of_the_account(instances, clip):
    origin, home = instances("origin"), instances("home")
    make_user(origin, "alice")
    carol = make_user(home, "carol")
    # carol follows alice's account (as Mastodon users do), via the search API's lookup
    with home.use():
        from app.federation import actors, remote
        from app.federation.publish import follow
        from models.accounts import Account

        target = remote.resolve_handle(home.settings, f"alice@{origin.settings.host}")
        me = actors.account_actor(Account.get(Account.name == "carol"))
        follow(home.settings, me, target)
    settle(home, origin)
    browser = origin.client()
    browser.login("alice", PASSWORD)
    saved = browser.form(
        "/settings",
        {"form": "profile", "display_name": "Alice Renamed", "description": "New bio", "email": ""},
    )
    assert saved.status_code == 200
    settle(origin, home)
    account = carol.get(f"/api/v1/accounts/alice@{origin.settings.host}").json()
    assert account["displayName"] == "Alice Renamed" and account["description"] == "New bio"


def test_home_page_shows_all_or_only_local_videos(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    upload(alice, clip, name="From far away")
    carol = make_user(mirror, "carol")
    upload(carol, clip, name="From right here")
    settle(origin, mirror)
    visitor = mirror.client()
    everything = visitor.get("/").text
    assert "From far away" in everything and "From right here" in everything
    local = visitor.get("/", params={"scope": "local"}).text
    assert "From right here" in local and "From far away" not in local


def test_stale_remote_videos_are_refreshed_and_kept_when_their_server_is_down(instances, clip):
    import datetime as dt

    from models import utcnow

    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Original title")
    settle(origin, mirror)
    with origin.use():  # changed at the origin without telling anyone
        Video.update(name="Quietly renamed", updated_at=utcnow()).execute()
    day_ago = utcnow() - dt.timedelta(days=2)
    with mirror.use():
        Video.update(fetched_at=day_ago).execute()
    viewer = mirror.client()
    assert viewer.get(f"/w/{ids['shortUUID']}").status_code == 200  # queues one refresh
    assert viewer.get(f"/w/{ids['shortUUID']}").status_code == 200  # not a second one
    assert mirror.run_jobs() == 1
    assert viewer.get(f"/api/v1/videos/{ids['uuid']}").json()["name"] == "Quietly renamed"

    origin.stop()
    with mirror.use():
        Video.update(fetched_at=day_ago).execute()
    viewer.get(f"/w/{ids['shortUUID']}")
    mirror.run_jobs()
    assert viewer.get(f"/api/v1/videos/{ids['uuid']}").json()["name"] == "Quietly renamed"


def test_channel_customization_reaches_other_servers(instances, clip):
    from tests.handlers.test_channels import png

    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    upload(alice, clip, name="Channel intro")
    settle(origin, mirror)
    changed = alice.put(
        "/api/v1/video-channels/alice_channel",
        json={
            "displayName": "Alice's Studio",
            "description": "Fresh look",
            "links": [{"label": "Site", "url": "https://alice.example"}],
        },
    )
    assert changed.status_code == 204
    picked = alice.post(
        "/api/v1/video-channels/alice_channel/avatar/pick",
        files={"avatarfile": ("a.png", png(200, 200), "image/png")},
    )
    assert picked.status_code == 200
    settle(origin, mirror)
    remote = mirror.client().get(f"/api/v1/video-channels/alice_channel@{origin.settings.host}")
    body = remote.json()
    assert body["displayName"] == "Alice's Studio" and body["description"] == "Fresh look"
    assert body["avatars"][0]["fileUrl"].startswith(origin.url)
    assert (
        "Alice&#39;s Studio" in mirror.client().get(f"/c/alice_channel@{origin.settings.host}").text
    )


def test_a_visitor_follows_a_channel_from_their_own_server(instances, clip):
    origin, home = instances("origin"), instances("home")
    make_user(origin, "alice")
    make_user(home, "carol")
    visitor = origin.client()  # carol, not signed in on origin
    page = visitor.get("/c/alice_channel")
    assert "Continue on my server" in page.text
    sent = visitor.form("/c/alice_channel/remote-follow", {"handle": f"carol@{home.settings.host}"})
    assert sent.status_code == 303
    target = sent.headers["Location"]
    assert target.startswith(f"{home.url}/remote-interaction?uri=alice_channel@")
    # on her own server, signed in, she lands on the channel, ready to subscribe
    browser = home.client()
    browser.login("carol", PASSWORD)
    landed = browser.get(target.replace(home.url, ""))
    assert landed.status_code == 303 and landed.headers["Location"].startswith("/search?q=")
    bad = visitor.form("/c/alice_channel/remote-follow", {"handle": "not-a-handle"})
    assert bad.status_code == 400 and "you@your.server" in bad.text


def test_hidden_back_catalogue_still_delivers_each_new_video_to_followers(instances, clip):
    import datetime as dt

    from models import utcnow

    origin, home = instances("origin"), instances("home")
    alice = make_user(origin, "alice")
    bob = make_user(origin, "bob")
    carol = make_user(home, "carol")
    old = upload(alice, clip, name="From the archive")
    origin.run_jobs()
    with origin.use():
        Video.update(published_at=utcnow() - dt.timedelta(days=60)).execute()
    assert (
        alice.put("/api/v1/video-channels/alice_channel", json={"hideCatalogue": True}).status_code
        == 204
    )
    assert (
        bob.post("/api/v1/users/me/subscriptions", json={"uri": "alice_channel"}).status_code == 204
    )
    handle = f"alice_channel@{origin.settings.host}"
    assert carol.post("/api/v1/users/me/subscriptions", json={"uri": handle}).status_code == 204
    settle(home, origin)
    visitor = origin.client()
    assert "From the archive" not in visitor.get("/c/alice_channel").text
    assert visitor.get("/api/v1/video-channels/alice_channel/videos").json()["total"] == 0
    assert visitor.get(f"/w/{old['shortUUID']}").status_code == 200  # a shared link still plays

    upload(alice, clip, name="Brand new")
    settle(origin, home)
    local = bob.get("/api/v1/users/me/subscriptions/videos").json()
    assert [v["name"] for v in local["data"]] == ["Brand new"]
    remote = carol.get("/api/v1/users/me/subscriptions/videos").json()
    assert [v["name"] for v in remote["data"]] == ["Brand new"]
    assert [
        v["name"] for v in visitor.get("/api/v1/video-channels/alice_channel/videos").json()["data"]
    ] == ["Brand new"]
    # a feed reader gets the new video too, and never the archive
    feed = visitor.get("/feeds/videos.xml", params={"videoChannelName": "alice_channel"}).text
    assert "Brand new" in feed and "From the archive" not in feed
