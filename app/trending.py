"""Views per day, and what is trending: the videos with the most views over the last
TRENDING_DAYS days (PeerTube's "trending" order, and a redundancy strategy).

A local video's views are added as they are counted; a remote video's are the growth of
its origin's count each time the origin tells it (Update{Video}).
"""

from __future__ import annotations

import datetime as dt

import peewee

from models.videos import ViewDay

TRENDING_DAYS = 2
KEEP_DAYS = 30  # history older than this is forgotten by the sweep


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def record(counts: dict[int, int], day: dt.date | None = None) -> None:
    """Add views to their videos' row for `day` (today), one upsert per video."""
    day = day or today()
    for video_id, count in counts.items():
        if count <= 0:
            continue
        ViewDay.insert(video=video_id, day=day, views=count).on_conflict(
            conflict_target=[ViewDay.video, ViewDay.day],
            update={ViewDay.views: ViewDay.views + count},
        ).execute()


def recent_views(days: int = TRENDING_DAYS) -> peewee.ModelSelect:
    """(video_id, views) over the last `days` days, today included."""
    since = today() - dt.timedelta(days=days - 1)
    return (
        ViewDay.select(
            ViewDay.video.alias("video_id"), peewee.fn.SUM(ViewDay.views).alias("recent")
        )
        .where(ViewDay.day >= since)
        .group_by(ViewDay.video)
    )


def forget_old() -> int:
    """Remove history older than KEEP_DAYS; the number of rows removed."""
    return ViewDay.delete().where(ViewDay.day < today() - dt.timedelta(days=KEEP_DAYS)).execute()
