"""Who is told about video blocks (listeners of app/moderation/blocks.py's events)."""

from __future__ import annotations

from app import notifications, videos
from app.settings import Settings
from models.accounts import User
from models.moderation import BlockKind, VideoBlock
from models.notifications import NotificationType
from models.videos import Privacy, Video


def _owner(video: Video) -> list[User]:
    owner = videos.owner_id(video) if video.is_local else None
    return list(User.select().where(User.id == owner)) if owner else []


def on_video_blocked(settings: Settings | None, video: Video, block: VideoBlock) -> None:
    if block.kind == BlockKind.AUTO:
        notifications.tell(
            notifications.moderators(),
            NotificationType.VIDEO_AUTO_BLACKLIST_FOR_MODERATORS,
            video=video.id,
        )
    else:
        notifications.tell(_owner(video), NotificationType.BLACKLIST_ON_MY_VIDEO, video=video.id)


def on_video_unblocked(settings: Settings | None, video: Video, block: VideoBlock) -> None:
    notifications.tell(_owner(video), NotificationType.UNBLACKLIST_ON_MY_VIDEO, video=video.id)
    if block.kind == BlockKind.AUTO and video.is_published and video.privacy == Privacy.PUBLIC:
        notifications.tell_subscribers(video)  # they were not told while it waited


LISTENERS = [("video.blocked", on_video_blocked), ("video.unblocked", on_video_unblocked)]
