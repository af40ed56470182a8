"""WebFinger, host-meta and NodeInfo answer as PeerTube's do."""

from __future__ import annotations


def test_webfinger_finds_accounts_channels_and_the_server(anon, local_user, live_settings):
    host, base = live_settings.host, live_settings.base_url
    for name, path in (
        ("alice", "accounts/alice"),
        ("alice_channel", "video-channels/alice_channel"),
        ("peertube", "accounts/peertube"),
    ):
        response = anon.get("/.well-known/webfinger", params={"resource": f"acct:{name}@{host}"})
        assert response.status_code == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.json()
        assert body["subject"] == f"acct:{name}@{host}"
        assert body["aliases"] == [f"{base}/{path}"]
        assert body["links"][0] == {
            "rel": "self",
            "type": "application/activity+json",
            "href": f"{base}/{path}",
        }
        assert body["links"][1]["template"].endswith("/remote-interaction?uri={uri}")
    missing = anon.get("/.well-known/webfinger", params={"resource": f"acct:nobody@{host}"})
    assert missing.status_code == 404 and missing.json()["detail"] == "Actor not found"
    other = anon.get("/.well-known/webfinger", params={"resource": "acct:alice@elsewhere.example"})
    assert other.status_code == 404


def test_host_meta_and_nodeinfo(anon, live_settings):
    meta = anon.get("/.well-known/host-meta")
    assert meta.headers["Content-Type"].startswith("application/xml")
    assert f"{live_settings.base_url}/.well-known/webfinger?resource={{uri}}" in meta.text
    links = anon.get("/.well-known/nodeinfo").json()["links"]
    assert links[0]["href"] == f"{live_settings.base_url}/nodeinfo/2.0.json"
    info = anon.get("/nodeinfo/2.0.json")
    assert (
        'profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"' in info.headers["Content-Type"]
    )
    body = info.json()
    assert body["software"]["name"] == "shoal" and body["protocols"] == ["activitypub"]
    assert body["metadata"]["taxonomy"] == {"postsName": "Videos"}


def test_the_server_actor_name_is_reserved(anon):
    taken = anon.form("/signup", {"username": "peertube", "password": "secret-pass"})
    assert taken.status_code == 400 and "reserved" in taken.text
