"""Transcode job: an uploaded original becomes HLS renditions, then the video is published."""

from __future__ import annotations

from collections.abc import Callable

from app import videos
from app.settings import Settings

KIND = videos.TRANSCODE_JOB


def run(settings: Settings, payload: dict, heartbeat: Callable[[], None]) -> None:
    videos.transcode_video(settings, int(payload["video_id"]), on_progress=lambda _p: heartbeat())
