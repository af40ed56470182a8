"""Views: counted once per viewer and video in a time window, written in batches.

A web process keeps the views it counted in memory and adds them to the
videos in one UPDATE per video every FLUSH_SECONDS, so a storm of views on one
video costs the database a write every few seconds, not one per view. Each
flush announces ``views.counted`` (video, count); federation reacts (an
Update{Video} for a local video, Views to the origin of a remote one). Views
counted since the last flush are lost if the process is killed (at most a few
seconds of them); a clean stop flushes.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter

import tornado.ioloop

from app import events, trending
from app.ratelimit import RateLimiter
from models import db
from models.videos import Privacy, Video

log = logging.getLogger(__name__)

FLUSH_SECONDS = float(os.environ.get("SHOAL_VIEW_FLUSH_SECONDS", "5"))
VIEW_WINDOW = 3600.0  # seconds: one view per viewer and video in this time (PeerTube: 1 h)
KNOWN_SECONDS = 60.0  # how long a video found viewable is taken as still so, for views
KNOWN_MAX = 10_000


class ViewCounter:
    """Counts views in memory and flushes them to the database every ``flush_seconds``."""

    def __init__(self, flush_seconds: float = FLUSH_SECONDS, window: float = VIEW_WINDOW) -> None:
        self.viewers = RateLimiter(1, window)
        self.pending: Counter[int] = Counter()
        self.flush_seconds = flush_seconds
        self.flushes = 0  # UPDATE rounds written (for the benchmark)
        self._timer: tornado.ioloop.PeriodicCallback | None = None
        self._known: dict[str, tuple[int, float]] = {}

    def known(self, ref: str) -> int | None:
        """The id of a public or unlisted video found by ``ref`` within KNOWN_SECONDS: a
        storm of views on one video does not look it up in the database every time."""
        found = self._known.get(ref)
        if found is None or found[1] < time.monotonic():
            return None
        return found[0]

    def remember(self, ref: str, video: Video) -> None:
        if video.privacy == Privacy.PRIVATE:
            return  # who may see it depends on who asks
        if len(self._known) >= KNOWN_MAX:
            self._known.clear()
        self._known[ref] = (video.id, time.monotonic() + KNOWN_SECONDS)

    def add(self, video_id: int, viewer: str) -> bool:
        """Count a view unless this viewer was counted for this video within the window."""
        if not self.viewers.hit(f"{viewer}:{video_id}"):
            return False
        self.pending[video_id] += 1
        if self._timer is None:  # started on the first view, on the serving loop
            self._timer = tornado.ioloop.PeriodicCallback(self.flush, self.flush_seconds * 1000)
            self._timer.start()
        return True

    def flush(self) -> dict[int, int]:
        """Add the pending views to their videos, one UPDATE per video; return them."""
        counts, self.pending = dict(self.pending), Counter()
        if not counts:
            return counts
        try:
            with db.atomic():
                for video_id, count in counts.items():
                    Video.update(views=Video.views + count).where(Video.id == video_id).execute()
                trending.record(counts)
                found = Video.select().where(Video.id.in_(list(counts)))
                for video in found:
                    events.emit("views.counted", video=video, count=counts[video.id])
        except Exception:
            self.pending.update(counts)  # kept for the next round
            log.exception("views not written; kept for the next flush")
            return {}
        self.flushes += 1
        return counts

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.flush()
