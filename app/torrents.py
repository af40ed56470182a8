"""Torrents of each rendition: any BitTorrent client completes them from the WebSeed.

The info dictionary (name, length, piece length, SHA-1 of every piece) is
computed once, when the rendition is made, and stored with it: the infohash
never changes afterwards. The .torrent file itself wraps it with this server's
trackers and the fragmented MP4's URL as WebSeed (BEP 19 url-list), so it is
built on request from the stored parts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

from app.settings import Settings
from app.tracker import bencode
from models.videos import Video, VideoFile

MIN_PIECE = 16 * 1024
MAX_PIECE = 4 * 1024 * 1024
TARGET_PIECES = 1024


@dataclass(frozen=True)
class TorrentInfo:
    name: str
    length: int
    piece_length: int
    pieces: bytes  # concatenated SHA-1 digests

    @property
    def info(self) -> dict:
        return {
            "length": self.length,
            "name": self.name,
            "piece length": self.piece_length,
            "pieces": self.pieces,
        }

    @property
    def infohash(self) -> str:
        return hashlib.sha1(bencode(self.info), usedforsecurity=False).hexdigest()


def piece_length_for(size: int) -> int:
    """About a thousand pieces, a power of two between 16 KiB and 4 MiB (as WebTorrent picks)."""
    length = MIN_PIECE
    while length < MAX_PIECE and size / length > TARGET_PIECES:
        length *= 2
    return length


def file_name(video_name: str, resolution: int) -> str:
    """PeerTube's file name inside the torrent: the title with ':' made '-', then '240p.mp4'."""
    title = video_name.replace(":", "-").replace("/", "-").strip() or "video"
    label = f"{resolution}p" if resolution else "audio"
    return f"{title} {label}.mp4"


def hash_file(path: Path, name: str) -> TorrentInfo:
    """Read the file once and hash its pieces."""
    size = path.stat().st_size
    piece = piece_length_for(size)
    digests = bytearray()
    with path.open("rb") as fh:
        while chunk := fh.read(piece):
            digests += hashlib.sha1(chunk, usedforsecurity=False).digest()
    return TorrentInfo(name=name, length=size, piece_length=piece, pieces=bytes(digests))


def trackers(settings: Settings) -> tuple[str, str]:
    """(WebSocket tracker, HTTP tracker) of this server."""
    return (
        f"{settings.ws_scheme}://{settings.host}/tracker/socket",
        f"{settings.base_url}/tracker/announce",
    )


def torrent_file(
    settings: Settings, info: TorrentInfo, webseed: str, created: int, mirrors: Sequence[str] = ()
) -> bytes:
    """The .torrent: trackers, PeerTube's top-level keys, the WebSeed (and the same file
    on the servers that mirror the video) as url-list."""
    ws, http = trackers(settings)
    return bencode(
        {
            "announce": ws,
            "announce-list": [[ws], [http]],
            "created by": "Shoal",
            "creation date": created,
            "encoding": "UTF-8",
            "info": info.info,
            "url-list": [webseed, *mirrors],
        }
    )


def torrent_url(settings: Settings, video: Video, f: VideoFile, *, download: bool = False) -> str:
    """Where a local rendition's .torrent is served (PeerTube's paths); `download` to save it."""
    folder = "download" if download else "lazy-static"
    return f"{settings.base_url}/{folder}/torrents/{video.uuid}-{f.resolution}-hls.torrent"


def magnet(settings: Settings, infohash: str, title: str, torrent_url: str, webseed: str) -> str:
    """A magnet link as PeerTube writes it: xs, xt, dn, both trackers, ws."""
    ws, http = trackers(settings)
    q = quote_plus
    return (
        f"magnet:?xs={q(torrent_url)}&xt=urn:btih:{infohash}&dn={q(title)}"
        f"&tr={q(http)}&tr={q(ws)}&ws={q(webseed)}"
    )
