"""The redundancy strategies choose what this server mirrors: the right videos, only of
the servers an admin allowed, within each strategy's disk budget, never removing a copy
before its minimum lifetime, never filling the disk past the free-space floor."""

from __future__ import annotations

import datetime as dt
import json
import uuid as uuidlib

import pytest

from app import trending, wiring
from app.federation import actors, follows, redundancy
from models import utcnow
from models.accounts import Account, Channel
from models.federation import Actor, Delivery, Follow, FollowState, OutActivity
from models.jobs import Job
from models.redundancy import Mirror
from models.videos import State, Video, VideoFile

MB = 1024**2
HOUR = 3600


def remote_server(host: str, *, followed: bool = True) -> Channel:
    """A followed server with one channel (its videos are added by `video`)."""
    server = Actor.create(type="Application", name="peertube", host=host,
                          ap_id=f"https://{host}/accounts/peertube", inbox=f"https://{host}/inbox",
                          shared_inbox=f"https://{host}/inbox")  # fmt: skip
    if followed:
        Follow.create(follower=actors.server_actor(), target=server, state=FollowState.ACCEPTED)
    person = Actor.create(type="Person", name="ann", host=host, ap_id=f"https://{host}/a/ann",
                          inbox=f"https://{host}/a/ann/inbox")  # fmt: skip
    group = Actor.create(type="Group", name="films", host=host, ap_id=f"https://{host}/c/films",
                         inbox=f"https://{host}/c/films/inbox")  # fmt: skip
    account = Account.create(name="ann", host=host, display_name="Ann", actor=person)
    return Channel.create(account=account, name="films", host=host, display_name="F", actor=group)


def video(channel: Channel, name: str, *, views: int = 0, size: int = 10 * MB, days_old: int = 0):
    host = channel.host
    v = Video.create(
        uuid=uuidlib.uuid4(), channel=channel, name=name, views=views,
        state=State.PUBLISHED, ap_id=f"https://{host}/videos/watch/{name}",
        hls_master=f"https://{host}/static/{name}/master.m3u8",
        hls_sha256=f"https://{host}/static/{name}/sha256.json",
        published_at=utcnow() - dt.timedelta(days=days_old),
    )  # fmt: skip
    VideoFile.create(video=v, resolution=240, size=size, filename=f"https://{host}/{name}.mp4",
                     playlist=f"https://{host}/{name}.m3u8")  # fmt: skip
    return v


def mirrored() -> list[str]:
    """Names of the videos this server has copies of (any state), by id."""
    rows = Mirror.select(Mirror, Video).join(Video).where(Mirror.actor == actors.server_actor())
    return sorted(m.video.name for m in rows)


def policy(*strategies: redundancy.Strategy, hosts=("a.example",), floor: int = 0):
    return redundancy.save(
        redundancy.Policy(strategies=strategies, free_floor=floor, hosts=tuple(hosts))
    )


def ready(names: list[str], *, hours_ago: float = 0) -> None:
    """Copies made: ready, with their size, made `hours_ago`."""
    for m in Mirror.select().join(Video).where(Video.name.in_(names)):
        Mirror.update(
            state="ready", size=10 * MB, created_at=utcnow() - dt.timedelta(hours=hours_ago)
        ).where(Mirror.id == m.id).execute()


def test_most_views_mirrors_the_most_viewed_videos_of_allowed_servers_one_per_run(settings):
    films = remote_server("a.example")
    other = remote_server("b.example")  # followed, not allowed
    unfollowed = remote_server("c.example", followed=False)
    for name, views in (("low", 3), ("top", 90), ("mid", 40)):
        video(films, name, views=views)
    video(other, "b-top", views=1000)
    video(unfollowed, "c-top", views=1000)
    policy(redundancy.Strategy("most-views", 100 * MB, 24 * HOUR), hosts=["a.example", "c.example"])

    notes = redundancy.run(settings)
    assert mirrored() == ["top"] and any("mirroring 'top'" in n for n in notes)
    assert Job.select().where(Job.kind == "mirror-video").count() == 1
    redundancy.run(settings)
    assert mirrored() == ["mid", "top"]
    redundancy.run(settings)
    assert mirrored() == ["low", "mid", "top"]
    redundancy.run(settings)  # nothing left that it may mirror
    assert mirrored() == ["low", "mid", "top"]
    (top,) = Mirror.select().join(Video).where(Video.name == "top")
    assert top.strategy == "most-views" and top.state == "copying"
    assert redundancy.last_run()["notes"] == []


def test_recently_added_wants_a_minimum_of_views_and_trending_recent_views(settings):
    films = remote_server("a.example")
    video(films, "new-unseen", views=1, days_old=0)
    video(films, "new-seen", views=12, days_old=1)
    video(films, "old-seen", views=500, days_old=30)
    policy(redundancy.Strategy("recently-added", 100 * MB, HOUR, min_views=10))
    redundancy.run(settings)
    assert mirrored() == ["new-seen"]

    Mirror.delete().execute()
    hot = video(films, "hot", views=20)
    classic = Video.get(Video.name == "old-seen")
    trending.record({classic.id: 400}, day=trending.today() - dt.timedelta(days=10))
    trending.record({classic.id: 5})
    trending.record({hot.id: 15})
    trending.record({hot.id: 4}, day=trending.today() - dt.timedelta(days=1))
    policy(redundancy.Strategy("trending", 100 * MB, HOUR))
    redundancy.run(settings)
    redundancy.run(settings)
    redundancy.run(settings)  # videos without views these two days are not trending
    assert mirrored() == ["hot", "old-seen"]
    first = Mirror.select().join(Video).order_by(Mirror.id).first()
    assert first.video.name == "hot"  # 19 views these two days against 5


def test_a_full_budget_makes_room_only_for_a_better_video_after_the_minimum_lifetime(settings):
    films = remote_server("a.example")
    for name, views in (("a", 50), ("b", 40), ("c", 30)):
        video(films, name, views=views)
    video(films, "huge", views=10_000, size=500 * MB)  # larger than the whole budget
    video(films, "d", views=20)  # fits no more
    policy(redundancy.Strategy("most-views", 30 * MB, 48 * HOUR))
    for _ in range(4):
        notes = redundancy.run(settings)
    assert mirrored() == ["a", "b", "c"]
    assert any("'huge' does not fit" in n for n in notes)
    assert any("budget is full" in n for n in notes)

    video(films, "star", views=45)  # better than b and c, which are young
    ready(["a", "b", "c"], hours_ago=1)
    redundancy.run(settings)
    assert mirrored() == ["a", "b", "c"]  # a copy is kept for its minimum lifetime

    ready(["a", "b", "c"], hours_ago=49)
    notes = redundancy.run(settings)
    assert mirrored() == ["a", "b", "star"]  # the lowest ranked old copy made room
    assert any("removed the copy" in n and "'star' ranks higher" in n for n in notes)
    # The removed ready copy was withdrawn from its origin with Undo{CacheFile}.
    (undo,) = OutActivity.select().where(OutActivity.type == "Undo")
    undone = json.loads(undo.body)["object"]  # PeerTube's shape: Undo{Create{CacheFile}}
    assert undone["type"] == "Create" and undone["object"]["type"] == "CacheFile"
    assert sorted(d.inbox for d in Delivery.select()) == [
        "https://a.example/a/ann/inbox", "https://a.example/c/films/inbox"
    ]  # fmt: skip

    video(films, "meh", views=1)  # ranks below every copy: nothing is removed for it
    redundancy.run(settings)
    assert mirrored() == ["a", "b", "star"]


def test_the_free_space_floor_stops_mirroring_before_the_budget(settings):
    films = remote_server("a.example")
    video(films, "wanted", views=5)
    free = redundancy.free_space(settings)
    policy(redundancy.Strategy("most-views", 100 * MB, HOUR), floor=free - 5 * MB)
    notes = redundancy.run(settings)
    assert mirrored() == []
    assert any("free-space floor" in n for n in notes)
    assert redundancy.last_run()["notes"] == notes


def test_smaller_budgets_strategies_turned_off_and_servers_no_longer_allowed(settings):
    wiring.connect()
    films = remote_server("a.example")
    for name, views in (("a", 50), ("b", 40), ("c", 30)):
        video(films, name, views=views)
    policy(redundancy.Strategy("most-views", 30 * MB, HOUR))
    for _ in range(3):
        redundancy.run(settings)
    ready(["a", "b", "c"], hours_ago=2)
    policy(redundancy.Strategy("most-views", 20 * MB, HOUR))
    redundancy.run(settings)
    assert mirrored() == ["a", "b"]  # c ranked lowest

    policy(redundancy.Strategy("recently-added", 20 * MB, HOUR))
    redundancy.run(settings)
    assert "most-views" not in {m.strategy for m in Mirror.select()}

    Mirror.delete().execute()
    policy(redundancy.Strategy("most-views", 30 * MB, HOUR))
    redundancy.run(settings)
    assert mirrored() == ["a"]
    redundancy.allow_host(settings, "a.example", False)
    assert mirrored() == [] and redundancy.get().hosts == ()

    redundancy.allow_host(settings, "a.example", True)
    redundancy.run(settings)
    assert mirrored() == ["a"]
    follows.unfollow_host(settings, "a.example")  # no longer followed: no longer mirrored
    assert mirrored() == [] and redundancy.get().hosts == ()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)  # not about the database
def test_a_bad_policy_is_refused_with_the_field_to_fix(settings):
    bad = [
        (redundancy.Strategy("cheapest", MB, HOUR), "strategy"),
        (redundancy.Strategy("trending", 0, HOUR), "trending"),
        (redundancy.Strategy("trending", MB, -1), "trending"),
        (redundancy.Strategy("recently-added", MB, HOUR, min_views=-1), "recently-added"),
    ]
    for strategy, field in bad:
        with pytest.raises(redundancy.RedundancyError) as err:
            policy(strategy)
        assert err.value.field == field
    with pytest.raises(redundancy.RedundancyError) as err:
        policy(redundancy.Strategy("trending", MB, 1), redundancy.Strategy("trending", MB, 1))
    assert "twice" in str(err.value)
    assert redundancy.get() == redundancy.Policy()  # nothing stored
