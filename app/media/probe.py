"""Probe an uploaded file with PyAV and refuse what cannot become a video.

``probe`` opens the file, requires that at least one audio or video frame
really decodes, and checks dimensions and duration. Every problem with the
input is a :class:`MediaError` whose message is a sentence the video's owner
can read; no other exception type escapes for bad input.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error

log = logging.getLogger(__name__)

MIN_SIDE = 16
MAX_SIDE = 8192
MAX_DURATION = 24 * 3600.0
MIN_DURATION = 0.04
# Packets to demux looking for a first audio and video frame; once a stream has its
# frame, its further packets are only read, not decoded, so a high limit is cheap.
_PROBE_PACKET_LIMIT = 5000


class MediaError(Exception):
    """Bad input; str(err) is a clear sentence shown to the video's owner."""


@dataclass(frozen=True)
class ProbeResult:
    """What the pipeline needs to know about a source file."""

    duration: float  # seconds
    width: int  # 0 when audio-only
    height: int  # 0 when audio-only
    fps: float  # 0 when audio-only
    has_video: bool
    has_audio: bool


def pick_streams(
    container: av.container.InputContainer,
) -> tuple[av.video.stream.VideoStream | None, av.audio.stream.AudioStream | None]:
    """The first real video stream (cover art excluded) and the first audio stream."""
    video = None
    for stream in container.streams.video:
        if stream.disposition & av.stream.Disposition.attached_pic:
            continue
        if stream.codec_context is None:
            continue
        video = stream
        break
    audio = next((s for s in container.streams.audio if s.codec_context is not None), None)
    return video, audio


def frame_rate(stream: av.video.stream.VideoStream) -> Fraction | None:
    """The stream's average frame rate, falling back to the guessed one."""
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 0 < rate <= 1000:
            return Fraction(rate)
    return None


def _duration(container: av.container.InputContainer, streams: list) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    best = None
    for stream in streams:
        if stream.duration and stream.time_base:
            seconds = float(stream.duration * stream.time_base)
            best = seconds if best is None else max(best, seconds)
    return best


def _open(path: str) -> av.container.InputContainer:
    try:
        return av.open(path, "r", metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        log.info("probe: cannot open %s: %s", path, err)
        raise MediaError(
            "This file could not be read as video or audio; it may be damaged, "
            "incomplete, or in a format we do not support."
        ) from err


def _first_frames(
    container: av.container.InputContainer,
    video: av.video.stream.VideoStream | None,
    audio: av.audio.stream.AudioStream | None,
) -> tuple[av.VideoFrame | None, av.AudioFrame | None]:
    """Decode until we have one frame of each wanted stream (or give up)."""
    wanted = [s for s in (video, audio) if s is not None]
    got: dict[int, av.frame.Frame] = {}
    packets = 0
    try:
        for packet in container.demux(wanted):
            packets += 1
            if packet.stream.index in got:
                if len(got) == len(wanted) or packets > _PROBE_PACKET_LIMIT:
                    break
                continue
            try:
                frames = packet.decode()
            except (av.error.InvalidDataError, ValueError):
                frames = []  # a stream may start with undecodable packets
            if frames:
                got[packet.stream.index] = frames[0]
            if len(got) == len(wanted) or packets > _PROBE_PACKET_LIMIT:
                break
    except av.error.FFmpegError as err:
        log.info("probe: demux failed after %d packets: %s", packets, err)
        if not got:
            raise MediaError(
                "This file is damaged: no picture or sound could be decoded from it."
            ) from err
    video_frame = got.get(video.index) if video is not None else None
    audio_frame = got.get(audio.index) if audio is not None else None
    return video_frame, audio_frame  # type: ignore[return-value]


def _reaches_end(
    container: av.container.InputContainer, stream: av.stream.Stream, end: float
) -> bool:
    """Whether any packet can be read about a second before the stated end.

    An MP4 cut short keeps a complete index, so the seek lands beyond the
    bytes that are really there and nothing can be read.
    """
    try:
        container.seek(int(max(0.0, end - 1.0) * av.time_base), backward=True)
        return any(packet.size for packet in container.demux(stream))
    except av.error.FFmpegError as err:
        log.info("probe: seek near the end failed (%s); not judging completeness", err)
        return True


def probe(path: str) -> ProbeResult:
    """Inspect a media file and return its duration, size and frame rate.

    Raises :class:`MediaError` for an empty or unreadable file, a file with no
    decodable audio or video, absurd picture dimensions, or an unknown or
    absurd duration.
    """
    try:
        size = os.path.getsize(path)
    except OSError as err:
        raise MediaError("The uploaded file could not be found.") from err
    if size == 0:
        raise MediaError("The uploaded file is empty.")

    with _open(path) as container:
        video, audio = pick_streams(container)
        if video is None and audio is None:
            raise MediaError("This file contains neither video nor audio.")
        for stream in (video, audio):
            if stream is not None:
                stream.codec_context.thread_type = "AUTO"
        video_frame, audio_frame = _first_frames(container, video, audio)
        if video_frame is None and audio_frame is None:
            raise MediaError("No picture or sound could be decoded from this file.")
        duration = _duration(container, [s for s in (video, audio) if s is not None])
        fps = 0.0
        width = height = 0
        if video_frame is not None:
            width, height = video_frame.width, video_frame.height
            if round(video_frame.rotation) % 180:
                width, height = height, width  # phones store portrait video turned
            if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
                raise MediaError(
                    f"The picture is {width}x{height} pixels; videos must be between "
                    f"{MIN_SIDE} and {MAX_SIDE} pixels on each side."
                )
            rate = frame_rate(video)  # type: ignore[arg-type]
            fps = float(rate) if rate else 25.0
        main = video if video_frame is not None else audio
        if duration and duration > 2.0 and not _reaches_end(container, main, duration):
            raise MediaError(
                "This file is incomplete: it stops before its stated end. Please upload it again."
            )

    if duration is None or duration != duration:  # None or NaN
        raise MediaError("The length of this file could not be determined.")
    if duration < MIN_DURATION:
        raise MediaError("This file is too short to be a video.")
    if duration > MAX_DURATION:
        raise MediaError(
            f"This file claims to last {duration / 3600:.0f} hours, which is too long."
        )
    result = ProbeResult(
        duration=round(duration, 3),
        width=width,
        height=height,
        fps=round(fps, 3),
        has_video=video_frame is not None,
        has_audio=audio_frame is not None,
    )
    log.debug("probe %s: %s", path, result)
    return result
