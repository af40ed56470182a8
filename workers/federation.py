"""Federation jobs: apply received activities, deliver sent ones, federate videos, follow."""

from __future__ import annotations

from collections.abc import Callable

from app import search
from app.federation import (
    backfill,
    delivery,
    flags,
    follows,
    inbox,
    mirroring,
    publish,
    remote,
    social,
)
from app.settings import Settings


def _plain(func: Callable[[Settings, dict], None]) -> Callable[[Settings, dict, Callable], None]:
    def run(settings: Settings, payload: dict, _heartbeat: Callable[[], None]) -> None:
        func(settings, payload)

    return run


KINDS = {
    inbox.INBOX_JOB: _plain(inbox.run_job),
    delivery.DELIVER_JOB: _plain(delivery.run_job),
    publish.FEDERATE_JOB: _plain(publish.run_video_job),
    publish.ACTOR_JOB: _plain(publish.run_actor_job),
    follows.FOLLOW_JOB: _plain(follows.run_job),
    search.LOOKUP_JOB: _plain(search.run_job),
    remote.REFRESH_JOB: _plain(remote.refresh_video),
    backfill.BACKFILL_JOB: _plain(backfill.run_job),
    social.COMMENT_JOB: _plain(social.run_comment_job),
    social.RATING_JOB: _plain(social.run_rating_job),
    social.COUNTS_JOB: _plain(social.run_counts_job),
    social.VIEWS_JOB: _plain(social.run_views_job),
    mirroring.MIRROR_JOB: _plain(mirroring.run_job),
    flags.FLAG_JOB: _plain(flags.run_flag_job),
}
