"""Reports (abuses): PeerTube's /api/v1/abuses as a PeerTube client uses it, the
notifications around them, and the report forms and moderators' pages."""

from __future__ import annotations

import pytest

from models.abuses import Abuse, AbuseMessage
from tests.conftest import PASSWORD
from tests.handlers.test_api_videos import upload

ADMIN_KEYS = {
    "id", "reason", "predefinedReasons", "flaggedAccount", "state", "countMessages",
    "createdAt", "updatedAt", "video", "comment", "moderationComment", "reporterAccount",
    "countReportsForReporter", "countReportsForReportee",
}  # fmt: skip
VIDEO_KEYS = {
    "id", "uuid", "name", "nsfw", "startAt", "endAt", "deleted", "blacklisted",
    "thumbnailPath", "channel", "countReports", "nthReport",
}  # fmt: skip


@pytest.fixture
def bob_api(server, other_user):
    """An API client with bob's Bearer token (bob reports alice's things)."""
    client = server.client()
    client.token("bob", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def root_api(server, admin_user):
    """An API client with the administrator's Bearer token."""
    client = server.client()
    client.token("root", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def video(alice_api, clip) -> dict:
    """alice's public video (ids)."""
    return upload(alice_api, clip, name="Loud otters")


def report(client, **body) -> dict:
    response = client.post("/api/v1/abuses", json=body)
    assert response.status_code == 200, response.text
    return response.json()["abuse"]


def test_a_video_report_reaches_moderators_in_peertubes_shape(bob_api, root_api, video):
    made = report(
        bob_api,
        reason="Shouting at **3:00** and after",
        predefinedReasons=["hatefulOrAbusive", "captions"],
        video={"id": video["uuid"], "startAt": 180, "endAt": 200},
    )
    assert set(made) == {"id"}
    listed = root_api.get("/api/v1/abuses").json()
    assert listed["total"] == 1
    (abuse,) = listed["data"]
    assert set(abuse) == ADMIN_KEYS
    assert abuse["id"] == made["id"] and abuse["reason"] == "Shouting at **3:00** and after"
    assert abuse["predefinedReasons"] == ["hatefulOrAbusive", "captions"]
    assert abuse["state"] == {"id": 1, "label": "Pending"}
    assert set(abuse["video"]) == VIDEO_KEYS
    assert abuse["video"]["uuid"] == video["uuid"] and abuse["video"]["name"] == "Loud otters"
    assert (abuse["video"]["startAt"], abuse["video"]["endAt"]) == (180, 200)
    assert (abuse["video"]["countReports"], abuse["video"]["nthReport"]) == (1, 1)
    assert abuse["video"]["channel"]["name"] == "alice_channel"
    assert abuse["comment"] is None and abuse["moderationComment"] is None
    assert abuse["reporterAccount"]["name"] == "bob"
    assert abuse["flaggedAccount"]["name"] == "alice"
    assert (abuse["countReportsForReporter"], abuse["countReportsForReportee"]) == (1, 1)
    # PeerTube's filters
    for query, total in (
        ({"state": 1}, 1), ({"state": 3}, 0), ({"filter": "video"}, 1),
        ({"filter": "comment"}, 0), ({"predefinedReason": "captions"}, 1),
        ({"predefinedReason": "privacy"}, 0), ({"searchVideo": "otters"}, 1),
        ({"searchReporter": "bo"}, 1), ({"searchReportee": "bob"}, 0),
        ({"searchVideoChannel": "alice"}, 1), ({"search": "shouting"}, 1),
        ({"id": made["id"]}, 1), ({"videoIs": "deleted"}, 0),
    ):  # fmt: skip
        assert root_api.get("/api/v1/abuses", params=query).json()["total"] == total, query
    # Not for plain users
    refused = bob_api.get("/api/v1/abuses")
    assert refused.status_code == 403 and "does not have right" in refused.json()["detail"]


def test_comments_and_accounts_are_reported_too(server, alice_api, bob_api, root_api, video):
    comment = alice_api.post(
        f"/api/v1/videos/{video['uuid']}/comment-threads", json={"text": "Buy cheap otters"}
    ).json()["comment"]
    report(bob_api, reason="Spam", predefinedReasons=["spamOrMisleading"],
           comment={"id": comment["id"]})  # fmt: skip
    alice_id = alice_api.get("/api/v1/users/me").json()["account"]["id"]
    report(bob_api, reason="Spams everywhere", account={"id": alice_id})
    data = root_api.get("/api/v1/abuses", params={"sort": "createdAt"}).json()["data"]
    on_comment, on_account = data
    assert on_comment["comment"] == {
        "id": comment["id"], "threadId": comment["id"], "text": "Buy cheap otters",
        "deleted": False, "video": {"id": video["id"], "name": "Loud otters",
                                    "uuid": video["uuid"]},
    }  # fmt: skip
    assert on_comment["video"] is None and on_comment["flaggedAccount"]["name"] == "alice"
    assert on_account["video"] is None and on_account["comment"] is None
    assert on_account["flaggedAccount"]["id"] == alice_id
    assert on_account["countReportsForReportee"] == 2
    assert root_api.get("/api/v1/abuses", params={"filter": "account"}).json()["total"] == 1


def test_moderators_decide_note_and_talk_with_the_reporter(server, bob_api, root_api, video):
    made = report(bob_api, reason="Not otters at all", video={"id": video["id"]})
    url = f"/api/v1/abuses/{made['id']}"
    # bob sees his report, without the moderators' note
    mine = bob_api.get("/api/v1/users/me/abuses").json()
    assert mine["total"] == 1 and "moderationComment" not in mine["data"][0]
    assert mine["data"][0]["video"]["uuid"] == video["uuid"]
    assert bob_api.put(url, json={"state": 3}).status_code == 403
    assert root_api.put(url, json={"state": 3, "moderationComment": "Seen it"}).status_code == 204
    abuse = root_api.get("/api/v1/abuses").json()["data"][0]
    assert abuse["state"] == {"id": 3, "label": "Accepted"}
    assert abuse["moderationComment"] == "Seen it"
    assert bob_api.get("/api/v1/users/me/abuses").json()["data"][0]["state"]["id"] == 3
    # the thread
    asked = root_api.post(f"{url}/messages", json={"message": "Which minute?"})
    assert asked.status_code == 200 and set(asked.json()["abuseMessage"]) == {"id"}
    assert bob_api.post(f"{url}/messages", json={"message": "Minute 3"}).status_code == 200
    thread = bob_api.get(f"{url}/messages").json()
    assert thread["total"] == 2
    first, second = thread["data"]
    assert set(first) == {"id", "createdAt", "byModerator", "message", "account"}
    assert (first["message"], first["byModerator"], first["account"]["name"]) == (
        "Which minute?", True, "root",
    )  # fmt: skip
    assert (second["byModerator"], second["account"]["name"]) == (False, "bob")
    assert bob_api.get("/api/v1/users/me/abuses").json()["data"][0]["countMessages"] == 2
    # someone else's thread is not for alice
    alice = server.client()
    alice.token("alice", PASSWORD)
    assert alice.get(f"{url}/messages").status_code == 403
    # bob deletes his message, not root's
    assert bob_api.delete(f"{url}/messages/{first['id']}").status_code == 403
    assert bob_api.delete(f"{url}/messages/{second['id']}").status_code == 204
    assert bob_api.get(f"{url}/messages").json()["total"] == 1
    # deleted by a moderator: gone for both
    assert bob_api.delete(url).status_code == 403
    assert root_api.delete(url).status_code == 204
    assert root_api.get("/api/v1/abuses").json()["total"] == 0
    assert bob_api.get("/api/v1/users/me/abuses").json()["total"] == 0
    assert root_api.delete(url).status_code == 404


def test_bad_reports_are_refused_and_nothing_is_stored(server, alice_api, bob_api, anon, clip):
    public = upload(alice_api, clip, name="Public")
    private = upload(alice_api, clip, name="Secret", privacy=3)
    good = {"reason": "A good reason", "video": {"id": public["uuid"]}}

    def refused(body: dict, status: int, field: str | None = None) -> dict:
        response = bob_api.post("/api/v1/abuses", json=body)
        assert response.status_code == status, response.text
        problem = response.json()
        assert problem["status"] == status and problem["detail"]
        if field:
            assert field in problem["invalid-params"], problem
        return problem

    refused({**good, "reason": ""}, 400, "reason")
    refused({**good, "reason": " x "}, 400, "reason")
    too_long = refused({**good, "reason": "x" * 3001}, 400, "reason")
    assert "3,001" in too_long["invalid-params"]["reason"]["msg"]
    refused({**good, "predefinedReasons": ["spam"]}, 400, "predefinedReasons")
    refused({**good, "video": {"id": public["uuid"], "startAt": 20, "endAt": 10}}, 400,
            "video.endAt")  # fmt: skip
    refused({**good, "video": {"id": public["uuid"], "endAt": 10}}, 400, "video.endAt")
    refused({**good, "video": {"id": public["uuid"], "startAt": -1}}, 400, "video.startAt")
    assert refused({**good, "video": {"id": 99999}}, 404)["detail"] == "Video not found"
    assert refused({**good, "video": {"id": private["uuid"]}}, 404)["detail"] == "Video not found"
    refused({"reason": "A good reason", "comment": {"id": 424242}}, 404)
    refused({"reason": "A good reason", "account": {"id": 424242}}, 404)
    refused({"reason": "A good reason"}, 400)
    assert anon.post("/api/v1/abuses", json=good).status_code in (401, 403)  # xsrf first
    with server.use():
        assert Abuse.select().count() == 0
    # alice may report her own private video's... she may see it, so it is accepted
    assert (
        alice_api.post(
            "/api/v1/abuses", json={**good, "video": {"id": private["uuid"]}}
        ).status_code
        == 200
    )


def test_notifications_for_moderators_and_the_reporter(server, bob_api, root_api, video):
    made = report(bob_api, reason="Otter abuse", video={"id": video["id"]})

    def notes(client) -> list[dict]:
        return client.get("/api/v1/users/me/notifications").json()["data"]

    (new,) = [n for n in notes(root_api) if n["type"] == 3]
    assert new["abuse"]["id"] == made["id"] and new["abuse"]["state"] == 1
    assert new["abuse"]["video"]["uuid"] == video["uuid"]
    assert root_api.put(f"/api/v1/abuses/{made['id']}", json={"state": 2}).status_code == 204
    (changed,) = [n for n in notes(bob_api) if n["type"] == 15]
    assert changed["abuse"] == {**changed["abuse"], "id": made["id"], "state": 2}
    root_api.post(f"/api/v1/abuses/{made['id']}/messages", json={"message": "Why so?"})
    (message,) = [n for n in notes(bob_api) if n["type"] == 16]
    assert message["abuse"]["id"] == made["id"]
    bob_api.post(f"/api/v1/abuses/{made['id']}/messages", json={"message": "Because"})
    assert [n["type"] for n in notes(root_api)].count(16) == 1
    with server.use():
        assert AbuseMessage.select().count() == 2


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def bob_web(server, other_user):
    """A browser-like client signed in as bob."""
    client = server.client()
    client.login("bob", PASSWORD)
    yield client
    client.close()


@pytest.fixture
def root_web(server, admin_user):
    """A browser-like client signed in as the administrator."""
    client = server.client()
    client.login("root", PASSWORD)
    yield client
    client.close()


def test_reporting_a_video_from_its_page_with_and_without_javascript(server, bob_web, video):
    watch = bob_web.get(f"/w/{video['shortUUID']}").text
    assert f'href="/report?video={video["uuid"]}"' in watch
    form = bob_web.get(f"/report?video={video['uuid']}").text
    assert "Report this video" in form and "Hateful or abusive" in form
    url = f"/report?video={video['uuid']}"
    empty = bob_web.form(url, {"reason": "", "predefinedReasons": "privacy"})
    assert empty.status_code == 400 and "The reason cannot be empty." in empty.text
    assert 'value="privacy" checked' in empty.text  # what was chosen stays chosen
    backwards = bob_web.form(url, {"reason": "Loud", "startAt": "30", "endAt": "10"})
    assert backwards.status_code == 400 and "startAt timestamp beginning before endAt" in (
        backwards.text
    )
    with server.use():
        assert Abuse.select().count() == 0
    sent = bob_web.form(url, {"reason": "Far too loud", "predefinedReasons": "privacy",
                              "startAt": "1", "endAt": "2"})  # fmt: skip
    assert sent.status_code == 303 and sent.headers["Location"] == "/my-abuses"
    mine = bob_web.get("/my-abuses").text
    assert "Report #1" in mine and "Loud otters" in mine and "Pending" in mine
    htmx = bob_web.form(url, {"reason": "Again, loud"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and "the moderators have your report" in htmx.text
    assert "<html" not in htmx.text
    with server.use():
        assert Abuse.select().count() == 2


def test_moderators_page_decides_talks_and_acts(server, alice_api, bob_api, bob_web, root_web,
                                                video):  # fmt: skip
    comment = alice_api.post(
        f"/api/v1/videos/{video['uuid']}/comment-threads", json={"text": "Buy cheap otters"}
    ).json()["comment"]
    assert f'href="/report?comment={comment["id"]}"' in bob_web.get(f"/w/{video['shortUUID']}").text
    sent = bob_web.form(f"/report?comment={comment['id']}", {"reason": "Spam comment"})
    assert sent.status_code == 303
    page = root_web.get("/admin/abuses?state=1").text
    assert "Report #1" in page and "Buy cheap otters" in page and "Spam comment" in page
    assert "Delete the comment" in page
    assert bob_web.get("/admin/abuses").status_code == 403
    # a note and a decision
    decided = root_web.form("/admin/abuses/1", {"moderationComment": "Clear spam", "state": "3"})
    assert decided.status_code == 303
    one = root_web.get("/admin/abuses/1").text
    assert "Accepted" in one and "Clear spam" in one
    assert "Report #1" not in root_web.get("/admin/abuses?state=1").text
    # the thread, both ways
    assert (
        root_web.form("/admin/abuses/1/messages", {"message": "Thanks, removed"}).status_code == 303
    )
    mine = bob_web.get("/my-abuses").text
    assert "Thanks, removed" in mine and "Accepted" in mine
    assert bob_web.form("/my-abuses/1/messages", {"message": "Great"}).status_code == 303
    assert "Great" in root_web.get("/admin/abuses/1").text
    short = bob_web.form("/my-abuses/1/messages", {"message": ""})
    assert short.status_code == 400 and "A message cannot be empty." in short.text
    # the comment goes, from the report
    assert root_web.form("/admin/abuses/1/delete-comment").status_code == 303
    thread = bob_api.get(f"/api/v1/videos/{video['uuid']}/comment-threads").json()
    assert thread["total"] == 0 or thread["data"][0]["isDeleted"]
    # a video report: the video can be blocked from it
    bob_web.form(f"/report?video={video['uuid']}", {"reason": "Loud"})
    assert "Block the video" in root_web.get("/admin/abuses/2").text
    assert root_web.form("/admin/abuses/2/block-video").status_code == 303
    assert "The video is blocked." in root_web.get("/admin/abuses/2").text
    api = server.client()
    api.token("root", PASSWORD)
    blocked = api.get("/api/v1/abuses", params={"videoIs": "blacklisted"}).json()
    assert [a["id"] for a in blocked["data"]] == [2]
    assert blocked["data"][0]["video"]["blacklisted"] is True
