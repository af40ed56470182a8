"""Reports across servers: a report about another server's video, comment or account
reaches it as PeerTube's Flag (unicast to its shared inbox) and becomes a report there;
Flags naming what a server does not have are refused with the reason on the inbox row."""

from __future__ import annotations

import json

from app.moderation import blocklist
from models.abuses import Abuse
from models.federation import Delivery, InboxActivity, OutActivity
from tests.handlers.test_api_videos import upload
from tests.integration.test_federation import admin, follow_server, make_user, settle
from tests.integration.test_inbox import accepted, bob, settings
from tests.stub_actor import StubActor

__all__ = ["bob", "settings"]  # fixtures shared with test_inbox.py


def flags_sent(server) -> list[tuple[dict, list[str]]]:
    """(Flag, inboxes it went to) of every Flag a server queued."""
    with server.use():
        rows = OutActivity.select().where(OutActivity.type == "Flag").order_by(OutActivity.id)
        return [
            (json.loads(r.body), [d.inbox for d in Delivery.select().where(Delivery.activity == r)])
            for r in rows
        ]


def test_reports_of_another_servers_things_reach_it_as_flags(instances, clip):
    origin, home = instances("origin"), instances("home")
    follow_server(home, origin)
    alice = make_user(origin, "alice")
    carol = make_user(home, "carol")
    ids = upload(alice, clip, name="Otters far away")
    settle(origin, home)
    remote = carol.get(f"/api/v1/videos/{ids['uuid']}").json()
    assert remote["isLocal"] is False
    made = carol.post(
        "/api/v1/abuses",
        json={"reason": "Loud **otters**", "predefinedReasons": ["violentOrRepulsive", "rights"],
              "video": {"id": remote["id"], "startAt": 1, "endAt": 2}},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    settle(home, origin)
    # the Flag, as PeerTube sends it: by carol, to alice, at origin's shared inbox only
    ((flag, inboxes),) = flags_sent(home)
    video_url = f"{origin.url}/videos/watch/{ids['uuid']}"
    assert flag["type"] == "Flag" and flag["actor"] == f"{home.url}/accounts/carol"
    assert flag["id"] == f"{home.url}/admin/abuses/{made.json()['abuse']['id']}"
    assert flag["object"] == video_url and flag["content"] == "Loud **otters**"
    assert flag["mediaType"] == "text/markdown"
    assert flag["tag"] == [{"type": "Hashtag", "name": "violentOrRepulsive"},
                           {"type": "Hashtag", "name": "rights"}]  # fmt: skip
    assert (flag["startAt"], flag["endAt"]) == (1, 2)
    assert flag["to"] == [f"{origin.url}/accounts/alice"] and flag["cc"] == []
    assert inboxes == [f"{origin.url}/inbox"]
    # origin's moderators see a report by carol@home, with its reasons and range
    root = admin(origin)
    (abuse,) = root.get("/api/v1/abuses").json()["data"]
    assert abuse["reporterAccount"]["name"] == "carol"
    assert abuse["reporterAccount"]["host"] == home.settings.host
    assert abuse["video"]["uuid"] == ids["uuid"]
    assert (abuse["video"]["startAt"], abuse["video"]["endAt"]) == (1, 2)
    assert abuse["predefinedReasons"] == ["violentOrRepulsive", "rights"]
    notes = root.get("/api/v1/users/me/notifications").json()["data"]
    assert [n["abuse"]["id"] for n in notes if n["type"] == 3] == [abuse["id"]]
    # an account report too; the thread of a remote report is not for this server
    alice_id = remote["account"]["id"]
    on_account = {"reason": "Spam account", "account": {"id": alice_id}}
    assert carol.post("/api/v1/abuses", json=on_account).status_code == 200
    settle(home, origin)
    data = root.get("/api/v1/abuses", params={"filter": "account"}).json()["data"]
    assert [a["flaggedAccount"]["name"] for a in data] == ["alice"]
    assert data[0]["flaggedAccount"]["host"] == origin.settings.host
    refused = root.post(f"/api/v1/abuses/{abuse['id']}/messages", json={"message": "Hello"})
    assert refused.status_code == 400
    # a decision stays where it is made (PeerTube sends nothing back)
    with origin.use():
        before = OutActivity.select().count()
    assert root.put(f"/api/v1/abuses/{abuse['id']}", json={"state": 3}).status_code == 204
    settle(origin, home)
    with origin.use():
        assert OutActivity.select().count() == before
    with home.use():
        assert Abuse.select().count() == 2  # home keeps its own copies, still pending
        assert {a.state for a in Abuse.select()} == {1}


def test_a_report_of_a_local_thing_sends_no_flag(server, alice_api, clip):
    ids = upload(alice_api, clip)
    response = alice_api.post("/api/v1/abuses", json={"reason": "Mine", "video": {"id": ids["id"]}})
    assert response.status_code == 200
    server.run_jobs()
    assert flags_sent(server) == []


def _flag(bob: StubActor, number: int, obj, **extra) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": f"{bob.url}/admin/abuses/{number}",
        "type": "Flag",
        "actor": bob.actor_url,
        "content": "Otters are **not** allowed",
        "mediaType": "text/markdown",
        "object": obj,
        "tag": [{"type": "Hashtag", "name": "spamOrMisleading"}, {"type": "Hashtag", "name": "x"}],
        "to": [obj if isinstance(obj, str) else obj[0]],
        "cc": [],
        **extra,
    }


def _row(server, flag: dict) -> InboxActivity:
    with server.use():
        return InboxActivity.get(InboxActivity.ap_id == flag["id"])


def test_received_flags_become_reports_or_are_refused_with_a_reason(
    server, local_user, alice_api, admin_user, clip, bob
):
    ids = upload(alice_api, clip, name="Otters here")
    video_url = f"{server.url}/videos/watch/{ids['uuid']}"
    comment = alice_api.post(
        f"/api/v1/videos/{ids['uuid']}/comment-threads", json={"text": "My otters"}
    ).json()["comment"]
    comment_url = f"{video_url}/comments/{comment['id']}"
    server.run_jobs()
    good = _flag(bob, 1, video_url, startAt=3, endAt=5)
    accepted(bob.post(f"{server.url}/inbox", good))
    accepted(bob.post(f"{server.url}/inbox", _flag(bob, 2, [comment_url])))
    accepted(bob.post(f"{server.url}/inbox", _flag(bob, 3, f"{server.url}/accounts/alice")))
    refusals = {
        4: (_flag(bob, 4, "https://elsewhere.example/videos/watch/x"), "not on this server"),
        5: (_flag(bob, 5, f"{server.url}/videos/watch/{'0' * 8}-0000-4000-8000-{'0' * 12}"),
            "does not have"),
        6: (_flag(bob, 6, [video_url, "https://elsewhere.example/accounts/x"]),
            "not on this server"),
        7: (_flag(bob, 7, video_url, content="x"), "reason"),
        8: (_flag(bob, 8, f"{server.url}/accounts/nobody"), "does not have"),
    }  # fmt: skip
    for flag, _ in refusals.values():
        accepted(bob.post(f"{server.url}/inbox", flag))
    server.run_jobs()
    for flag in (good, _flag(bob, 2, [comment_url]), _flag(bob, 3, "")):
        row = _row(server, flag)
        assert row.state == "done", row.error
    for flag, why in refusals.values():
        row = _row(server, flag)
        assert row.state == "failed" and why in row.error, (flag["id"], row.error)
    with server.use():
        abuses = list(Abuse.select().order_by(Abuse.id))
    assert [a.kind for a in abuses] == ["video", "comment", "account"]
    assert (abuses[0].start_at, abuses[0].end_at) == (3, 5)
    assert abuses[0].reason_names == ["spamOrMisleading"]
    assert all(a.reporter.name == "bob" and a.reporter.host == bob.host for a in abuses)
    # the same Flag again changes nothing
    accepted(bob.post(f"{server.url}/inbox", {**good, "cc": ["again"]}))
    server.run_jobs()
    with server.use():
        assert Abuse.select().count() == 3
        # a server this one muted reports nothing
        blocklist.mute_host(None, bob.host)
    muted = _flag(bob, 9, video_url)
    accepted(bob.post(f"{server.url}/inbox", muted))
    server.run_jobs()
    row = _row(server, muted)
    assert row.state == "failed" and "muted" in row.error
    with server.use():
        assert Abuse.select().count() == 3


def test_a_flag_from_an_actor_that_cannot_be_resolved_is_refused(server, local_user, bob):
    ghost = f"{bob.url}/users/ghost"  # answers 404
    flag = {**_flag(bob, 9, f"{server.url}/accounts/alice"), "actor": ghost}
    response = bob.post(f"{server.url}/inbox", flag, key_id=f"{ghost}#main-key")
    assert response.status_code in (401, 403), response.text
    with server.use():
        assert InboxActivity.select().count() == 0 and Abuse.select().count() == 0
