"""PeerTube-style HLS files around fragmented MP4s: box walk, playlists, segment hashes.

Each rendition is ONE fragmented MP4 (``ftyp`` + ``moov`` init section, then
``moof`` + ``mdat`` fragments). Players address the init section and every
segment by byte range from the variant playlist, and p2p-media-loader checks
each segment it gets from a peer against ``segments-sha256.json``. Everything
here is derived from the written file itself, so what the playlists say is
what the bytes are.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

# ISO BMFF flags we read (ISO/IEC 14496-12).
_TFHD_BASE_DATA_OFFSET = 0x01
_TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02
_TFHD_DEFAULT_DURATION = 0x08
_TFHD_DEFAULT_SIZE = 0x10
_TFHD_DEFAULT_FLAGS = 0x20
_TRUN_DATA_OFFSET = 0x01
_TRUN_FIRST_SAMPLE_FLAGS = 0x04
_TRUN_DURATION = 0x100
_TRUN_SIZE = 0x200
_TRUN_FLAGS = 0x400
_TRUN_CTS = 0x800
_SAMPLE_IS_NON_SYNC = 0x10000


class Mp4LayoutError(ValueError):
    """The file is not the fragmented MP4 we expect to have written."""


@dataclass(frozen=True)
class Track:
    """One track of the init section, as a player sees it."""

    track_id: int
    kind: str  # 'video' or 'audio'
    timescale: int
    codec: str  # RFC 6381 string, e.g. 'avc1.64001e' or 'mp4a.40.2'
    default_duration: int  # from mvex/trex, 0 when absent


@dataclass(frozen=True)
class Segment:
    """One moof+mdat fragment: byte range, start time and duration in seconds."""

    offset: int
    size: int
    start: float
    duration: float
    starts_with_keyframe: bool


@dataclass(frozen=True)
class Fmp4Layout:
    """The byte layout of a fragmented MP4 file."""

    size: int
    init_size: int
    tracks: tuple[Track, ...]
    segments: tuple[Segment, ...]

    @property
    def codecs(self) -> str:
        """The CODECS attribute value: video first, then audio."""
        ordered = sorted(self.tracks, key=lambda t: t.kind != "video")
        return ",".join(t.codec for t in ordered)


def _boxes(data: bytes | memoryview, start: int = 0, end: int | None = None) -> Iterator:
    """Yield (type, payload_start, box_end) for the boxes in data[start:end]."""
    end = len(data) if end is None else end
    pos = start
    while pos < end:
        if end - pos < 8:
            raise Mp4LayoutError(f"truncated box header at {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise Mp4LayoutError(f"truncated large box header at {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Mp4LayoutError(f"box {kind!r} at {pos} overruns its parent")
        yield kind.decode("latin-1"), pos + header, pos + size
        pos += size


def _child(data: bytes | memoryview, start: int, end: int, kind: str) -> tuple[int, int] | None:
    for box, payload, box_end in _boxes(data, start, end):
        if box == kind:
            return payload, box_end
    return None


def _path(data: bytes | memoryview, start: int, end: int, *kinds: str) -> tuple[int, int] | None:
    span: tuple[int, int] | None = (start, end)
    for kind in kinds:
        if span is None:
            return None
        span = _child(data, span[0], span[1], kind)
    return span


def _avc_codec(data: bytes | memoryview, start: int, end: int) -> str:
    # avc1 sample entry: 8 bytes SampleEntry + 70 bytes VisualSampleEntry, then boxes.
    avcc = _child(data, start + 78, end, "avcC")
    if avcc is None:
        raise Mp4LayoutError("avc1 sample entry without avcC")
    profile, compat, level = data[avcc[0] + 1], data[avcc[0] + 2], data[avcc[0] + 3]
    return f"avc1.{profile:02x}{compat:02x}{level:02x}"


def _mp4a_codec(data: bytes | memoryview, start: int, end: int) -> str:
    # mp4a sample entry: 8 bytes SampleEntry + 20 bytes AudioSampleEntry, then esds.
    esds = _child(data, start + 28, end, "esds")
    if esds is None:
        return "mp4a.40.2"
    pos, stop = esds[0] + 4, esds[1]  # skip version/flags

    def descriptor(at: int) -> tuple[int, int, int]:
        tag = data[at]
        at += 1
        length = 0
        for _ in range(4):
            byte = data[at]
            at += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        return tag, at, at + length

    tag, body, _ = descriptor(pos)
    if tag != 0x03:  # ES_Descriptor
        return "mp4a.40.2"
    flags = data[body + 2]
    pos = body + 3
    if flags & 0x80:
        pos += 2
    if flags & 0x40:
        pos += 1 + data[pos]
    if flags & 0x20:
        pos += 2
    while pos < stop:
        tag, body, after = descriptor(pos)
        if tag == 0x04:  # DecoderConfigDescriptor
            object_type = data[body]
            dsi = body + 13
            if dsi < after and data[dsi] == 0x05:  # DecoderSpecificInfo
                _, dsi_body, _ = descriptor(dsi)
                audio_object_type = data[dsi_body] >> 3
                return f"mp4a.{object_type:x}.{audio_object_type}"
            return f"mp4a.{object_type:x}"
        pos = after
    return "mp4a.40.2"


def _parse_moov(data: bytes | memoryview, start: int, end: int) -> tuple[Track, ...]:
    defaults: dict[int, int] = {}
    mvex = _child(data, start, end, "mvex")
    if mvex is not None:
        for box, payload, _ in _boxes(data, *mvex):
            if box == "trex":
                track_id, _desc, duration = struct.unpack_from(">III", data, payload + 4)
                defaults[track_id] = duration
    tracks = []
    for box, payload, box_end in _boxes(data, start, end):
        if box != "trak":
            continue
        tkhd = _child(data, payload, box_end, "tkhd")
        mdhd = _path(data, payload, box_end, "mdia", "mdhd")
        hdlr = _path(data, payload, box_end, "mdia", "hdlr")
        stsd = _path(data, payload, box_end, "mdia", "minf", "stbl", "stsd")
        if not (tkhd and mdhd and hdlr and stsd):
            raise Mp4LayoutError("incomplete trak in moov")
        version = data[tkhd[0]]
        (track_id,) = struct.unpack_from(">I", data, tkhd[0] + (20 if version == 1 else 12))
        version = data[mdhd[0]]
        (timescale,) = struct.unpack_from(">I", data, mdhd[0] + (20 if version == 1 else 12))
        handler = bytes(data[hdlr[0] + 8 : hdlr[0] + 12]).decode("latin-1")
        entry = next(_boxes(data, stsd[0] + 8, stsd[1]), None)
        if entry is None:
            raise Mp4LayoutError("empty stsd")
        fourcc, entry_start, entry_end = entry
        if handler == "vide":
            kind = "video"
            codec = _avc_codec(data, entry_start, entry_end) if fourcc == "avc1" else fourcc
        elif handler == "soun":
            kind = "audio"
            codec = _mp4a_codec(data, entry_start, entry_end) if fourcc == "mp4a" else fourcc
        else:
            continue
        tracks.append(Track(track_id, kind, timescale, codec, defaults.get(track_id, 0)))
    if not tracks:
        raise Mp4LayoutError("moov has no audio or video track")
    return tuple(tracks)


def _parse_traf(
    data: bytes | memoryview, start: int, end: int, tracks: dict[int, Track]
) -> tuple[Track, int, int, bool] | None:
    """Return (track, decode start, summed duration, first sample is sync) of a traf."""
    tfhd = _child(data, start, end, "tfhd")
    if tfhd is None:
        raise Mp4LayoutError("traf without tfhd")
    (flags,) = struct.unpack_from(">I", data, tfhd[0])
    flags &= 0xFFFFFF
    (track_id,) = struct.unpack_from(">I", data, tfhd[0] + 4)
    track = tracks.get(track_id)
    if track is None:
        return None
    pos = tfhd[0] + 8
    if flags & _TFHD_BASE_DATA_OFFSET:
        pos += 8
    if flags & _TFHD_SAMPLE_DESCRIPTION_INDEX:
        pos += 4
    default_duration = track.default_duration
    if flags & _TFHD_DEFAULT_DURATION:
        (default_duration,) = struct.unpack_from(">I", data, pos)
        pos += 4
    if flags & _TFHD_DEFAULT_SIZE:
        pos += 4
    default_flags = 0
    if flags & _TFHD_DEFAULT_FLAGS:
        (default_flags,) = struct.unpack_from(">I", data, pos)
    decode_time = 0
    tfdt = _child(data, start, end, "tfdt")
    if tfdt is not None:
        if data[tfdt[0]] == 1:
            (decode_time,) = struct.unpack_from(">Q", data, tfdt[0] + 4)
        else:
            (decode_time,) = struct.unpack_from(">I", data, tfdt[0] + 4)
    duration = 0
    first_sync: bool | None = None
    for box, payload, _ in _boxes(data, start, end):
        if box != "trun":
            continue
        (tr_flags, count) = struct.unpack_from(">II", data, payload)
        tr_flags &= 0xFFFFFF
        pos = payload + 8
        if tr_flags & _TRUN_DATA_OFFSET:
            pos += 4
        first_flags = None
        if tr_flags & _TRUN_FIRST_SAMPLE_FLAGS:
            (first_flags,) = struct.unpack_from(">I", data, pos)
            pos += 4
        stride = 4 * bin(tr_flags & (_TRUN_DURATION | _TRUN_SIZE | _TRUN_FLAGS | _TRUN_CTS)).count(
            "1"
        )
        for index in range(count):
            field = pos + index * stride
            if tr_flags & _TRUN_DURATION:
                (sample_duration,) = struct.unpack_from(">I", data, field)
                field += 4
            else:
                sample_duration = default_duration
            duration += sample_duration
            if first_sync is None:
                sample_flags = default_flags
                if first_flags is not None:
                    sample_flags = first_flags
                elif tr_flags & _TRUN_FLAGS:
                    if tr_flags & _TRUN_SIZE:
                        field += 4
                    (sample_flags,) = struct.unpack_from(">I", data, field)
                first_sync = not sample_flags & _SAMPLE_IS_NON_SYNC
    return track, decode_time, duration, bool(first_sync)


def _top_level_boxes(handle: BinaryIO, size: int) -> Iterator[tuple[str, int, int, int]]:
    """Yield (type, offset, header length, box size) of a file's top-level boxes.

    Only headers are read, so walking a long video's file costs next to nothing.
    """
    pos = 0
    while pos < size:
        handle.seek(pos)
        header = handle.read(16)
        if len(header) < 8:
            raise Mp4LayoutError(f"truncated box header at {pos}")
        box_size, kind = struct.unpack_from(">I4s", header)
        header_length = 8
        if box_size == 1 and len(header) == 16:
            (box_size,) = struct.unpack_from(">Q", header, 8)
            header_length = 16
        elif box_size == 0:
            box_size = size - pos
        if box_size < header_length or pos + box_size > size:
            raise Mp4LayoutError(f"box {kind!r} at {pos} overruns the file")
        yield kind.decode("latin-1"), pos, header_length, box_size
        pos += box_size


def _read_box(handle: BinaryIO, offset: int, size: int) -> bytes:
    handle.seek(offset)
    return handle.read(size)


def read_layout(path: str) -> Fmp4Layout:
    """Walk the top-level boxes of a fragmented MP4 and describe its segments.

    The init section is everything before the first ``moof``; each segment is
    a ``moof`` and the boxes up to the next ``moof``. Times come from the video
    track when there is one, else from the audio track. Raises
    :class:`Mp4LayoutError` when the file is not laid out that way.
    """
    size = os.path.getsize(path)
    tracks: tuple[Track, ...] = ()
    moofs: list[tuple[int, bytes]] = []
    with open(path, "rb") as handle:
        for kind, offset, header_length, box_size in _top_level_boxes(handle, size):
            if kind == "moov":
                data = _read_box(handle, offset, box_size)
                tracks = _parse_moov(data, header_length, box_size)
            elif kind == "moof":
                moofs.append((offset, _read_box(handle, offset, box_size)))
            elif kind == "mfra":
                raise Mp4LayoutError("unexpected mfra trailer: segments would not reach EOF")
    if not tracks or not moofs:
        raise Mp4LayoutError("not a fragmented MP4 (no moov or no moof)")
    by_id = {t.track_id: t for t in tracks}
    main = next((t for t in tracks if t.kind == "video"), tracks[0])
    segments = []
    for index, (offset, moof) in enumerate(moofs):
        next_offset = moofs[index + 1][0] if index + 1 < len(moofs) else size
        start = duration = 0
        sync = False
        for kind, payload, end in _boxes(moof, 8, len(moof)):
            if kind != "traf":
                continue
            parsed = _parse_traf(moof, payload, end, by_id)
            if parsed is not None and parsed[0] is main:
                _, start, duration, sync = parsed
        segments.append(
            Segment(
                offset=offset,
                size=next_offset - offset,
                start=start / main.timescale,
                duration=duration / main.timescale,
                starts_with_keyframe=sync,
            )
        )
    return Fmp4Layout(size, moofs[0][0], tracks, tuple(segments))


def peak_bandwidth(layout: Fmp4Layout) -> int:
    """Peak bit rate over the segments, as HLS wants for BANDWIDTH (bits/s)."""
    # A short tail segment says little about the peak; ignore it if there are others.
    full = [s for s in layout.segments if s.duration >= 1.0] or list(layout.segments)
    rates = [s.size * 8 / s.duration for s in full if s.duration > 0]
    if not rates:
        return layout.size * 8
    return int(math.ceil(max(rates)))


def write_variant_playlist(path: str, media_filename: str, layout: Fmp4Layout) -> None:
    """Write a byte-range variant playlist for one fragmented MP4 (PeerTube layout)."""
    target = max(1, max((int(s.duration + 0.5) for s in layout.segments), default=1))
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{target}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        f'#EXT-X-MAP:URI="{media_filename}",BYTERANGE="{layout.init_size}@0"',
    ]
    for segment in layout.segments:
        lines.append(f"#EXTINF:{segment.duration:.6f},")
        lines.append(f"#EXT-X-BYTERANGE:{segment.size}@{segment.offset}")
        lines.append(media_filename)
    lines.append("#EXT-X-ENDLIST")
    _write_text(path, "\n".join(lines) + "\n")


@dataclass(frozen=True)
class Variant:
    """One line pair of the master playlist."""

    uri: str
    bandwidth: int
    codecs: str
    width: int = 0
    height: int = 0
    fps: float = 0.0


def format_frame_rate(fps: float) -> str:
    """FRAME-RATE as PeerTube writes it: '25' for whole rates, else three decimals."""
    if abs(fps - round(fps)) < 0.001:
        return str(round(fps))
    return f"{fps:.3f}"


def write_master_playlist(path: str, variants: Sequence[Variant]) -> None:
    """Write the master playlist listing every variant (PeerTube's exact shape)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "", ""]
    for variant in variants:
        attributes = [f"BANDWIDTH={variant.bandwidth}"]
        if variant.height:
            attributes.append(f"RESOLUTION={variant.width}x{variant.height}")
            attributes.append(f"FRAME-RATE={format_frame_rate(variant.fps)}")
        attributes.append(f'CODECS="{variant.codecs}"')
        lines.append("#EXT-X-STREAM-INF:" + ",".join(attributes))
        lines.append(variant.uri)
    _write_text(path, "\n".join(lines) + "\n")


def segment_hashes(path: str, layout: Fmp4Layout) -> dict[str, str]:
    """SHA-256 of every segment, keyed '<first byte>-<last byte>' (inclusive)."""
    hashes = {}
    with open(path, "rb") as handle:
        for segment in layout.segments:
            handle.seek(segment.offset)
            chunk = handle.read(segment.size)
            end = segment.offset + segment.size - 1
            hashes[f"{segment.offset}-{end}"] = hashlib.sha256(chunk).hexdigest()
    return hashes


def write_segments_sha256(path: str, files: dict[str, dict[str, str]]) -> None:
    """Write segments-sha256.json: {fmp4 filename: {'start-end': sha256 hex}}."""
    _write_text(path, json.dumps(files, indent=2) + "\n")


@dataclass(frozen=True)
class MediaFile:
    """A written fragmented MP4 and the playlist name it should get."""

    filename: str
    playlist: str
    width: int = 0
    height: int = 0  # 0 for audio only
    fps: float = 0.0


@dataclass(frozen=True)
class Package:
    """What ``write_package`` wrote besides the media files."""

    layouts: list[Fmp4Layout]
    master: str
    segments_sha256: str


def write_package(out_dir: str, prefix: str, media: Sequence[MediaFile]) -> Package:
    """Write every variant playlist, the master playlist and segments-sha256.json.

    ``media`` lists the fragmented MP4s already in ``out_dir``, highest first;
    the master playlist keeps that order.
    """
    layouts = []
    variants = []
    hashes = {}
    for item in media:
        path = os.path.join(out_dir, item.filename)
        layout = read_layout(path)
        write_variant_playlist(os.path.join(out_dir, item.playlist), item.filename, layout)
        hashes[item.filename] = segment_hashes(path, layout)
        layouts.append(layout)
        variants.append(
            Variant(
                uri=item.playlist,
                bandwidth=peak_bandwidth(layout),
                codecs=layout.codecs,
                width=item.width,
                height=item.height,
                fps=item.fps,
            )
        )
    master = f"{prefix}-master.m3u8"
    write_master_playlist(os.path.join(out_dir, master), variants)
    segments_sha256 = f"{prefix}-segments-sha256.json"
    write_segments_sha256(os.path.join(out_dir, segments_sha256), hashes)
    return Package(layouts, master, segments_sha256)


def _write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    log.debug("wrote %s (%d bytes)", os.path.basename(path), len(text))
