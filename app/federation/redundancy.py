"""What this server mirrors of its own accord (PeerTube's redundancy strategies), within
the disk an administrator gives each strategy.

The administrator lets Shoal mirror some of the servers it follows (per server, as
PeerTube's `redundancyAllowed`) and turns on strategies, each with a disk budget and a
minimum lifetime:

- most-views: the videos with the most views;
- trending: the most views over the last days (app.trending);
- recently-added: the newest videos that have at least `min_views` views.

`run` (from the worker's sweep) asks each strategy for its best video not yet mirrored
here. If it does not fit in the budget, copies of that strategy that rank below it and
have been kept for their minimum lifetime are removed (Undo, then files) until it does;
a copy never goes before its minimum lifetime. Nothing is copied when the disk would be
left with less than the free-space floor. One new copy per strategy per run, as PeerTube.
Copies whose strategy was turned off, or that no longer fit a smaller budget, go too.

The policy is stored as JSON in server_setting; the last run's decisions are kept there
for the admin page.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
from dataclasses import asdict, dataclass, field, replace

import peewee

from app import trending
from app.federation import actors, follows, mirroring
from app.settings import Settings
from models import db, utcnow
from models.accounts import Channel
from models.federation import Actor, FollowState
from models.redundancy import Mirror
from models.server import get_setting, put_setting
from models.videos import Privacy, State, Video, VideoFile

log = logging.getLogger(__name__)

STRATEGIES = ("most-views", "trending", "recently-added")
POLICY_KEY = "redundancy.policy"
LAST_RUN_KEY = "redundancy.lastRun"
DEFAULT_FLOOR = 2 * 1024**3  # bytes left free on the media disk, whatever the budgets
MAX_BUDGET = 1024**5
MAX_LIFETIME = 365 * 24 * 3600
CANDIDATES = 10  # best videos looked at per strategy and run


class RedundancyError(ValueError):
    """A policy an administrator gave that cannot be used; `field` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Strategy:
    name: str
    size: int  # bytes of copies this strategy may keep
    min_lifetime: int  # seconds a copy is kept at least
    min_views: int = 0  # recently-added only


@dataclass(frozen=True)
class Policy:
    strategies: tuple[Strategy, ...] = ()
    free_floor: int = DEFAULT_FLOOR
    hosts: tuple[str, ...] = ()  # followed servers whose videos may be mirrored

    def strategy(self, name: str) -> Strategy | None:
        return next((s for s in self.strategies if s.name == name), None)


def get() -> Policy:
    raw = get_setting(POLICY_KEY)
    if not raw:
        return Policy()
    data = json.loads(raw)
    return Policy(
        strategies=tuple(Strategy(**s) for s in data.get("strategies", [])),
        free_floor=int(data.get("free_floor", DEFAULT_FLOOR)),
        hosts=tuple(data.get("hosts", [])),
    )


def check(policy: Policy) -> Policy:
    """The policy, or RedundancyError naming what is wrong."""
    seen = set()
    for s in policy.strategies:
        if s.name not in STRATEGIES:
            raise RedundancyError(f"Unknown strategy {s.name!r}.", "strategy")
        if s.name in seen:
            raise RedundancyError(f"The strategy {s.name} is given twice.", s.name)
        seen.add(s.name)
        if not 0 < s.size <= MAX_BUDGET:
            raise RedundancyError(f"The {s.name} budget must be a positive size.", s.name)
        if not 0 <= s.min_lifetime <= MAX_LIFETIME:
            raise RedundancyError(
                f"The {s.name} minimum lifetime must lie between 0 and 365 days.", s.name
            )
        if s.min_views < 0:
            raise RedundancyError("The minimum of views cannot be negative.", s.name)
    if not 0 <= policy.free_floor <= MAX_BUDGET:
        raise RedundancyError("The free-space floor must be a size of 0 or more.", "free_floor")
    return policy


def save(policy: Policy) -> Policy:
    check(policy)
    data = asdict(policy)
    data["hosts"] = sorted(set(policy.hosts))
    put_setting(POLICY_KEY, json.dumps(data))
    return policy


def followed_hosts() -> list[str]:
    """Hosts of the servers this server follows (accepted)."""
    return sorted(
        {
            f.target.host
            for f in follows.server_following()
            if f.state == FollowState.ACCEPTED and f.target.host
        }
    )


def allow_host(settings: Settings, host: str, allowed: bool) -> None:
    """Let this server mirror `host`'s videos, or stop: then every copy of them goes."""
    with db.atomic():
        policy = get()
        hosts = set(policy.hosts)
        (hosts.add if allowed else hosts.discard)(host)
        save(replace(policy, hosts=tuple(hosts)))
    if not allowed:
        # Read before writing: on SQLite an open read cursor while writing deadlocks
        # with another writer (the worker).
        for mirror in list(_copies().where(Actor.host == host)):
            mirroring.remove(settings, mirror)


def _copies() -> peewee.ModelSelect:
    """This server's copies, with the host of each video's channel (as Actor)."""
    return (
        Mirror.select(Mirror)
        .join(Video, on=Mirror.video == Video.id)
        .join(Channel, on=Video.channel == Channel.id)
        .join(Actor, on=Channel.actor == Actor.id)
        .where(Mirror.actor == actors.server_actor())
    )


def _ranked(name: str) -> tuple[peewee.ModelSelect, peewee.Node]:
    """Videos with what `name` ranks them by as `score` (higher is better), and that
    expression."""
    if name == "most-views":
        return Video.select(Video, Video.views.alias("score")), Video.views
    if name == "recently-added":
        return Video.select(Video, Video.published_at.alias("score")), Video.published_at
    recent = trending.recent_views().alias("recent_views")  # made now: "recent" moves on
    score = peewee.fn.COALESCE(recent.c.recent, 0)
    query = (
        Video.select(Video, score.alias("score"))
        .join(recent, peewee.JOIN.LEFT_OUTER, on=(recent.c.video_id == Video.id))
        .switch(Video)
    )
    return query, score


def candidates(policy: Policy, strategy: Strategy) -> list[Video]:
    """The best videos for `strategy` that this server may mirror and has not tried."""
    hosts = set(policy.hosts) & set(followed_hosts())
    if not hosts:
        return []
    tried = Mirror.select(Mirror.video).where(Mirror.actor == actors.server_actor())
    ranked, score = _ranked(strategy.name)
    query = (
        ranked.join(Channel, on=Video.channel == Channel.id)
        .join(Actor, on=Channel.actor == Actor.id)
        .where(
            Actor.host.in_(sorted(hosts)),
            Video.state == State.PUBLISHED,
            Video.privacy == Privacy.PUBLIC,
            Video.hls_master != "",
            Video.id.not_in(tried),
        )
    )
    if strategy.name == "trending":
        query = query.where(score > 0)
    if strategy.name == "recently-added":
        query = query.where(Video.views >= strategy.min_views)
    return list(query.order_by(score.desc(), Video.id.desc()).limit(CANDIDATES))


def _sizes(video_ids: list[int]) -> dict[int, int]:
    rows = (
        VideoFile.select(VideoFile.video, peewee.fn.SUM(VideoFile.size).alias("total"))
        .where(VideoFile.video.in_(video_ids))
        .group_by(VideoFile.video)
    )
    return {row.video_id: int(row.total or 0) for row in rows}


@dataclass
class Budget:
    """A strategy's copies (ready or copying), ranked, and the bytes they take."""

    strategy: Strategy
    copies: list[tuple[Mirror, object, int]] = field(default_factory=list)  # mirror, score, size

    @property
    def used(self) -> int:
        return sum(size for _, _, size in self.copies)

    def evictable(self, now: dt.datetime) -> list[tuple[Mirror, object, int]]:
        """Copies kept for their minimum lifetime, lowest ranked first."""
        keep = dt.timedelta(seconds=self.strategy.min_lifetime)
        old = [c for c in self.copies if c[0].created_at + keep <= now]
        return sorted(old, key=lambda c: (c[1] is not None, c[1] or 0, c[0].id))


def budget(strategy: Strategy) -> Budget:
    ranked, _ = _ranked(strategy.name)
    rows = list(
        ranked.select_extend(Mirror.id.alias("mirror_id"))
        .join(Mirror, on=(Mirror.video == Video.id))
        .where(
            Mirror.actor == actors.server_actor(),
            Mirror.strategy == strategy.name,
            Mirror.state.in_(["ready", "copying"]),
        )
        .objects()
    )
    mirrors = {m.id: m for m in Mirror.select().where(Mirror.id.in_([r.mirror_id for r in rows]))}
    sizes = _sizes([r.id for r in rows])
    result = Budget(strategy)
    for row in rows:
        mirror = mirrors[row.mirror_id]
        result.copies.append((mirror, row.score, mirror.size or sizes.get(row.id, 0)))
    return result


def usage(policy: Policy) -> list[dict]:
    """Per strategy: its budget, the bytes its copies take and how many; then manual."""
    out = []
    for strategy in policy.strategies:
        b = budget(strategy)
        out.append({"strategy": strategy, "used": b.used, "count": len(b.copies)})
    manual = [m for m in mirroring.copies() if m.strategy == "manual" and m.state == "ready"]
    out.append({"strategy": None, "used": sum(m.size for m in manual), "count": len(manual)})
    return out


def free_space(settings: Settings) -> int:
    settings.media_dir.mkdir(parents=True, exist_ok=True)
    return shutil.disk_usage(settings.media_dir).free


def _ranks_below(score, candidate_score) -> bool:
    return score is None or (candidate_score is not None and score < candidate_score)


def run(settings: Settings, now: dt.datetime | None = None) -> list[str]:
    """One round of every strategy; the decisions taken, in words (also kept for the
    admin page)."""
    now = now or utcnow()
    policy = get()
    notes: list[str] = []
    for mirror in mirroring.copies():
        if mirror.strategy not in ("manual", None) and policy.strategy(mirror.strategy) is None:
            mirroring.remove(settings, mirror)
            notes.append(f"removed a copy of video {mirror.video_id}: {mirror.strategy} is off")
    for strategy in policy.strategies:
        notes.extend(_run_one(settings, policy, strategy, now))
    for note in notes:
        log.info("redundancy: %s", note)
    put_setting(LAST_RUN_KEY, json.dumps({"at": now.isoformat(), "notes": notes}))
    return notes


def _run_one(settings: Settings, policy: Policy, strategy: Strategy, now: dt.datetime) -> list:
    notes = []
    held = budget(strategy)
    # A smaller budget than what is kept: the lowest ranked old copies go.
    for victim in held.evictable(now):
        if held.used <= strategy.size:
            break
        notes.append(_evict(settings, held, victim, "the budget is smaller"))
    found = candidates(policy, strategy)
    sizes = _sizes([v.id for v in found])
    for video in found:
        need = sizes.get(video.id, 0)
        if need <= 0 or need > strategy.size:
            notes.append(f"{strategy.name}: {video.name!r} does not fit the budget")
            continue
        victims = []
        room = strategy.size - held.used
        for victim in held.evictable(now):
            if room >= need:
                break
            if _ranks_below(victim[1], video.score):
                victims.append(victim)
                room += victim[2]
        if room < need:
            notes.append(f"{strategy.name}: the budget is full ({held.used} bytes)")
            break
        free = free_space(settings) + sum(v[2] for v in victims)
        if free - need < policy.free_floor:
            notes.append(
                f"{strategy.name}: not copying {video.name!r}: {need} bytes would leave less "
                f"than the free-space floor ({free} bytes free)"
            )
            break
        for victim in victims:
            notes.append(_evict(settings, held, victim, f"{video.name!r} ranks higher"))
        try:
            with db.atomic():
                mirroring.request(settings, video, strategy=strategy.name)
        except (mirroring.MirrorError, peewee.IntegrityError):  # another worker, just now
            notes.append(f"{strategy.name}: {video.name!r} is being mirrored already")
            break
        notes.append(f"{strategy.name}: mirroring {video.name!r} ({need} bytes)")
        break
    return notes


def _evict(settings: Settings, held: Budget, victim, why: str) -> str:
    mirror, _, _ = victim
    held.copies.remove(victim)
    mirroring.remove(settings, mirror)
    return f"{held.strategy.name}: removed the copy of video {mirror.video_id} ({why})"


def last_run() -> dict:
    raw = get_setting(LAST_RUN_KEY)
    return json.loads(raw) if raw else {}


def on_server_unfollowed(settings: Settings, host: str) -> None:
    """A server no longer followed is no longer mirrored (PeerTube does the same)."""
    allow_host(settings, host, False)


LISTENERS = [("server.unfollowed", on_server_unfollowed)]
