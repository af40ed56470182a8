"""Transcode a source file into PeerTube-style HLS renditions, decoding it once.

The calling thread demuxes and decodes the source, encodes the audio once
(AAC) and hands every decoded picture and audio packet to one thread per
rendition. Each rendition thread scales with its own lavfi graph (frame rate,
size, pixel format), encodes H.264 with libx264 and muxes a fragmented MP4.
Decoding, scaling, encoding and muxing all release the GIL in PyAV, so the
threads overlap; bounded queues keep memory flat. Keyframes are forced every
two seconds in every rendition (no scene-cut keyframes) so that the four-second
segments of all renditions start at the same instant.

Afterwards the fragmented MP4s are walked box by box to write the byte-range
variant playlists, the master playlist and segments-sha256.json, and a
thumbnail and a preview image are cut from a frame near the start.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import av.filter

from app.media import hls
from app.media.probe import MediaError, ProbeResult, frame_rate, pick_streams, probe

log = logging.getLogger(__name__)

DEFAULT_LADDER = (1080, 720, 480, 360, 240)

SEGMENT_SECONDS = 4.0
GOP_SECONDS = 2.0
MAX_FPS = 60
CRF = 23
PRESET = "veryfast"
SCALER = "bicubic"
AUDIO_BITRATE = 128_000
# Peak video bit rates: CRF keeps quality, the cap bounds the HLS BANDWIDTH.
MAXRATES = {144: 250_000, 240: 400_000, 360: 800_000, 480: 1_200_000, 720: 2_500_000}
MAXRATES |= {1080: 4_500_000, 1440: 8_000_000, 2160: 14_000_000}
THUMBNAIL_WIDTH = 280
PREVIEW_WIDTH = 850
# Frames waiting per rendition; a 1080p frame is 3 MB and the queues share frames.
QUEUE_FRAMES = 24
PROGRESS_INTERVAL = 0.5
_MOVFLAGS = "empty_moov+default_base_moof+delay_moov+skip_trailer"


@dataclass(frozen=True)
class Rendition:
    """One HLS variant: a fragmented MP4 and its byte-range playlist."""

    height: int  # 0 for the audio-only rendition
    width: int
    fps: float
    bandwidth: int  # peak-ish bits/s, as for the HLS BANDWIDTH attribute
    codecs: str  # e.g. 'avc1.64001e,mp4a.40.2'
    filename: str  # '<prefix>-<height>-fragmented.mp4'
    playlist: str  # '<prefix>-<height>.m3u8'
    size: int  # bytes of the fragmented mp4
    has_video: bool
    has_audio: bool


@dataclass(frozen=True)
class TranscodeResult:
    """Everything ``transcode`` wrote, by file name inside ``out_dir``."""

    duration: float
    aspect_ratio: float  # width/height of the source display, rounded 4 (0 when audio-only)
    renditions: list[Rendition]  # highest first
    master: str  # '<prefix>-master.m3u8'
    segments_sha256: str  # '<prefix>-segments-sha256.json'
    thumbnail: str  # 'thumbnail.jpg' ('' when audio-only)
    preview: str  # 'preview.jpg' ('' when audio-only)


def even(value: float) -> int:
    """Round to the nearest even integer, at least 2 (H.264 4:2:0 needs even sides)."""
    return max(2, 2 * round(value / 2))


def plan_ladder(src_height: int, ladder: Sequence[int]) -> list[int]:
    """Heights to produce, highest first: the ladder's steps not above the source.

    Never upscales; when no step fits, the source height itself (made even)
    is the only rendition.
    """
    heights = sorted({h for h in ladder if 0 < h <= src_height}, reverse=True)
    return heights or [max(2, src_height - src_height % 2)]


def maxrate_for(height: int, fps: float) -> int:
    """The VBV cap for a height, 50% more above 30 fps."""
    rate = MAXRATES.get(height) or int(4_500_000 * (height / 1080) ** 1.5)
    rate = max(150_000, rate)
    return int(rate * 1.5) if fps > 31 else rate


def x264_options(height: int, fps: float, gop: int) -> dict[str, str]:
    """libx264 settings shared by every rendition (also used by the benchmark)."""
    maxrate = maxrate_for(height, fps)
    return {
        "preset": PRESET,
        "crf": str(CRF),
        "maxrate": str(maxrate),
        "bufsize": str(2 * maxrate),
        "g": str(gop),
        "keyint_min": str(gop),
        "sc_threshold": "0",
        # Scene-cut keyframes would break the alignment of segments across renditions.
        "x264-params": "scenecut=0:open-gop=0",
    }


# libx264 frame threads per rendition height (0 = x264's own choice, 1.5 per core).
X264_THREADS: dict[int, int] = {}
GRAPH_THREADS = 1


def x264_threads(height: int) -> int:
    """Frame threads for one rendition's encoder."""
    return X264_THREADS.get(height, 0)


def _rotation_filters(rotation: float) -> list[tuple[str, str]]:
    # PyAV reports the display matrix rotation counter-clockwise, as ffmpeg's autorotate reads it.
    turn = round(-rotation) % 360
    if turn == 90:
        return [("transpose", "clock")]
    if turn == 270:
        return [("transpose", "cclock")]
    if turn == 180:
        return [("hflip", ""), ("vflip", "")]
    return []


@dataclass(frozen=True)
class _Plan:
    height: int
    width: int
    filename: str
    playlist: str
    sar: Fraction = Fraction(1)


class _Worker(threading.Thread):
    """Scale, encode and mux one rendition from frames handed over by the decoder."""

    def __init__(
        self,
        plan: _Plan,
        path: str,
        fps: Fraction | None,
        audio_rate: int | None,
        abort: threading.Event,
    ) -> None:
        super().__init__(name=f"transcode-{plan.height}", daemon=True)
        self.plan = plan
        self.path = path
        self.fps = fps
        self.abort = abort
        self.queue: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self.error: BaseException | None = None
        self.frames_out = 0
        self._graph: av.filter.Graph | None = None
        self._src: av.filter.FilterContext | None = None
        self._sink: av.filter.FilterContext | None = None
        options = {"movflags": _MOVFLAGS}
        if fps is not None:
            gop = round(GOP_SECONDS * fps)
            options["movflags"] += "+frag_keyframe"
            # Cut a fragment at every second keyframe: segments of two GOPs.
            options["min_frag_duration"] = str(int(1.5 * gop / fps * 1_000_000))
        else:
            options["frag_duration"] = str(int(SEGMENT_SECONDS * 1_000_000))
        self.out = av.open(path, "w", format="mp4", container_options=options)
        self.vstream = self.astream = None
        if fps is not None:
            self.vstream = self.out.add_stream(
                "libx264", rate=fps, options=x264_options(plan.height, float(fps), gop)
            )
            self.vstream.width = plan.width
            self.vstream.height = plan.height
            self.vstream.pix_fmt = "yuv420p"
            self.vstream.time_base = 1 / fps
            context = self.vstream.codec_context
            context.time_base = 1 / fps
            # PyAV defaults to slice threads; x264's frame threads are faster.
            context.thread_type = "FRAME"
            context.thread_count = x264_threads(plan.height)
        if audio_rate is not None:
            # This encoder only provides the stream header: packets come from the shared one.
            self.astream = self.out.add_stream("aac", rate=audio_rate, layout="stereo")
            self.astream.bit_rate = AUDIO_BITRATE

    def put(self, item: av.VideoFrame | av.Packet | None) -> None:
        """Hand over a decoded picture, an encoded audio packet, or None at the end."""
        self.queue.put(item)

    def run(self) -> None:
        ended = False
        try:
            ended = self._loop()
            if not self.abort.is_set():
                self._finish()
        except BaseException as err:  # reported to the caller by transcode()
            self.error = err
            self.abort.set()
            log.debug("rendition %s failed", self.plan.height, exc_info=True)
            while not ended:  # keep the decoder from blocking on a full queue
                ended = self.queue.get() is None
        finally:
            try:
                self.out.close()
            except av.error.FFmpegError:
                if self.error is None and not self.abort.is_set():
                    raise

    def _loop(self) -> bool:
        get = self.queue.get
        mux = self.out.mux
        video_type = av.VideoFrame
        abort = self.abort
        while True:
            item = get()
            if item is None:
                return True
            if abort.is_set():
                continue
            if type(item) is video_type:
                if self._src is None:
                    self._build_graph(item)
                self._src.push(item)  # type: ignore[union-attr]
                self._drain_graph()
            else:
                mux(self._copy_audio(item))

    def _finish(self) -> None:
        if self._src is not None:
            self._src.push(None)
            self._drain_graph()
        if self.vstream is not None:
            self.out.mux(self.vstream.encode(None))

    def _drain_graph(self) -> None:
        pull = self._sink.pull  # type: ignore[union-attr]
        encode = self.vstream.encode  # type: ignore[union-attr]
        mux = self.out.mux
        while True:
            try:
                frame = pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            # A decoded I/P/B type would make libx264 place keyframes where the source had them.
            frame.pict_type = 0
            mux(encode(frame))
            self.frames_out += 1

    def _copy_audio(self, packet: av.Packet) -> av.Packet:
        # Muxing rewrites a packet's stream index and time base, so each rendition
        # gets its own copy of the shared encoder's packet.
        copy = av.Packet(bytes(packet))
        copy.pts = packet.pts
        copy.dts = packet.dts
        copy.duration = packet.duration
        copy.time_base = packet.time_base
        copy.is_keyframe = packet.is_keyframe
        copy.stream = self.astream
        return copy

    def _build_graph(self, frame: av.VideoFrame) -> None:
        graph = av.filter.Graph()
        graph.threads = GRAPH_THREADS
        sar = self.plan.sar
        src = graph.add(
            "buffer",
            video_size=f"{frame.width}x{frame.height}",
            pix_fmt=frame.format.name,
            time_base=str(frame.time_base),
            pixel_aspect=f"{sar.numerator}/{sar.denominator}",
        )
        chain = [("fps", f"fps={self.fps}:start_time=0")]
        chain += _rotation_filters(frame.rotation)
        chain += [
            ("scale", f"w={self.plan.width}:h={self.plan.height}:flags={SCALER}"),
            ("format", "pix_fmts=yuv420p"),
            ("setsar", "1"),
        ]
        last = src
        for name, args in chain:
            node = graph.add(name, args) if args else graph.add(name)
            last.link_to(node)
            last = node
        sink = graph.add("buffersink")
        last.link_to(sink)
        graph.configure()
        self._graph, self._src, self._sink = graph, src, sink


class _Progress:
    """Calls the caller's progress callback at most every PROGRESS_INTERVAL seconds."""

    def __init__(self, callback: Callable[[float], None] | None, duration: float) -> None:
        self.callback = callback
        self.duration = max(duration, 0.001)
        self.last_call = 0.0
        self.last_value = -1.0

    def at(self, seconds: float) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if now - self.last_call < PROGRESS_INTERVAL:
            return
        value = min(99.0, max(0.0, 100.0 * seconds / self.duration))
        if value > self.last_value:
            self.last_call = now
            self.last_value = value
            self.callback(round(value, 1))

    def done(self) -> None:
        if self.callback is not None:
            self.callback(100.0)


def transcode(
    source: str,
    out_dir: str,
    ladder: Sequence[int] = DEFAULT_LADDER,
    progress: Callable[[float], None] | None = None,
    prefix: str | None = None,
) -> TranscodeResult:
    """Probe ``source`` and write HLS renditions, playlists and images into ``out_dir``.

    ``out_dir`` must exist and be empty; every file is written directly in it.
    ``progress`` receives a percentage (0..100) at most about twice a second,
    ending with 100. Raises :class:`MediaError` when the input is unusable;
    on any failure the files written so far are removed again.
    """
    info = probe(source)
    prefix = prefix or str(uuid.uuid4())
    before = set(os.listdir(out_dir))
    try:
        return _transcode(source, out_dir, info, ladder, _Progress(progress, info.duration), prefix)
    except BaseException:
        for name in set(os.listdir(out_dir)) - before:
            try:
                os.remove(os.path.join(out_dir, name))
            except OSError:
                log.warning("could not remove %s after a failed transcode", name)
        raise


def _source_geometry(
    video: av.video.stream.VideoStream, info: ProbeResult
) -> tuple[float, Fraction, Fraction]:
    """Display aspect ratio (after rotation and pixel aspect), output frame rate, and SAR."""
    sar = video.sample_aspect_ratio or video.codec_context.sample_aspect_ratio or Fraction(1)
    sar = Fraction(sar)
    aspect = info.width / info.height
    if sar and sar != 1:
        # probe() reports display-oriented sides; a portrait turn swaps which side SAR stretches.
        coded_landscape = (video.codec_context.width >= video.codec_context.height) == (
            info.width >= info.height
        )
        aspect = aspect * float(sar) if coded_landscape else aspect / float(sar)
    rate = frame_rate(video) or Fraction(25)
    rate = min(rate, Fraction(MAX_FPS)).limit_denominator(1001)
    return aspect, rate, sar


def _audio_encoder(audio: av.audio.stream.AudioStream) -> tuple[av.CodecContext, int]:
    rate = audio.rate if audio.rate in (44100, 48000) else 48000
    encoder = av.CodecContext.create("aac", "w")
    encoder.sample_rate = rate
    encoder.layout = "stereo"
    encoder.format = "fltp"
    encoder.bit_rate = AUDIO_BITRATE
    encoder.time_base = Fraction(1, rate)
    return encoder, rate


@dataclass
class _Decoded:
    end: float = 0.0
    thumbnail: av.VideoFrame | None = None
    video_frames: int = 0


def _decode(
    inp: av.container.InputContainer,
    video: av.video.stream.VideoStream | None,
    audio: av.audio.stream.AudioStream | None,
    audio_encoder: av.CodecContext | None,
    workers: list[_Worker],
    info: ProbeResult,
    progress: _Progress,
    abort: threading.Event,
) -> _Decoded:
    """Demux and decode the source once, feeding every worker. Returns what was seen."""
    state = _Decoded()
    streams = [s for s in (video, audio) if s is not None]
    for stream in streams:
        stream.codec_context.thread_type = "AUTO"
    start = inp.start_time / av.time_base if inp.start_time else 0.0
    offsets = {s.index: round(start / s.time_base) for s in streams}
    seen = dict.fromkeys(offsets, False)
    video_index = video.index if video is not None else -1
    thumbnail_at = min(2.0, info.duration / 2)
    puts = [w.put for w in workers]
    last = None
    for packet in inp.demux(streams):
        index = packet.stream.index
        try:
            frames = packet.decode()
        except av.error.InvalidDataError as err:
            if not seen[index]:
                continue  # streams cut from a broadcast may start with undecodable packets
            raise MediaError(
                f"The file is damaged around {state.end:.1f} s and cannot be decoded further."
            ) from err
        if not frames:
            continue
        seen[index] = True
        offset = offsets[index]
        for frame in frames:
            if frame.pts is None:
                continue
            frame.pts -= offset
            seconds = float(frame.pts * frame.time_base)
            if index == video_index:
                for put in puts:
                    put(frame)
                state.video_frames += 1
                last = frame
                if state.thumbnail is None and seconds >= thumbnail_at:
                    state.thumbnail = frame
            else:
                seconds += frame.samples / frame.sample_rate
                for packet_out in audio_encoder.encode(frame):  # type: ignore[union-attr]
                    for put in puts:
                        put(packet_out)
            if seconds > state.end:
                state.end = seconds
        progress.at(state.end)
        if abort.is_set():
            return state
    if audio_encoder is not None:
        for packet_out in audio_encoder.encode(None):
            for put in puts:
                put(packet_out)
    if state.thumbnail is None:
        state.thumbnail = last
    return state


def _start_workers(
    inp: av.container.InputContainer,
    out_dir: str,
    info: ProbeResult,
    ladder: Sequence[int],
    prefix: str,
    abort: threading.Event,
) -> tuple[list[_Worker], float, Fraction | None, av.CodecContext | None]:
    video, audio = pick_streams(inp)
    audio_encoder = audio_rate = None
    if info.has_audio and audio is not None:
        audio_encoder, audio_rate = _audio_encoder(audio)
    plans: list[_Plan] = []
    aspect = 0.0
    rate = None
    if info.has_video and video is not None:
        aspect, rate, sar = _source_geometry(video, info)
        for height in plan_ladder(info.height, ladder):
            plans.append(
                _Plan(
                    height,
                    even(height * aspect),
                    f"{prefix}-{height}-fragmented.mp4",
                    f"{prefix}-{height}.m3u8",
                    sar,
                )
            )
    else:
        plans.append(_Plan(0, 0, f"{prefix}-0-fragmented.mp4", f"{prefix}-0.m3u8"))
    workers = [
        _Worker(plan, os.path.join(out_dir, plan.filename), rate, audio_rate, abort)
        for plan in plans
    ]
    for worker in workers:
        worker.start()
    return workers, aspect, rate, audio_encoder


def _transcode(
    source: str,
    out_dir: str,
    info: ProbeResult,
    ladder: Sequence[int],
    progress: _Progress,
    prefix: str,
) -> TranscodeResult:
    abort = threading.Event()
    started = time.monotonic()
    workers: list[_Worker] = []
    try:
        with av.open(source, metadata_errors="ignore") as inp:
            workers, aspect, rate, audio_encoder = _start_workers(
                inp, out_dir, info, ladder, prefix, abort
            )
            video, audio = pick_streams(inp)
            try:
                decoded = _decode(
                    inp,
                    video if info.has_video else None,
                    audio if audio_encoder is not None else None,
                    audio_encoder,
                    workers,
                    info,
                    progress,
                    abort,
                )
            except av.error.FFmpegError as err:
                raise MediaError(
                    "The file is damaged and could not be decoded to the end."
                ) from err
    except BaseException:
        abort.set()
        raise
    finally:
        for worker in workers:
            worker.put(None)
        for worker in workers:
            worker.join()
    failed = next((w.error for w in workers if w.error is not None), None)
    if failed is not None:
        raise failed
    missing = info.duration - decoded.end
    if missing > max(1.0, 0.05 * info.duration):
        raise MediaError(
            f"The file stops at {decoded.end:.1f} s although it should last "
            f"{info.duration:.1f} s; it seems to be incomplete."
        )
    if info.has_video and decoded.video_frames == 0:
        raise MediaError("No picture could be decoded from this file.")
    log.info(
        "transcoded %s: %d renditions, %.1f s of media in %.1f s",
        source,
        len(workers),
        info.duration,
        time.monotonic() - started,
    )
    result = _write_hls(out_dir, prefix, workers, rate, aspect, decoded.end or info.duration)
    if decoded.thumbnail is not None:
        thumbnail = "thumbnail.jpg"
        preview = "preview.jpg"
        _write_jpeg(decoded.thumbnail, aspect, THUMBNAIL_WIDTH, os.path.join(out_dir, thumbnail))
        _write_jpeg(decoded.thumbnail, aspect, PREVIEW_WIDTH, os.path.join(out_dir, preview))
        result = dataclasses.replace(result, thumbnail=thumbnail, preview=preview)
    progress.done()
    return result


def _write_hls(
    out_dir: str,
    prefix: str,
    workers: list[_Worker],
    rate: Fraction | None,
    aspect: float,
    duration: float,
) -> TranscodeResult:
    renditions = []
    hashes = {}
    variants = []
    for worker in workers:
        plan = worker.plan
        path = os.path.join(out_dir, plan.filename)
        layout = hls.read_layout(path)
        hls.write_variant_playlist(os.path.join(out_dir, plan.playlist), plan.filename, layout)
        hashes[plan.filename] = hls.segment_hashes(path, layout)
        kinds = {t.kind for t in layout.tracks}
        rendition = Rendition(
            height=plan.height,
            width=plan.width,
            fps=float(rate) if rate and plan.height else 0.0,
            bandwidth=hls.peak_bandwidth(layout),
            codecs=layout.codecs,
            filename=plan.filename,
            playlist=plan.playlist,
            size=layout.size,
            has_video="video" in kinds,
            has_audio="audio" in kinds,
        )
        renditions.append(rendition)
        variants.append(
            hls.Variant(
                uri=plan.playlist,
                bandwidth=rendition.bandwidth,
                codecs=rendition.codecs,
                width=rendition.width,
                height=rendition.height,
                fps=rendition.fps,
            )
        )
    master = f"{prefix}-master.m3u8"
    hls.write_master_playlist(os.path.join(out_dir, master), variants)
    segments_sha256 = f"{prefix}-segments-sha256.json"
    hls.write_segments_sha256(os.path.join(out_dir, segments_sha256), hashes)
    return TranscodeResult(
        duration=round(duration, 3),
        aspect_ratio=round(aspect, 4),
        renditions=renditions,
        master=master,
        segments_sha256=segments_sha256,
        thumbnail="",
        preview="",
    )


def _write_jpeg(frame: av.VideoFrame, aspect: float, width: int, path: str) -> None:
    """Scale a decoded picture to ``width`` (never up) and save it as a JPEG with mjpeg."""
    graph = av.filter.Graph()
    turned = bool(round(frame.rotation) % 180)
    width = even(min(width, frame.height if turned else frame.width))
    height = even(width / aspect) if aspect else even(width * frame.height / frame.width)
    src = graph.add(
        "buffer",
        video_size=f"{frame.width}x{frame.height}",
        pix_fmt=frame.format.name,
        time_base=str(frame.time_base),
        pixel_aspect="1/1",
    )
    chain = [*_rotation_filters(frame.rotation)]
    chain += [
        ("scale", f"w={width}:h={height}:flags={SCALER}:out_range=full"),
        ("format", "pix_fmts=yuvj420p"),
    ]
    last = src
    for name, args in chain:
        node = graph.add(name, args) if args else graph.add(name)
        last.link_to(node)
        last = node
    sink = graph.add("buffersink")
    last.link_to(sink)
    graph.configure()
    src.push(frame)
    src.push(None)
    picture = sink.pull()
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = width
    encoder.height = height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.qscale = True
    encoder.global_quality = 3 * 118  # qscale 3 (FF_QP2LAMBDA = 118): good, small
    picture.pict_type = 0
    data = b"".join(bytes(p) for p in [*encoder.encode(picture), *encoder.encode(None)])
    with open(path, "wb") as handle:
        handle.write(data)
