"""Comments and ratings across servers: PeerTube's captured activities, a Mastodon-like
actor replying and rating, two Shoal servers commenting on each other's videos."""

from __future__ import annotations

import json

import pytest

from app.federation import actors, delivery, fetch, inbox, remote, social
from app.social import comments, ratings
from models.accounts import Account
from models.federation import InboxActivity
from models.jobs import Job
from models.social import Comment
from models.videos import Video
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import follow_server, make_user, settle
from tests.integration.test_inbox import PT, accepted, bob, captured, settings
from tests.stub_actor import StubActor

AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
__all__ = ["bob", "settings"]  # fixtures shared with test_inbox.py


def mastodon_reply(bob: StubActor, number: int, in_reply_to: str, html: str) -> dict:
    """A Create{Note} as Mastodon sends a reply: HTML content, its own to/cc, no mediaType."""
    note_id = f"{bob.actor_url}/statuses/{number}"
    note = {
        "id": note_id, "type": "Note", "summary": None, "inReplyTo": in_reply_to,
        "published": "2026-11-28T10:00:00Z", "url": f"{bob.url}/@bob/{number}",
        "attributedTo": bob.actor_url, "to": [PUBLIC], "cc": [f"{bob.actor_url}/followers"],
        "sensitive": False, "content": html, "contentMap": {"en": html}, "attachment": [],
        "tag": [],
    }  # fmt: skip
    return {
        "@context": [AS], "id": f"{note_id}/activity", "type": "Create", "actor": bob.actor_url,
        "published": note["published"], "to": note["to"], "cc": note["cc"], "object": note,
    }  # fmt: skip


def last_inbox_row(server) -> InboxActivity:
    with server.use():
        return InboxActivity.select().order_by(InboxActivity.id.desc()).first()


def test_peertube_comments_on_a_known_video_become_a_thread_and_a_reply(server, monkeypatch):
    monkeypatch.setattr(fetch, "fetch_json", lambda *a, **k: pytest.fail("no fetch expected"))
    settings = server.settings
    with server.use():
        for name in (
            "ap-person.accounts-alice",
            "ap-person.accounts-root",
            "ap-group.video-channels-alice_channel",
        ):
            remote.upsert_actor(settings, captured(name))
        for name in ("fed-04a", "fed-07a", "fed-07b", "fed-07c"):  # 07c repeats 07b
            inbox.apply(settings, captured(name))
        video = Video.get(Video.ap_id == captured("fed-04a")["object"]["id"])
        thread, reply = Comment.select().where(Comment.video == video).order_by(Comment.id)
        assert Comment.select().count() == 2
        assert thread.ap_id == captured("fed-07a")["object"]["id"] and thread.parent is None
        assert thread.account.name == "root" and thread.account.host == PT[7:]
        assert (reply.parent_id, reply.thread_id) == (thread.id, thread.id)
        assert reply.text == "@root thanks for watching!" and reply.account.name == "alice"
        # Deleted by its author: a tombstone under which nothing is lost.
        delete = {
            "type": "Delete", "id": f"{reply.ap_id}/delete",
            "actor": f"{PT}/accounts/alice", "object": reply.ap_id,
        }  # fmt: skip
        inbox.apply(settings, delete)
        assert Comment.get_by_id(reply.id).is_deleted
        # Root may not delete alice's... thread comment of his own, yes; alice's, no.
        thief = {**delete, "actor": f"{PT}/accounts/root", "object": thread.ap_id}
        inbox.apply(settings, thief)  # his own: fine
        assert Comment.get_by_id(thread.id).is_deleted


def test_a_mastodon_reply_is_a_comment_and_a_reply_to_it_reaches_mastodon(
    server, local_user, alice_api, clip, bob
):
    ids = upload(alice_api, clip, name="Otters")
    server.run_jobs()
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    html = (
        '<p><span class="h-card"><a href="http://x/@alice" class="u-url mention">'
        "@<span>alice</span></a></span> Lovely otters!</p><p>See "
        '<a href="https://example.org/otters/about" rel="nofollow"><span class="invisible">'
        'https://</span><span class="">example.org/otters/about</span></a></p>'
    )
    accepted(bob.post(f"{server.url}/inbox", mastodon_reply(bob, 1, video_url, html)))
    server.run_jobs()
    row = last_inbox_row(server)
    assert row.state == "done", row.error
    with server.use():
        (comment,) = Comment.select()
        assert comment.text == "@alice Lovely otters!\n\nSee https://example.org/otters/about"
        assert comment.ap_id == f"{bob.actor_url}/statuses/1" and comment.parent is None
        alice = Account.get(Account.name == "alice", Account.host == "")
        mine = comments.post(
            Video.get_by_id(comment.video_id), alice, "Thanks @bob!", parent=comment
        )
    server.run_jobs()
    (create,) = [r for r in bob.posts() if r.activity["type"] == "Create"]
    assert create.verified, create.error
    note = create.activity["object"]
    assert create.activity["actor"] == f"{server.url}/accounts/alice"
    assert note["inReplyTo"] == comment.ap_id and note["mediaType"] == "text/markdown"
    assert note["id"] == f"{video_url}/comments/{mine.id}" and note["content"] == "Thanks @bob!"
    assert note["attributedTo"] == f"{server.url}/accounts/alice"
    # The Note answers at its URL, as ActivityPub and as a page.
    ap = {"Accept": "application/activity+json"}
    served = server.client().get(note["id"], headers=ap)
    assert served.status_code == 200 and served.json()["id"] == note["id"]
    page = server.client().get(note["id"], follow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"].endswith(f"#comment-{mine.id}")
    # Deleted: a Delete with a Tombstone reaches Mastodon, and the URL serves the Tombstone.
    with server.use():
        comments.delete(Comment.get_by_id(mine.id))
    server.run_jobs()
    (delete,) = [r for r in bob.posts() if r.activity["type"] == "Delete"]
    assert delete.verified and delete.activity["object"] == {
        "id": note["id"],
        "type": "Tombstone",
        "formerType": "Note",
    }
    tombstone = server.client().get(note["id"], headers=ap).json()
    assert (tombstone["type"], tombstone["formerType"]) == ("Tombstone", "Note")


def test_bad_notes_are_refused_with_their_reason(server, local_user, alice_api, clip, bob):
    ids = upload(alice_api, clip, name="Quiet")
    server.run_jobs()
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    forged = mastodon_reply(bob, 2, video_url, "<p>hi</p>")
    forged["object"]["attributedTo"] = f"{server.url}/accounts/alice"
    accepted(bob.post(f"{server.url}/inbox", forged))
    server.run_jobs()
    row = last_inbox_row(server)
    assert row.state == "failed" and "attributedTo" in row.error
    empty = mastodon_reply(bob, 3, video_url, "<p> </p>")
    accepted(bob.post(f"{server.url}/inbox", empty))
    server.run_jobs()
    assert "cannot be empty" in last_inbox_row(server).error
    alice_api.put(f"/api/v1/videos/{ids['uuid']}", json={"commentsEnabled": False})
    accepted(bob.post(f"{server.url}/inbox", mastodon_reply(bob, 4, video_url, "<p>hey</p>")))
    server.run_jobs()
    assert "turned off" in last_inbox_row(server).error
    with server.use():
        assert Comment.select().count() == 0


def test_likes_dislikes_and_undo_from_another_server_are_counted_once(
    server, local_user, alice_api, clip, bob
):
    ids = upload(alice_api, clip, name="Rated")
    server.run_jobs()
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    like = {"@context": AS, "id": f"{bob.actor_url}#likes/1", "type": "Like",
            "actor": bob.actor_url, "object": video_url}  # fmt: skip
    for activity in (like, like):  # the same Like twice counts once
        accepted(bob.post(f"{server.url}/inbox", activity))
        server.run_jobs()
    details = server.client().get(f"/api/v1/videos/{ids['uuid']}").json()
    assert (details["likes"], details["dislikes"]) == (1, 0)
    dislike = {**like, "id": f"{bob.actor_url}#dislikes/1", "type": "Dislike"}
    accepted(bob.post(f"{server.url}/inbox", dislike))
    server.run_jobs()
    details = server.client().get(f"/api/v1/videos/{ids['uuid']}").json()
    assert (details["likes"], details["dislikes"]) == (0, 1)
    inner = {k: v for k, v in dislike.items() if k != "@context"}
    undo = {"@context": AS, "id": f"{bob.actor_url}#undo/1", "type": "Undo",
            "actor": bob.actor_url, "object": inner}  # fmt: skip
    accepted(bob.post(f"{server.url}/inbox", undo))
    server.run_jobs()
    details = server.client().get(f"/api/v1/videos/{ids['uuid']}").json()
    assert (details["likes"], details["dislikes"]) == (0, 0)
    with server.use():  # three changes, one Update{Video} waiting for the window to end
        pending = Job.select().where(Job.kind == social.COUNTS_JOB, Job.state == "pending")
        assert pending.count() == 1
        assert json.loads(pending.get().payload) == {"video_id": ids["id"]}


def test_two_shoal_servers_comment_reply_and_like_each_others_videos(instances, clip):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    make_user(mirror, "carol")
    ids = upload(alice, clip, name="Across")
    settle(origin, mirror)
    with mirror.use():
        video = Video.get(Video.uuid == ids["uuid"])
        carol = Account.get(Account.name == "carol", Account.host == "")
        first = comments.post(video, carol, "Hello from the mirror, @alice@" + origin.settings.host)
        ratings.rate(video, carol, "like")
    settle(origin, mirror)
    with origin.use():
        (received,) = Comment.select()
        assert received.text.startswith("Hello from the mirror")
        assert received.account.host == mirror.settings.host
        assert Video.get(Video.uuid == ids["uuid"]).likes == 1
        alice_account = Account.get(Account.name == "alice", Account.host == "")
        answer = comments.post(
            Video.get(Video.uuid == ids["uuid"]), alice_account, "Hi carol!", parent=received
        )
    settle(origin, mirror)
    with mirror.use():
        reply = Comment.get(Comment.text == "Hi carol!")
        assert reply.parent_id == first.id and reply.account.host == origin.settings.host
        comments.delete(Comment.get_by_id(first.id))
    settle(origin, mirror)
    with origin.use():
        assert Comment.get_by_id(received.id).is_deleted
        assert not Comment.get_by_id(answer.id).is_deleted


def test_views_on_a_mirror_reach_the_origin_and_come_back_in_one_update(
    instances, clip, monkeypatch
):
    monkeypatch.setattr(social, "COUNTS_WINDOW", 0)  # the Update goes out at once here
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Watched")
    settle(origin, mirror)
    viewers = [mirror.client() for _ in range(3)]
    for client in viewers * 2:  # all from one address: counted once per hour
        assert client.post(f"/api/v1/videos/{ids['uuid']}/views").status_code == 204
    counter = mirror.app.settings["view_counter"]
    with mirror.use():
        assert counter.flush() and Video.get(Video.uuid == ids["uuid"]).views == 1
        assert counter.flush() == {}  # nothing new: no write
    settle(mirror, origin)
    with origin.use():
        assert Video.get(Video.uuid == ids["uuid"]).views == 1
        updates = Job.select().where(Job.kind == social.COUNTS_JOB)
        assert updates.count() <= 1
    settle(origin, mirror)
    assert mirror.client().get(f"/api/v1/videos/{ids['uuid']}").json()["views"] == 1


def test_the_origin_forwards_a_mastodon_comment_and_followers_check_it_with_its_author(
    instances, clip, bob
):
    origin, mirror = instances("origin"), instances("mirror")
    follow_server(mirror, origin)
    alice = make_user(origin, "alice")
    ids = upload(alice, clip, name="Forwarded")
    settle(origin, mirror)
    video_url = f"{origin.url}/videos/watch/{ids['uuid']}"
    create = mastodon_reply(bob, 7, video_url, "<p>Forward me</p>")
    bob.serve("/users/bob/statuses/7", {"@context": [AS], **create["object"]})
    accepted(bob.post(f"{origin.url}/inbox", create))
    settle(origin, mirror)
    with mirror.use():
        (comment,) = Comment.select()
        assert comment.text == "Forward me" and comment.ap_id == create["object"]["id"]
        row = InboxActivity.get(InboxActivity.ap_id == create["id"])
        assert row.state == "done" and json.loads(row.body)["object"] == comment.ap_id
    assert "/users/bob/statuses/7" in bob.fetches  # what the mirror trusted

    # A forwarded Create naming a Note its author's server does not have is not applied.
    lie = mastodon_reply(bob, 8, video_url, "<p>Never said</p>")
    with origin.use():
        delivery.queue_activity(actors.server_actor(), lie, {f"{mirror.url}/inbox"})
    settle(origin, mirror)
    with mirror.use():
        assert Comment.select().count() == 1
        failed = InboxActivity.get(InboxActivity.ap_id == lie["id"])
        assert failed.state == "failed" and "404" in failed.error


def test_a_boost_of_a_local_video_is_a_share_in_its_collection_until_undone(
    server, local_user, alice_api, clip, bob
):
    ids = upload(alice_api, clip, name="Boosted")
    server.run_jobs()
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    boost = {"@context": AS, "id": f"{bob.actor_url}/statuses/9/activity", "type": "Announce",
             "actor": bob.actor_url, "object": video_url, "to": [PUBLIC]}  # fmt: skip
    for _ in range(2):  # delivered twice, counted once
        accepted(bob.post(f"{server.url}/inbox", boost))
        server.run_jobs()

    def shares() -> list[str]:
        ap = {"Accept": "application/activity+json"}
        head = server.client().get(f"{video_url}/announces", headers=ap).json()
        page = server.client().get(f"{video_url}/announces?page=1", headers=ap).json()
        assert head["totalItems"] == len(page["orderedItems"])
        return page["orderedItems"]

    assert boost["id"] in shares() and len(shares()) == 3  # with the channel's and server's
    inner = {k: v for k, v in boost.items() if k != "@context"}
    undo = {"@context": AS, "id": f"{boost['id']}/undo", "type": "Undo",
            "actor": bob.actor_url, "object": inner}  # fmt: skip
    accepted(bob.post(f"{server.url}/inbox", undo))
    server.run_jobs()
    assert boost["id"] not in shares() and len(shares()) == 2
