"""Two web processes on one database (SQLite and PostgreSQL), each keeping rendered
anonymous reads (app/read_cache.py): an edit, a new video, a privacy change and a
deletion made through one process, or by another process altogether (here the test's
own, as a worker would), show at once on every surface of the other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from models.accounts import User
from tests.conftest import PASSWORD, Client
from tests.handlers.test_feeds import channel_of, make_video
from tests.nginx import WebProcess, free_port

AP = {"Accept": "application/activity+json"}


@pytest.fixture
def two_webs(database: str, tmp_path: Path) -> Iterator[list[WebProcess]]:
    """`python -m app serve` twice, on the test's database and one SHOAL_DATA."""
    ports = [free_port(), free_port()]
    env = {
        "DATABASE_URL": database,
        "SHOAL_DATA": str(tmp_path / "data"),
        "SHOAL_HOST": f"127.0.0.1:{ports[0]}",
        "SHOAL_SECRET": "test-secret-" + "x" * 32,
        "SHOAL_ROOT_PASSWORD": PASSWORD,
    }
    webs = [WebProcess(env, port, tmp_path / f"web-{port}.log") for port in ports]
    try:
        for web in webs:
            web.wait_ready()
        yield webs
    finally:
        for web in webs:
            web.stop()


def surfaces(client: Client, uuid: str) -> dict[str, object]:
    """What a visitor reads of the video on each surface (None: not there, or 404)."""
    single = client.get(f"/api/v1/videos/{uuid}")
    ap = client.get(f"/videos/watch/{uuid}", headers=AP)
    page = client.get(f"/w/{uuid}")
    feed = feedparser.parse(client.get("/feeds/videos.xml").content)
    return {
        "list": sorted(v["name"] for v in client.get("/api/v1/videos").json()["data"]),
        "search": sorted(
            v["name"] for v in client.get("/api/v1/search/videos?search=lighthouse").json()["data"]
        ),
        "video": single.json()["name"] if single.status_code == 200 else None,
        "activitypub": ap.json()["name"] if ap.status_code == 200 else None,
        "page": page.text.split("<title>")[1].split("</title>")[0].split(" · ")[0]
        if page.status_code == 200
        else None,
        "feed": sorted(entry.title for entry in feed.entries),
    }


def read_twice(clients: list[Client], uuid: str) -> dict[str, object]:
    """Every surface on every process, twice (the second from what each process kept);
    all the same, which is returned."""
    seen = [surfaces(client, uuid) for client in clients for _ in range(2)]
    assert all(s == seen[0] for s in seen), seen
    return seen[0]


def test_changes_show_at_once_on_the_other_web_process(two_webs):
    first, second = (Client(web.url) for web in two_webs)
    root = Client(two_webs[0].url)
    root.token("root", PASSWORD)
    other_root = Client(two_webs[1].url)
    other_root.token("root", PASSWORD)
    channel = channel_of(User.get(User.username == "root"))
    video = make_video(channel, "Lighthouse at dawn")
    uuid = str(video.uuid)

    assert read_twice([first, second], uuid) == {
        "list": ["Lighthouse at dawn"],
        "search": ["Lighthouse at dawn"],
        "video": "Lighthouse at dawn",
        "activitypub": "Lighthouse at dawn",
        "page": "Lighthouse at dawn",
        "feed": ["Lighthouse at dawn"],
    }

    # An edit through the first process.
    assert (
        root.put(f"/api/v1/videos/{uuid}", json={"name": "Lighthouse at noon"}).status_code == 204
    )
    assert read_twice([second, first], uuid)["activitypub"] == "Lighthouse at noon"
    assert surfaces(second, uuid)["feed"] == ["Lighthouse at noon"]

    # A new video written by another process (a worker publishing a transcoded upload).
    make_video(channel, "Lighthouse at dusk")
    after_new = read_twice([second, first], uuid)
    assert (
        after_new["list"]
        == after_new["search"]
        == after_new["feed"]
        == [
            "Lighthouse at dusk",
            "Lighthouse at noon",
        ]
    )

    # A privacy change through the second process: gone from the first one at once.
    gone = {
        "list": ["Lighthouse at dusk"],
        "search": ["Lighthouse at dusk"],
        "video": None,
        "activitypub": None,
        "page": None,
        "feed": ["Lighthouse at dusk"],
    }
    assert other_root.put(f"/api/v1/videos/{uuid}", json={"privacy": 3}).status_code == 204
    assert read_twice([first, second], uuid) == gone
    assert root.put(f"/api/v1/videos/{uuid}", json={"privacy": 1}).status_code == 204
    assert read_twice([second, first], uuid)["video"] == "Lighthouse at noon"

    # A deletion through the first process.
    assert root.delete(f"/api/v1/videos/{uuid}").status_code == 204
    assert read_twice([second, first], uuid) == gone
    for client in (first, second, root, other_root):
        client.close()
