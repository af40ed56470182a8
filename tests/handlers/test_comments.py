"""Comments and ratings: PeerTube's REST API in its shapes, the watch page's comments
(with and without HTMX), notifications of comments and mentions, the comments feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def keys(obj: dict) -> set[str]:
    return set(obj)


@pytest.fixture
def bob_api(server, other_user):
    """An API client with bob's Bearer token."""
    client = server.client()
    client.token("bob", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def video(alice_api, clip) -> dict:
    """alice's video (ids), uploaded; comments do not wait for transcoding."""
    return upload(alice_api, clip, name="Cats over P2P")


def threads_url(video: dict) -> str:
    return f"/api/v1/videos/{video['uuid']}/comment-threads"


def comment_url(video: dict, comment_id: int) -> str:
    return f"/api/v1/videos/{video['uuid']}/comments/{comment_id}"


# --- the REST API -----------------------------------------------------------------------


def test_thread_and_reply_answer_peertube_shapes(alice_api, bob_api, anon, video):
    made = bob_api.post(threads_url(video), json={"text": "Lovely **sine** tone @alice"})
    assert made.status_code == 200, made.text
    comment = made.json()["comment"]
    expected = fixture("rest-video-comment-threads.create.response.json")["comment"]
    assert keys(comment) == keys(expected)
    assert keys(comment["account"]) == keys(expected["account"])
    assert comment["text"] == "Lovely **sine** tone @alice"
    assert comment["threadId"] == comment["id"] and comment["inReplyToCommentId"] is None
    assert comment["url"].endswith(f"/videos/watch/{video['uuid']}/comments/{comment['id']}")
    assert comment["account"]["name"] == "bob"

    reply = alice_api.post(comment_url(video, comment["id"]), json={"text": "@bob thanks!"})
    assert reply.status_code == 200, reply.text
    answer = reply.json()["comment"]
    assert keys(answer) == keys(fixture("rest-video-comments.reply.response.json")["comment"])
    assert answer["threadId"] == comment["id"] and answer["inReplyToCommentId"] == comment["id"]

    listed = anon.get(threads_url(video)).json()
    assert keys(listed) == keys(fixture("rest-video-comment-threads-list.json"))
    assert listed["total"] == 1 and listed["totalNotDeletedComments"] == 2
    (first,) = listed["data"]
    assert first["totalReplies"] == 1 and first["totalRepliesFromVideoAuthor"] == 1

    tree = anon.get(f"{threads_url(video)}/{comment['id']}").json()
    shape = fixture("rest-video-comment-thread-get.json")
    assert keys(tree) == keys(shape) and keys(tree["comment"]) == keys(shape["comment"])
    assert [c["comment"]["text"] for c in tree["children"]] == ["@bob thanks!"]
    assert tree["children"][0]["children"] == []


def test_threads_page_and_sort(bob_api, anon, video):
    ids = [
        bob_api.post(threads_url(video), json={"text": f"number {n}"}).json()["comment"]["id"]
        for n in range(3)
    ]
    bob_api.post(comment_url(video, ids[0]), json={"text": "a reply"})
    newest = anon.get(threads_url(video), params={"count": 2}).json()
    assert newest["total"] == 3
    assert [c["text"] for c in newest["data"]] == ["number 2", "number 1"]
    oldest = anon.get(threads_url(video), params={"sort": "createdAt"}).json()
    assert [c["text"] for c in oldest["data"]] == ["number 0", "number 1", "number 2"]
    busiest = anon.get(threads_url(video), params={"sort": "-totalReplies"}).json()
    assert busiest["data"][0]["text"] == "number 0"
    bad = anon.get(threads_url(video), params={"sort": "name"})
    assert bad.status_code == 400 and "sort" in bad.json()["invalid-params"]


def test_deleted_comment_shows_as_peertube_shows_it(alice_api, bob_api, anon, video):
    root = bob_api.post(threads_url(video), json={"text": "first"}).json()["comment"]
    alice_api.post(comment_url(video, root["id"]), json={"text": "a reply"})
    assert bob_api.delete(comment_url(video, root["id"])).status_code == 204
    (gone,) = anon.get(threads_url(video)).json()["data"]
    assert gone["isDeleted"] is True and gone["text"] == "" and gone["account"] is None
    assert gone["deletedAt"] is not None
    again = bob_api.delete(comment_url(video, root["id"]))
    assert again.status_code == 409
    listed = anon.get(threads_url(video)).json()
    assert listed["totalNotDeletedComments"] == 1


def test_only_author_owner_or_moderator_may_delete(server, alice_api, bob_api, video):
    mine = alice_api.post(threads_url(video), json={"text": "by the owner"}).json()["comment"]
    refused = bob_api.delete(comment_url(video, mine["id"]))
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Cannot remove video comment of another user"
    theirs = bob_api.post(threads_url(video), json={"text": "by bob"}).json()["comment"]
    assert alice_api.delete(comment_url(video, theirs["id"])).status_code == 204  # video owner


def test_bad_comments_are_refused_and_nothing_is_written(
    server, alice_api, bob_api, anon, video, clip
):
    empty = bob_api.post(threads_url(video), json={"text": "   "})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    assert empty.headers["Content-Type"].startswith("application/problem+json")
    long = bob_api.post(threads_url(video), json={"text": "x" * 10_001})
    assert long.status_code == 400 and "10,000" in long.json()["detail"]
    other = upload(alice_api, clip, name="Another")
    elsewhere = bob_api.post(threads_url(other), json={"text": "ok"}).json()["comment"]
    crossed = bob_api.post(comment_url(video, elsewhere["id"]), json={"text": "reply"})
    assert crossed.status_code == 400 and "not associated" in crossed.json()["detail"]
    assert bob_api.post(comment_url(video, 999999), json={"text": "x"}).status_code == 404
    xsrf = {"X-XSRFToken": anon.xsrf()}
    assert anon.post(threads_url(video), json={"text": "hi"}, headers=xsrf).status_code == 401
    gone = "/api/v1/videos/00000000-0000-4000-8000-000000000000/comment-threads"
    assert bob_api.post(gone, json={"text": "x"}).status_code == 404
    assert anon.get(f"{threads_url(video)}/999999").status_code == 404
    private = upload(alice_api, clip, name="Private", privacy=3)
    assert bob_api.post(threads_url(private), json={"text": "x"}).status_code == 404

    alice_api.put(f"/api/v1/videos/{video['uuid']}", json={"commentsEnabled": False})
    off = bob_api.post(threads_url(video), json={"text": "hello"})
    assert off.status_code == 403 and "turned off" in off.json()["detail"]
    assert anon.get(threads_url(video)).json() == {
        "total": 0,
        "data": [],
        "totalNotDeletedComments": 0,
    }
    alice_api.put(f"/api/v1/videos/{video['uuid']}", json={"commentsEnabled": True})
    assert anon.get(threads_url(video)).json()["totalNotDeletedComments"] == 0
    assert anon.get(threads_url(other)).json()["total"] == 1


def test_rating_a_video_counts_on_the_video(alice_api, bob_api, anon, video):
    rate = f"/api/v1/videos/{video['uuid']}/rate"
    mine = f"/api/v1/users/me/videos/{video['uuid']}/rating"
    assert bob_api.get(mine).json() == {"videoId": video["id"], "rating": "none"}
    assert bob_api.put(rate, json={"rating": "like"}).status_code == 204
    assert alice_api.put(rate, json={"rating": "dislike"}).status_code == 204
    shown = anon.get(f"/api/v1/videos/{video['uuid']}").json()
    assert (shown["likes"], shown["dislikes"]) == (1, 1)
    assert bob_api.get(mine).json()["rating"] == "like"
    bob_api.put(rate, json={"rating": "none"})
    assert anon.get(f"/api/v1/videos/{video['uuid']}").json()["likes"] == 0
    bad = bob_api.put(rate, json={"rating": "love"})
    assert bad.status_code == 400 and "rating" in bad.json()["invalid-params"]
    xsrf = {"X-XSRFToken": anon.xsrf()}
    assert anon.put(rate, json={"rating": "like"}, headers=xsrf).status_code == 401
    assert anon.get(mine).status_code == 401
