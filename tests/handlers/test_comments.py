"""Comments and ratings: PeerTube's REST API in its shapes, the watch page's comments
(with and without HTMX), notifications of comments and mentions, the comments feed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

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


# --- the watch page ----------------------------------------------------------------------

HTMX = {"HX-Request": "true"}


def text_of(html: str) -> str:
    """The page's words, without tags, whitespace folded (what a reader sees)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def watch(client, video: dict, **params) -> str:
    response = client.get(f"/w/{video['shortUUID']}", params=params)
    assert response.status_code == 200, response.text
    return response.text


def test_visitors_read_comments_with_markdown_and_mentions(alice_api, bob_api, anon, video):
    text = "So **good**, @alice! Ask @nobody@far.example <script>x</script>"
    root = bob_api.post(threads_url(video), json={"text": text}).json()["comment"]
    alice_api.post(comment_url(video, root["id"]), json={"text": "Thanks @bob"})
    page = watch(anon, video)
    assert "<strong>good</strong>" in page and "<script>x" not in page
    assert '<a class="mention" href="/a/alice">@alice</a>' in page
    assert '<a class="mention" href="/a/bob">@bob</a>' in page
    assert "@nobody@far.example" in text_of(page) and 'href="/a/nobody' not in page
    words = text_of(page)
    assert "Sign in to comment , or reply from your account on another server." in words
    assert "bob @bob@127.0.0.1" in words and "Thanks @bob" in words
    assert 'name="text"' not in page  # no comment form for visitors
    assert 'href="/a/bob"' in page and "Delete" not in words


def test_commenting_and_replying_without_javascript(alice, anon, video):
    posted = alice.form(f"/videos/{video['uuid']}/comments", {"text": "First *thoughts*"})
    assert posted.status_code == 303
    assert re.search(r"/w/\w+\?thread=(\d+)#comment-\1$", posted.headers["Location"])
    thread_id = int(posted.headers["Location"].rsplit("-", 1)[1])
    reply = alice.form(
        f"/videos/{video['uuid']}/comments", {"text": "A reply", "parent": str(thread_id)}
    )
    assert reply.status_code == 303
    page = watch(alice, video)
    assert "<em>thoughts</em>" in page and "A reply" in page
    assert page.index("First") < page.index("A reply")
    empty = alice.form(f"/videos/{video['uuid']}/comments", {"text": " "})
    assert empty.status_code == 400 and "A comment cannot be empty." in text_of(empty.text)
    assert anon.get(f"/api/v1/videos/{video['uuid']}/comment-threads").json()["total"] == 1


def test_commenting_with_htmx_answers_fragments(alice, video):
    path = f"/videos/{video['uuid']}/comments"
    made = alice.form(path, {"text": "Hello there"}, headers=HTMX)
    assert made.status_code == 200 and made.text.lstrip().startswith('<li class="thread"')
    assert 'id="comment-form-new"' in made.text and 'hx-swap-oob="true"' in made.text
    thread_id = int(re.search(r'id="thread-(\d+)"', made.text)[1])
    reply = alice.form(path, {"text": "Me again", "parent": str(thread_id)}, headers=HTMX)
    assert reply.text.lstrip().startswith("<li>") and "Me again" in reply.text
    assert f'id="reply-{thread_id}" hx-swap-oob="true"' in reply.text
    refused = alice.form(path, {"text": ""}, headers=HTMX)
    assert refused.headers["HX-Retarget"] == "#comment-error-new"
    assert refused.text == "A comment cannot be empty."


def test_long_threads_show_first_replies_and_load_the_rest(alice_api, bob_api, anon, video):
    root = bob_api.post(threads_url(video), json={"text": "Counting"}).json()["comment"]
    for n in range(5):
        alice_api.post(comment_url(video, root["id"]), json={"text": f"reply number {n}"})
    page = text_of(watch(anon, video))
    assert "reply number 2" in page and "reply number 3" not in page
    assert "Load more replies (2 more)" in page
    rest = anon.get(f"/videos/{video['uuid']}/comments/{root['id']}/replies", headers=HTMX)
    assert all(f"reply number {n}" in rest.text for n in range(5))
    assert "Load more replies" not in rest.text
    opened = text_of(watch(anon, video, thread=root["id"]))
    assert "reply number 4" in opened and "Load more replies" not in opened


def test_deleting_asks_first_and_only_for_those_allowed(alice, bob_api, server, video):
    root = bob_api.post(threads_url(video), json={"text": "Bob's words"}).json()["comment"]
    bob_api.post(comment_url(video, root["id"]), json={"text": "Bob again"})
    bob = server.client()
    bob.login("bob", PASSWORD)
    mine = alice.form(f"/videos/{video['uuid']}/comments", {"text": "Alice's words"})
    alice_id = mine.headers["Location"].rsplit("-", 1)[1]
    refused = bob.form(f"/videos/{video['uuid']}/comments/{alice_id}/delete", {"confirm": "yes"})
    assert refused.status_code == 403 and "Only its author" in refused.text
    path = f"/videos/{video['uuid']}/comments/{root['id']}/delete"
    asked = alice.form(path)  # the video's owner, from the page's button without JavaScript
    assert asked.status_code == 200 and "Delete this comment?" in asked.text
    done = alice.form(path, {"confirm": "yes"})
    assert done.status_code == 303
    page = text_of(watch(alice, video))
    assert "This comment was deleted." in page and "Bob's words" not in page
    assert "Bob again" in page
    gone = bob.form(
        f"/videos/{video['uuid']}/comments/{alice_id}/delete", {"confirm": "yes"}, headers=HTMX
    )
    assert gone.status_code == 403
    swapped = alice.form(
        f"/videos/{video['uuid']}/comments/{alice_id}/delete", {"confirm": "yes"}, headers=HTMX
    )
    assert "This comment was deleted." in swapped.text
    assert f'id="comment-{alice_id}"' in swapped.text


def test_editing_own_comment(alice, server, other_user, video):
    made = alice.form(f"/videos/{video['uuid']}/comments", {"text": "Typo hre"})
    cid = made.headers["Location"].rsplit("-", 1)[1]
    path = f"/videos/{video['uuid']}/comments/{cid}/edit"
    assert "Typo hre" in alice.get(path).text
    inline = alice.get(path, headers=HTMX).text
    assert inline.lstrip().startswith("<form") and f'id="comment-{cid}"' in inline
    assert alice.form(path, {"text": "Typo here"}).status_code == 303
    assert "Typo here" in watch(alice, video)
    bob = server.client()
    bob.login("bob", PASSWORD)
    assert bob.get(path).status_code == 403
    assert ">Edit<" not in watch(bob, video)


def test_comments_turned_off_show_no_form(alice, alice_api, video):
    alice_api.put(f"/api/v1/videos/{video['uuid']}", json={"commentsEnabled": False})
    page = watch(alice, video)
    assert "Comments are turned off for this video." in page and 'name="text"' not in page


def test_like_buttons_with_and_without_htmx(alice, anon, video):
    path = f"/videos/{video['uuid']}/rate"
    done = alice.form(path, {"rating": "like"})
    assert done.status_code == 303 and done.headers["Location"].endswith("#rating")
    page = watch(alice, video)
    assert re.search(r'value="none"\s+aria-pressed="true" class="button">Like <span', page)
    swapped = alice.form(path, {"rating": "dislike"}, headers=HTMX).text
    assert 'id="rating"' in swapped
    assert re.search(r'aria-pressed="true" class="button">Dislike <span class="count">1<', swapped)
    assert re.search(r'class="button">Like <span class="count">0<', swapped)
    assert "0 likes · 1 dislike" in text_of(watch(anon, video))
    assert alice.form(path, {"rating": "love"}).status_code == 400


def test_share_link_and_embed_start_at_a_moment(alice_api, anon, clip, run_jobs):
    ids = upload(alice_api, clip)
    run_jobs()
    page = watch(anon, ids, at="1", start="90")
    assert f'/w/{ids["shortUUID"]}?start=1m30s"' in page
    assert f"/videos/embed/{ids['uuid']}?start=1m30s" in page
    plain = watch(anon, ids, start="1m30s")  # a shared link opens the page
    assert "?start=" not in plain and "Share or embed" in plain
    part = anon.get(
        f"/videos/{ids['uuid']}/share", params={"at": "1", "start": "2m5s"}, headers=HTMX
    )
    assert part.text.lstrip().startswith('<div id="share-body">') and "?start=2m5s" in part.text


# --- notifications -------------------------------------------------------------------------


def kinds(client) -> list[int]:
    return [n["type"] for n in client.get("/api/v1/users/me/notifications").json()["data"]]


def test_comments_replies_and_mentions_are_notified(
    server, alice, alice_api, bob_api, admin_user, video
):
    root = server.client()
    root.token("root", PASSWORD)
    before = kinds(alice_api)
    made = bob_api.post(threads_url(video), json={"text": "Nice one @root"}).json()["comment"]
    assert kinds(alice_api) == [2, *before]  # a new comment on my video
    mention = root.get("/api/v1/users/me/notifications").json()["data"][0]
    assert mention["type"] == 11
    assert mention["comment"]["id"] == made["id"]
    assert mention["comment"]["account"]["name"] == "bob"
    assert mention["comment"]["video"]["uuid"] == video["uuid"]
    assert kinds(bob_api) == []

    alice_api.post(comment_url(video, made["id"]), json={"text": "Thanks!"})
    assert kinds(bob_api) == [2]  # a reply to my comment
    assert kinds(alice_api) == [2, *before]  # nothing for one's own comment
    page = text_of(alice.get("/notifications").text)
    assert "bob commented on your video “Cats over P2P”" in page
    assert "Someone mentioned me in a comment" in page  # the setting
    bob = server.client()
    bob.login("bob", PASSWORD)
    assert "alice replied to your comment on “Cats over P2P”" in text_of(
        bob.get("/notifications").text
    )
    assert "root mentioned" not in page
    assert "bob mentioned you in a comment" in text_of(_page_of(server, "root"))


def _page_of(server, username: str) -> str:
    client = server.client()
    client.login(username, PASSWORD)
    return client.get("/notifications").text


# --- the comments feed ---------------------------------------------------------------------

NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


def feed_items(client, **params) -> list:
    response = client.get("/feeds/video-comments.xml", params=params)
    assert response.status_code == 200, response.text
    return etree.fromstring(response.content).findall("channel/item")


def test_comments_feed_lists_comments_in_peertubes_shape(
    server, alice_api, bob_api, anon, clip, run_jobs
):
    ids = upload(alice_api, clip)
    other = upload(alice_api, clip, name="Another clip")
    run_jobs()
    assert feed_items(anon) == []
    root = bob_api.post(threads_url(ids), json={"text": "Lovely **sine**"}).json()["comment"]
    alice_api.post(comment_url(ids, root["id"]), json={"text": "@bob thanks!"})
    bob_api.post(threads_url(other), json={"text": "Elsewhere"})

    sample = etree.parse(FIXTURES / "feed-video-comments.rss.xml").find("channel/item")
    items = feed_items(anon)  # a new comment shows at once, past the feed cache
    assert len(items) == 3
    reply = items[1]
    assert {child.tag for child in reply} == {child.tag for child in sample}
    assert reply.findtext("title") == "Cats over P2P - alice"
    link = f"{server.url}/w/{ids['shortUUID']};threadId={root['id']}"
    assert reply.findtext("link") == link and reply.findtext("guid") == link
    assert reply.findtext("dc:creator", namespaces=NS) == "alice"
    first = items[2].findtext("content:encoded", namespaces=NS)
    assert "<strong>sine</strong>" in first
    one = feed_items(anon, videoId=ids["uuid"])
    assert [i.findtext("title") for i in one] == ["Cats over P2P - alice", "Cats over P2P - bob"]

    bob_api.delete(comment_url(other, 3))
    assert [i.findtext("title") for i in feed_items(anon, videoId=other["uuid"])] == []
    atom = anon.get("/feeds/video-comments.atom").text
    assert "Cats over P2P - bob" in atom
    assert len(anon.get("/feeds/video-comments.json").json()["items"]) == 2


def test_a_page_of_threads_costs_the_same_queries_for_one_thread_or_six(
    server, alice_api, anon, video
):
    """The REST list and the watch page read each page in a fixed number of queries,
    however many threads and replies it holds."""
    base = f"/api/v1/videos/{video['uuid']}"

    def thread_with_replies(text: str) -> None:
        thread = alice_api.post(f"{base}/comment-threads", json={"text": text}).json()["comment"]
        for r in range(4):  # more replies than the page shows under a thread
            alice_api.post(f"{base}/comments/{thread['id']}", json={"text": f"{text}, reply {r}"})

    thread_with_replies("first")
    queries: list[str] = []
    execute_sql = server.database.execute_sql

    def counting(sql, *args, **kwargs):
        queries.append(sql)
        return execute_sql(sql, *args, **kwargs)

    def cost(path: str) -> int:
        queries.clear()
        assert anon.get(path).status_code == 200
        return len(queries)

    server.database.execute_sql = counting
    try:
        before = (cost(f"{base}/comment-threads"), cost(f"/w/{video['shortUUID']}"))
        for n in range(5):
            thread_with_replies(f"thread {n}")
        after = (cost(f"{base}/comment-threads"), cost(f"/w/{video['shortUUID']}"))
    finally:
        server.database.execute_sql = execute_sql
    assert after == before, (before, after)
