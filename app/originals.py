"""A video's file before its renditions exist: the upload as received.

PeerTube lists a video's file in `files` from the moment of upload, and
clients rely on it: `peertube-cli upload` (through server-commands'
VideosCommand.upload) polls GET /api/v1/videos/{uuid} until
`files[0].torrentUrl` is set, and crashes when `files` is empty. So until
the HLS renditions are published, Shoal lists the original there, as
PeerTube lists an uploaded web video: its probed resolution, a torrent of it
and URLs that serve it.

Probing and hashing read the whole file, so `describe()` runs off the IOLoop
(the upload handlers call it in a thread) and writes what it found to a small
JSON file (`original-info/<uuid>.json` in the data folder); serializing a
video only reads that file. Without it (an upload from before, a file that
could not be read) the entry is still listed, with `torrentUrl` null.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from app import torrents
from app.media.probe import MediaError, probe
from app.settings import Settings
from models.videos import State, Video

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OriginalInfo:
    """What PeerTube's file entry says of the original, and its torrent's info dictionary."""

    resolution: int  # picture height; 0 when there is no picture (or it could not be read)
    width: int
    height: int
    fps: float
    has_audio: bool
    has_video: bool
    torrent: torrents.TorrentInfo


def info_path(settings: Settings, video: Video) -> Path:
    return settings.data_dir / "original-info" / f"{video.uuid}.json"


def original_path(settings: Settings, video: Video) -> Path:
    return settings.originals_dir / video.original_path


def suffix(video: Video) -> str:
    """The original's extension as stored ('.mp4', or '' when it had none we keep)."""
    return Path(video.original_path).suffix


def is_listed(video: Video) -> bool:
    """A local video shows (and serves) its original until its renditions are published."""
    return video.is_local and bool(video.original_path) and video.state != State.PUBLISHED


def describe(settings: Settings, video: Video) -> OriginalInfo:
    """Probe and hash the original, and keep the result. Slow: call it in a thread.

    Needs no database: `video` only gives its uuid, name and stored file name.
    """
    path = original_path(settings, video)
    try:
        found = probe(str(path))
    except MediaError as err:  # transcoding will say so to the owner; list it without a size
        log.info("original of %s not probed: %s", video.uuid, err)
        found = None
    height = found.height if found is not None and found.has_video else 0
    title = video.name.replace(":", "-").replace("/", "-").strip() or "video"
    label = f"{height}p" if height else "audio"
    info = OriginalInfo(
        resolution=height,
        width=found.width if found is not None else 0,
        height=height,
        fps=found.fps if found is not None else 0.0,
        has_audio=found.has_audio if found is not None else False,
        has_video=found.has_video if found is not None else False,
        torrent=torrents.hash_file(path, f"{title} {label}{suffix(video) or '.mp4'}"),
    )
    target = info_path(settings, video)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
    tmp.write_text(
        json.dumps(
            {
                "resolution": info.resolution,
                "width": info.width,
                "height": info.height,
                "fps": info.fps,
                "hasAudio": info.has_audio,
                "hasVideo": info.has_video,
                "torrentName": info.torrent.name,
                "length": info.torrent.length,
                "pieceLength": info.torrent.piece_length,
                "pieces": info.torrent.pieces.hex(),
            }
        )
    )
    os.replace(tmp, target)
    return info


def load(settings: Settings, video: Video) -> OriginalInfo | None:
    """What describe() kept for this video, or None."""
    try:
        raw = json.loads(info_path(settings, video).read_text())
        return OriginalInfo(
            resolution=int(raw["resolution"]),
            width=int(raw["width"]),
            height=int(raw["height"]),
            fps=float(raw["fps"]),
            has_audio=bool(raw["hasAudio"]),
            has_video=bool(raw["hasVideo"]),
            torrent=torrents.TorrentInfo(
                name=str(raw["torrentName"]),
                length=int(raw["length"]),
                piece_length=int(raw["pieceLength"]),
                pieces=bytes.fromhex(raw["pieces"]),
            ),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as err:
        log.warning("original info of %s unreadable: %s", video.uuid, err)
        return None


def forget(settings: Settings, video: Video) -> None:
    """Remove what describe() kept (the video is being deleted)."""
    info_path(settings, video).unlink(missing_ok=True)


def file_url(settings: Settings, video: Video, resolution: int, *, download: bool = False) -> str:
    """Where the original is served, named as PeerTube names a web video file."""
    folder = "download" if download else "static"
    return f"{settings.base_url}/{folder}/web-videos/{video.uuid}-{resolution}{suffix(video)}"


def torrent_url(
    settings: Settings, video: Video, resolution: int, *, download: bool = False
) -> str:
    folder = "download" if download else "lazy-static"
    return f"{settings.base_url}/{folder}/torrents/{video.uuid}-{resolution}.torrent"


def torrent_file(settings: Settings, video: Video, info: OriginalInfo) -> bytes:
    """The original's .torrent, its file URL as WebSeed."""
    return torrents.torrent_file(
        settings,
        info.torrent,
        file_url(settings, video, info.resolution),
        int(video.created_at.timestamp()),
    )
