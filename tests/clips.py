"""Tiny real media clips for tests, generated with PyAV from lavfi sources.

``make_clip`` writes an H.264/AAC MP4 (or an AAC ``.m4a`` when there is no
video) showing FFmpeg's moving ``testsrc2`` pattern with a sine tone, so the
media pipeline is exercised on genuine, decodable streams in well under a
second.
"""

from __future__ import annotations

import fractions
import os
from collections.abc import Iterator

import av
import av.filter

__all__ = ["make_clip"]

_SAMPLE_RATE = 48000


def _pull_all(graph_sink: av.filter.FilterContext) -> Iterator[av.frame.Frame]:
    """Drain a lavfi source graph whose sink is ``graph_sink``, lazily."""
    while True:
        try:
            yield graph_sink.pull()
        except (av.error.EOFError, av.error.BlockingIOError):
            return


def _video_frames(
    seconds: float, width: int, height: int, fps: float, noise: int
) -> Iterator[av.frame.Frame]:
    graph = av.filter.Graph()
    src = graph.add("testsrc2", f"size={width}x{height}:rate={fps}:duration={seconds}")
    last = src
    if noise:
        # Temporal noise makes the picture cost as much to encode as camera footage does.
        last_noise = graph.add("noise", f"alls={noise}:allf=t")
        last.link_to(last_noise)
        last = last_noise
    fmt = graph.add("format", "yuv420p")
    sink = graph.add("buffersink")
    last.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    yield from _pull_all(sink)


def _audio_frames(seconds: float) -> Iterator[av.frame.Frame]:
    graph = av.filter.Graph()
    src = graph.add("sine", f"frequency=440:beep_factor=4:sample_rate={_SAMPLE_RATE}:d={seconds}")
    fmt = graph.add("aformat", "sample_fmts=fltp:channel_layouts=stereo")
    sink = graph.add("abuffersink")
    src.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    yield from _pull_all(sink)


def make_clip(
    path: str,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: float = 25,
    audio: bool = True,
    video: bool = True,
    *,
    noise: int = 0,
    crf: int = 23,
    rotation: int = 0,
) -> str:
    """Write a small real clip to ``path`` and return ``path``.

    The video is H.264 (ultrafast, keyframe every second) and the audio AAC
    stereo 48 kHz; with ``video=False`` the file should be named ``.m4a``.
    ``noise`` adds temporal grain (for benchmarks that want camera-like cost);
    ``rotation`` (degrees counter-clockwise) tags the video the way phones do.
    """
    if not (audio or video):
        raise ValueError("a clip needs audio, video or both")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    rate = fractions.Fraction(fps).limit_denominator(1001)
    with av.open(path, "w") as out:
        vstream = astream = None
        if video:
            vstream = out.add_stream(
                "libx264",
                rate=rate,
                options={"preset": "ultrafast", "crf": str(crf), "g": str(max(1, round(fps)))},
            )
            vstream.width = width
            vstream.height = height
            vstream.pix_fmt = "yuv420p"
            vstream.codec_context.thread_type = "AUTO"
            if rotation:
                vstream.set_display_rotation(rotation)
        if audio:
            astream = out.add_stream("aac", rate=_SAMPLE_RATE, layout="stereo")
            astream.bit_rate = 96000
        # Interleave by time so that long clips stream instead of piling up in memory.
        audio_frames = _audio_frames(seconds) if astream is not None else iter(())
        audio_time = 0.0
        if vstream is not None:
            for frame in _video_frames(seconds, width, height, fps, noise):
                frame.pict_type = av.video.frame.PictureType.NONE
                out.mux(vstream.encode(frame))
                video_time = float(frame.pts * frame.time_base)
                while astream is not None and audio_time <= video_time:
                    aframe = next(audio_frames, None)
                    if aframe is None:
                        break
                    audio_time = float(aframe.pts * aframe.time_base)
                    out.mux(astream.encode(aframe))
            out.mux(vstream.encode(None))
        if astream is not None:
            for aframe in audio_frames:
                out.mux(astream.encode(aframe))
            out.mux(astream.encode(None))
    return path
