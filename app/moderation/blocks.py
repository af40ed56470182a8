"""Video blocks (PeerTube's video blacklist): a moderator takes a video off every public
surface of this server, with a reason its owner sees.

A blocked video leaves the lists, search, feeds, the ActivityPub outboxes and the
tracker, and its page and media answer only its owner and the moderators (as a private
video does); while blocked, it does not federate. A moderator may also "unfederate" a
local video: other servers are sent Delete, and get it again (Create) when it is
unblocked. A user blocked by an administrator has all their videos hidden the same way
(models.moderation.unblocked_videos).

Auto-block (an administrator's setting, PeerTube's autoBlacklist.videos.ofUsers): each
new video of a user who is neither trusted (User.admin_flags & TRUSTED) nor a moderator
is blocked until a moderator looks at it; it is not federated before.

Events (app/events.py): ``video.blocked`` (settings, video, block) and
``video.unblocked`` (settings, video, block: the row as it was); federation and
notifications listen.
"""

from __future__ import annotations

from app import events, videos
from app.settings import Settings
from models import db, utcnow
from models.accounts import Account, Channel, User
from models.moderation import BlockKind, VideoBlock, hidden_video
from models.server import get_setting, put_setting
from models.videos import Video

AUTO_BLOCK_KEY = "moderation.autoBlockNewVideos"
TRUSTED = 1  # PeerTube's UserAdminFlag.BYPASS_VIDEO_AUTO_BLACKLIST
MAX_REASON = 300  # PeerTube's VIDEO_BLACKLIST.REASON max


class BlockError(ValueError):
    """A block that cannot be made; `status` is the HTTP answer (409: already done)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def block_of(video: Video) -> VideoBlock | None:
    return VideoBlock.get_or_none(VideoBlock.video == video.id)


hidden = hidden_video  # blocked, or its owner is blocked


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise BlockError(f"The reason is at most {MAX_REASON} characters.")
    return reason


def block(
    settings: Settings | None,
    video: Video,
    reason: str | None = "",
    *,
    unfederate: bool = False,
    kind: BlockKind = BlockKind.MANUAL,
) -> VideoBlock:
    """Block a video; `unfederate` (local videos only) also has other servers delete it."""
    text = _reason(reason)
    with db.atomic():
        if block_of(video) is not None:
            raise BlockError("This video is already blocked.", 409)
        row = VideoBlock.create(
            video=video, reason=text, unfederated=bool(unfederate and video.is_local), kind=kind
        )
        events.emit("video.blocked", settings=settings, video=video, block=row)
    return row


def unblock(settings: Settings, video: Video) -> VideoBlock:
    with db.atomic():
        row = block_of(video)
        if row is None:
            raise BlockError("This video is not blocked.", 404)
        row.delete_instance()
        events.emit("video.unblocked", settings=settings, video=video, block=row)
    return row


def update_reason(video: Video, reason: str | None) -> VideoBlock:
    row = block_of(video)
    if row is None:
        raise BlockError("This video is not blocked.", 404)
    VideoBlock.update(reason=_reason(reason), updated_at=utcnow()).where(
        VideoBlock.id == row.id
    ).execute()
    return VideoBlock.get_by_id(row.id)


def listing(kind: int | None = None, search: str = ""):
    """Blocks with their videos, newest first (a query to page)."""
    query = (
        VideoBlock.select(VideoBlock, Video, Channel, Account)
        .join(Video)
        .join(Channel)
        .join(Account)
        .order_by(VideoBlock.id.desc())
    )
    if kind in (BlockKind.MANUAL, BlockKind.AUTO):
        query = query.where(VideoBlock.kind == kind)
    if search:
        query = query.where(Video.name.contains(search[:100]))
    return query


def auto_block_enabled() -> bool:
    return get_setting(AUTO_BLOCK_KEY) == "1"


def set_auto_block(enabled: bool) -> None:
    put_setting(AUTO_BLOCK_KEY, "1" if enabled else "0")


def trusted(user: User) -> bool:
    return bool(user.admin_flags & TRUSTED) or user.is_moderator


def set_trusted(user: User, value: bool) -> None:
    flags = (user.admin_flags | TRUSTED) if value else (user.admin_flags & ~TRUSTED)
    User.update(admin_flags=flags).where(User.id == user.id).execute()
    user.admin_flags = flags


def on_video_published(video: Video) -> None:
    """Auto-block: a new video of a user not trusted waits for a moderator (registered
    before federation and notifications: they see it blocked)."""
    if not video.is_local or not auto_block_enabled():
        return
    owner = User.get_or_none(User.id == videos.owner_id(video))
    if owner is not None and not trusted(owner) and block_of(video) is None:
        block(None, video, "", kind=BlockKind.AUTO)


LISTENERS = [("video.published", on_video_published)]
