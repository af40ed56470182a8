"""Videos and their renditions."""

from __future__ import annotations

import enum
import json

import peewee

from models import BaseModel, utcnow
from models.accounts import Channel


class Privacy(enum.IntEnum):
    """PeerTube's privacy numbers."""

    PUBLIC = 1
    UNLISTED = 2
    PRIVATE = 3

    @property
    def label(self) -> str:
        return {1: "Public", 2: "Unlisted", 3: "Private"}[self.value]


class State(enum.StrEnum):
    """Life of a video: uploaded -> transcoding -> published | failed."""

    UPLOADED = "uploaded"
    TRANSCODING = "transcoding"
    PUBLISHED = "published"
    FAILED = "failed"

    @property
    def api(self) -> dict:
        """PeerTube's {id, label} for this state."""
        if self is State.PUBLISHED:
            return {"id": 1, "label": "Published"}
        if self is State.FAILED:
            return {"id": 7, "label": "Transcoding failed"}
        return {"id": 2, "label": "To transcode"}


class JSONListField(peewee.TextField):
    """A list stored as JSON text (tags: at most five short strings)."""

    def db_value(self, value: list | None) -> str:
        return json.dumps(list(value or []), ensure_ascii=False)

    def python_value(self, value: str | None) -> list:
        return json.loads(value) if value else []


class Video(BaseModel):
    """A video, local or remote."""

    uuid = peewee.UUIDField(unique=True)
    channel = peewee.ForeignKeyField(Channel, backref="videos", on_delete="CASCADE")
    name = peewee.CharField(max_length=120)
    description = peewee.TextField(default="")
    support = peewee.TextField(default="")
    tags = JSONListField(default=list)
    category = peewee.IntegerField(null=True)
    licence = peewee.IntegerField(null=True)
    language = peewee.CharField(max_length=10, null=True)
    privacy = peewee.SmallIntegerField(default=Privacy.PUBLIC, index=True)
    nsfw = peewee.BooleanField(default=False)
    comments_enabled = peewee.BooleanField(default=True)
    download_enabled = peewee.BooleanField(default=True)
    state = peewee.CharField(max_length=16, default=State.UPLOADED, index=True)
    state_error = peewee.TextField(default="")
    progress = peewee.SmallIntegerField(default=0)
    duration = peewee.IntegerField(default=0)
    aspect_ratio = peewee.FloatField(null=True)
    views = peewee.IntegerField(default=0)
    likes = peewee.IntegerField(default=0)
    dislikes = peewee.IntegerField(default=0)
    # The upload as received, kept until the owner deletes the video.
    original_path = peewee.CharField(max_length=500, default="")
    original_filename = peewee.CharField(max_length=255, default="")
    original_size = peewee.BigIntegerField(default=0)
    # HLS output: media/hls/<uuid>/<hls_master>
    hls_master = peewee.CharField(max_length=2000, default="")
    hls_sha256 = peewee.CharField(max_length=2000, default="")
    thumbnail = peewee.CharField(max_length=2000, default="")
    preview = peewee.CharField(max_length=2000, default="")
    ap_id = peewee.CharField(max_length=2000, null=True, unique=True)
    created_at = peewee.DateTimeField(default=utcnow, index=True)
    updated_at = peewee.DateTimeField(default=utcnow)
    published_at = peewee.DateTimeField(null=True, index=True)
    fetched_at = peewee.DateTimeField(null=True)  # remote videos: last fetched from origin

    @property
    def state_enum(self) -> State:
        return State(self.state)

    @property
    def privacy_enum(self) -> Privacy:
        return Privacy(self.privacy)

    @property
    def is_local(self) -> bool:
        return self.ap_id is None

    @property
    def is_published(self) -> bool:
        return self.state == State.PUBLISHED


class VideoFile(BaseModel):
    """One rendition: a fragmented MP4 with its HLS variant playlist."""

    video = peewee.ForeignKeyField(Video, backref="files", on_delete="CASCADE")
    resolution = peewee.IntegerField()  # height; 0 for audio only
    width = peewee.IntegerField(default=0)
    height = peewee.IntegerField(default=0)
    fps = peewee.FloatField(default=0)
    size = peewee.BigIntegerField(default=0)
    bandwidth = peewee.IntegerField(default=0)
    codecs = peewee.CharField(max_length=100, default="")
    filename = peewee.CharField(max_length=2000)  # a URL for remote videos
    playlist = peewee.CharField(max_length=2000)
    has_audio = peewee.BooleanField(default=True)
    has_video = peewee.BooleanField(default=True)
    # The torrent's info dictionary, fixed when the rendition is made (see app/torrents.py).
    infohash = peewee.CharField(max_length=40, default="", index=True)
    torrent_name = peewee.CharField(max_length=300, default="")
    piece_length = peewee.IntegerField(default=0)
    pieces = peewee.BlobField(null=True)

    class Meta:
        indexes = ((("video", "resolution"), True),)


class Storyboard(BaseModel):
    """A video's storyboard: one sprite of tiles the player shows above its seek bar."""

    video = peewee.ForeignKeyField(Video, unique=True, on_delete="CASCADE")
    filename = peewee.CharField(max_length=2000)  # in the video's folder; a URL for remote videos
    tile_width = peewee.IntegerField()
    tile_height = peewee.IntegerField()
    tile_duration = peewee.IntegerField()  # seconds each tile covers
    width = peewee.IntegerField()  # the whole sprite
    height = peewee.IntegerField()


def save_storyboard(
    video: Video, board: object | None, filename: str, *, replace: bool = True
) -> None:
    """Store the storyboard `board` (tile_width, tile_height, tile_duration, width, height)
    of a video under `filename` (a URL for a remote video), in place of any other."""
    if replace:
        Storyboard.delete().where(Storyboard.video == video).execute()
    if board is not None:
        Storyboard.create(
            video=video,
            filename=filename,
            tile_width=board.tile_width,
            tile_height=board.tile_height,
            tile_duration=board.tile_duration,
            width=board.width,
            height=board.height,
        )


class ViewDay(BaseModel):
    """Views a video gained on one day (UTC): counted here for local videos, the growth of
    the origin's count for remote ones. What "trending" ranks by (PeerTube's video views
    history)."""

    video = peewee.ForeignKeyField(Video, on_delete="CASCADE")
    day = peewee.DateField(index=True)
    views = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("video", "day"), True),)
