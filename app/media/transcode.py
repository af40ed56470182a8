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
thumbnail and a preview image are cut from a frame near the start. The same
decode feeds the storyboard: one small picture every few seconds, tiled into
one JPEG sprite the player shows above its seek bar (PeerTube 6's layout).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
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
# Storyboards as PeerTube makes them: tiles 192 px on their longer side, at most
# 10x10 of them, one per second up to 100 seconds, none under 3 seconds.
STORYBOARD_TILE = 192
STORYBOARD_MAX_EDGE = 10
STORYBOARD_MIN_SECONDS = 3
# Frames waiting per rendition; a 1080p frame is 3 MB and the queues share frames.
QUEUE_FRAMES = 16
PROGRESS_INTERVAL = 0.5
_MOVFLAGS = "empty_moov+default_base_moof+delay_moov+skip_trailer"


@dataclass(frozen=True)
class Rendition:
    """One HLS variant: a fragmented MP4 and its byte-range playlist."""

    height: int  # 0 for the audio-only rendition
    width: int
    resolution: int  # the shorter side (720 for 1280x720 and for 720x1280); 0 audio-only
    fps: float
    bandwidth: int  # peak-ish bits/s, as for the HLS BANDWIDTH attribute
    codecs: str  # e.g. 'avc1.64001e,mp4a.40.2'
    filename: str  # '<prefix>-<height>-fragmented.mp4'
    playlist: str  # '<prefix>-<height>.m3u8'
    size: int  # bytes of the fragmented mp4
    has_video: bool
    has_audio: bool


@dataclass(frozen=True)
class Storyboard:
    """One sprite of tiles, left to right then top to bottom, each ``tile_duration`` s."""

    filename: str
    tile_width: int
    tile_height: int
    tile_duration: int  # whole seconds
    columns: int
    rows: int

    @property
    def width(self) -> int:
        return self.tile_width * self.columns

    @property
    def height(self) -> int:
        return self.tile_height * self.rows


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
    storyboard: Storyboard | None = None  # 'storyboard.jpg'; None when audio-only or short


def storyboard_plan(duration: float) -> tuple[int, int] | None:
    """(seconds per tile, number of tiles) for a video, or None when it is too short."""
    if duration < STORYBOARD_MIN_SECONDS:
        return None
    most = min(math.ceil(duration), STORYBOARD_MAX_EDGE * STORYBOARD_MAX_EDGE)
    step = math.ceil(duration / most)
    return step, math.ceil(duration / step)


def storyboard_grid(count: int) -> tuple[int, int]:
    """(columns, rows): the fewest rows, then the fewest columns, that hold ``count`` tiles."""
    for rows in range(1, STORYBOARD_MAX_EDGE + 1):
        for columns in range(rows, STORYBOARD_MAX_EDGE + 1):
            if count <= rows * columns:
                return columns, rows
    raise ValueError(f"{count} tiles do not fit a {STORYBOARD_MAX_EDGE}x{STORYBOARD_MAX_EDGE} grid")


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


def x264_threads(width: int, height: int, ladder_pixels: int) -> int:
    """libx264 frame threads for one rendition, by its share of the ladder's pixels.

    All renditions encode at once, so only the big ones need frame threads of
    their own; fewer threads per encoder waste less CPU on synchronisation.
    """
    cores = os.cpu_count() or 1
    share = width * height / max(1, ladder_pixels)
    return max(1, min(cores + cores // 2, round(2 * cores * share)))


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


def _filter_graph(
    frame: av.VideoFrame, sar: Fraction, chain: list[tuple[str, str]]
) -> tuple[av.filter.Graph, av.filter.FilterContext, av.filter.FilterContext]:
    """A lavfi graph buffer -> chain -> buffersink shaped for ``frame``."""
    graph = av.filter.Graph()
    # Renditions already scale in parallel; slice threads per graph would only contend.
    graph.threads = 1
    src = graph.add(
        "buffer",
        video_size=f"{frame.width}x{frame.height}",
        pix_fmt=frame.format.name,
        time_base=str(frame.time_base),
        pixel_aspect=f"{sar.numerator}/{sar.denominator}",
    )
    last = src
    for name, args in [*_rotation_filters(frame.rotation), *chain]:
        node = graph.add(name, args or None)
        last.link_to(node)
        last = node
    sink = graph.add("buffersink")
    last.link_to(sink)
    graph.configure()
    return graph, src, sink


@dataclass(frozen=True)
class _Plan:
    height: int
    width: int
    resolution: int  # the shorter side: the rendition's label, as PeerTube names it
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
        threads: int = 0,
    ) -> None:
        super().__init__(name=f"transcode-{plan.height}", daemon=True)
        self.plan = plan
        self.fps = fps
        self.abort = abort
        self.queue: queue.Queue = queue.Queue(QUEUE_FRAMES)
        self.error: BaseException | None = None
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
                "libx264", rate=fps, options=x264_options(plan.resolution, float(fps), gop)
            )
            self.vstream.width = plan.width
            self.vstream.height = plan.height
            self.vstream.pix_fmt = "yuv420p"
            context = self.vstream.codec_context
            context.time_base = 1 / fps
            # PyAV defaults to slice threads; x264's frame threads are faster.
            context.thread_type = "FRAME"
            context.thread_count = threads
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
            self.out.close()
        except BaseException as err:  # reported to the caller by transcode()
            self.error = err
            self.abort.set()
            log.debug("rendition %s failed", self.plan.height, exc_info=True)
            while not ended:  # keep the decoder from blocking on a full queue
                ended = self.queue.get() is None
            with contextlib.suppress(av.error.FFmpegError):
                self.out.close()

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
        # The graph is built on the first frame, whose format is the decoder's real one.
        chain = [
            ("fps", f"fps={self.fps}:start_time=0"),
            ("scale", f"w={self.plan.width}:h={self.plan.height}:flags={SCALER}"),
            ("format", "pix_fmts=yuv420p"),
            ("setsar", "1"),
        ]
        self._graph, self._src, self._sink = _filter_graph(frame, self.plan.sar, chain)


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
    always from the calling thread, ending with 100. Raises :class:`MediaError`
    when the input is unusable; on any failure the files written so far are
    removed again.
    """
    info = probe(source)
    prefix = prefix or str(uuid.uuid4())
    before = set(os.listdir(out_dir))
    try:
        return _transcode(source, out_dir, info, ladder, _Progress(progress, info.duration), prefix)
    except BaseException:
        for name in set(os.listdir(out_dir)) - before:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(out_dir, name))
        raise


def _source_geometry(
    video: av.video.stream.VideoStream, info: ProbeResult
) -> tuple[float, Fraction, Fraction]:
    """Display aspect ratio (after rotation and pixel aspect), output frame rate, and SAR."""
    sar = Fraction(video.sample_aspect_ratio or 1)
    aspect = info.width / info.height
    if sar != 1:
        # probe() reports display-oriented sides; a quarter turn swaps the side SAR stretches.
        turned = (video.codec_context.width, video.codec_context.height) != (
            info.width,
            info.height,
        )
        aspect = aspect / float(sar) if turned else aspect * float(sar)
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


class _StoryboardTiles:
    """Collects one small picture per storyboard tile while the source is decoded.

    Only the frames that start a tile are scaled (at most 100 per video), into
    a picture this object owns (decoded frames are shared with the rendition
    threads and never changed); a lavfi ``tile`` graph lays them out. Any
    failure only loses the storyboard, never the video.
    """

    def __init__(self, aspect: float, sar: Fraction, step: int, count: int) -> None:
        if aspect >= 1:
            self.width, self.height = STORYBOARD_TILE, even(STORYBOARD_TILE / aspect)
        else:
            self.width, self.height = even(STORYBOARD_TILE * aspect), STORYBOARD_TILE
        self.sar = sar
        self.step = step
        self.count = count
        self.columns, self.rows = storyboard_grid(count)
        self.taken = 0
        self.failed = False
        self._scale: tuple | None = None  # (shape, graph, src, sink)
        self._tile: tuple | None = None  # (graph, src, sink)

    def offer(self, frame: av.VideoFrame, seconds: float) -> None:
        """Use ``frame`` for every tile starting at or before ``seconds`` not yet filled."""
        if self.failed or self.taken >= self.count or seconds < self.taken * self.step:
            return
        try:
            picture = self._small(frame)
            while self.taken < self.count and seconds >= self.taken * self.step:
                picture.pts = self.taken
                self._tiles(picture)[1].push(picture)
                self.taken += 1
        except (av.error.FFmpegError, ValueError) as err:
            log.warning("storyboard dropped: %s", err)
            self.failed = True

    def write(self, path: str) -> Storyboard | None:
        """Write the sprite; None when nothing (or not enough) was collected."""
        if self.failed or self._tile is None or self.taken < self.count / 2:
            return None
        try:
            _graph, src, sink = self._tile
            src.push(None)
            _write_picture(sink.pull(), path)
        except (av.error.FFmpegError, ValueError) as err:
            log.warning("storyboard dropped: %s", err)
            return None
        return Storyboard(
            os.path.basename(path), self.width, self.height, self.step, self.columns, self.rows
        )

    def _small(self, frame: av.VideoFrame) -> av.VideoFrame:
        shape = (frame.width, frame.height, frame.format.name, round(frame.rotation))
        if self._scale is None or self._scale[0] != shape:
            chain = [
                ("scale", f"w={self.width}:h={self.height}:flags={SCALER}:out_range=full"),
                ("format", "pix_fmts=yuvj420p"),
                ("setsar", "1"),
            ]
            self._scale = (shape, *_filter_graph(frame, self.sar, chain))
        _shape, _graph, src, sink = self._scale
        src.push(frame)
        return sink.pull()

    def _tiles(self, picture: av.VideoFrame) -> tuple:
        if self._tile is None:
            graph = av.filter.Graph()
            graph.threads = 1
            src = graph.add(
                "buffer",
                video_size=f"{picture.width}x{picture.height}",
                pix_fmt=picture.format.name,
                time_base="1/1",
                pixel_aspect="1/1",
            )
            tile = graph.add("tile", f"layout={self.columns}x{self.rows}")
            sink = graph.add("buffersink")
            src.link_to(tile)
            tile.link_to(sink)
            graph.configure()
            self._tile = (graph, src, sink)
        return self._tile


class _Pipeline:
    """One transcode: the source container, the rendition workers and what was decoded."""

    def __init__(self, inp: av.container.InputContainer, info: ProbeResult) -> None:
        self.inp = inp
        self.info = info
        self.abort = threading.Event()
        self.workers: list[_Worker] = []
        self.video, self.audio = pick_streams(inp)
        if not info.has_video:
            self.video = None
        if not info.has_audio:
            self.audio = None
        self.audio_encoder: av.CodecContext | None = None
        self.aspect = 0.0
        self.rate: Fraction | None = None
        self.end = 0.0  # seconds of media decoded
        self.video_frames = 0
        self.thumbnail: av.VideoFrame | None = None
        self.storyboard: _StoryboardTiles | None = None

    def start(self, out_dir: str, ladder: Sequence[int], prefix: str) -> None:
        """Plan the renditions and start one worker thread for each."""
        audio_rate = None
        if self.audio is not None:
            self.audio_encoder, audio_rate = _audio_encoder(self.audio)
        plans = []
        if self.video is not None:
            self.aspect, self.rate, sar = _source_geometry(self.video, self.info)
            plan = storyboard_plan(self.info.duration)
            if plan is not None:
                self.storyboard = _StoryboardTiles(self.aspect, sar, *plan)
            # Ladder steps are the shorter side (PeerTube's resolutions): a portrait 720x1280
            # upload tops out at 720p, 720 wide, never at a "1080p" 608 wide.
            portrait = self.info.height > self.info.width
            for step in plan_ladder(min(self.info.width, self.info.height), ladder):
                name = f"{prefix}-{step}"
                if portrait:
                    width, height = step, even(step / self.aspect)
                else:
                    width, height = even(step * self.aspect), step
                plans.append(
                    _Plan(height, width, step, f"{name}-fragmented.mp4", f"{name}.m3u8", sar)
                )
        else:
            plans.append(_Plan(0, 0, 0, f"{prefix}-0-fragmented.mp4", f"{prefix}-0.m3u8"))
        pixels = sum(plan.width * plan.height for plan in plans)
        for plan in plans:
            path = os.path.join(out_dir, plan.filename)
            threads = x264_threads(plan.width, plan.height, pixels)
            self.workers.append(_Worker(plan, path, self.rate, audio_rate, self.abort, threads))
            self.workers[-1].start()

    def decode(self, progress: _Progress) -> None:
        """Demux and decode the source once, handing everything to every worker."""
        streams = [s for s in (self.video, self.audio) if s is not None]
        for stream in streams:
            stream.codec_context.thread_type = "AUTO"
        start = self.inp.start_time / av.time_base if self.inp.start_time else 0.0
        offsets = {s.index: round(start / s.time_base) for s in streams}
        seen = dict.fromkeys(offsets, False)
        video_index = self.video.index if self.video is not None else -1
        thumbnail_at = min(2.0, self.info.duration / 2)
        puts = [w.put for w in self.workers]
        last = None
        for packet in self.inp.demux(streams):
            index = packet.stream.index
            try:
                frames = packet.decode()
            except av.error.InvalidDataError as err:
                if not seen[index]:
                    continue  # streams cut from a broadcast may start with undecodable packets
                raise MediaError(
                    f"The file is damaged around {self.end:.1f} s and cannot be decoded further."
                ) from err
            seen[index] = seen[index] or bool(frames)
            for frame in frames:
                if frame.pts is None:
                    continue
                frame.pts -= offsets[index]
                seconds = float(frame.pts * frame.time_base)
                if index == video_index:
                    for put in puts:
                        put(frame)
                    self.video_frames += 1
                    last = frame
                    if self.thumbnail is None and seconds >= thumbnail_at:
                        self.thumbnail = frame
                    if self.storyboard is not None:
                        self.storyboard.offer(frame, seconds)
                else:
                    seconds += frame.samples / frame.sample_rate
                    for encoded in self.audio_encoder.encode(frame):  # type: ignore[union-attr]
                        for put in puts:
                            put(encoded)
                self.end = max(self.end, seconds)
            progress.at(self.end)
            if self.abort.is_set():
                return
        if self.audio_encoder is not None:
            for encoded in self.audio_encoder.encode(None):
                for put in puts:
                    put(encoded)
        self.thumbnail = self.thumbnail or last

    def stop(self) -> None:
        """Tell every worker the input has ended and wait for them to finish."""
        for worker in self.workers:
            worker.put(None)
        for worker in self.workers:
            worker.join()

    def check(self) -> None:
        """Raise if a worker failed or the source ended early."""
        failed = next((w.error for w in self.workers if w.error is not None), None)
        if isinstance(failed, av.error.FFmpegError):
            log.warning("encoding failed: %s", failed)
            raise MediaError("This video could not be converted.") from failed
        if failed is not None:
            raise failed
        duration = self.info.duration
        if duration - self.end > max(1.0, 0.05 * duration):
            raise MediaError(
                f"The file stops at {self.end:.1f} s although it should last "
                f"{duration:.1f} s; it seems to be incomplete."
            )
        if self.video is not None and self.video_frames == 0:
            raise MediaError("No picture could be decoded from this file.")


def _transcode(
    source: str,
    out_dir: str,
    info: ProbeResult,
    ladder: Sequence[int],
    progress: _Progress,
    prefix: str,
) -> TranscodeResult:
    started = time.monotonic()
    with av.open(source, metadata_errors="ignore") as inp:
        pipeline = _Pipeline(inp, info)
        try:
            pipeline.start(out_dir, ladder, prefix)
            pipeline.decode(progress)
        except av.error.FFmpegError as err:
            pipeline.abort.set()
            raise MediaError("The file is damaged and could not be decoded to the end.") from err
        except BaseException:
            pipeline.abort.set()
            raise
        finally:
            pipeline.stop()
    pipeline.check()
    log.info(
        "transcoded %s: %d renditions, %.1f s of media in %.1f s",
        source,
        len(pipeline.workers),
        info.duration,
        time.monotonic() - started,
    )
    result = _write_hls(
        out_dir, prefix, pipeline.workers, pipeline.rate, pipeline.aspect, info.duration
    )
    if pipeline.thumbnail is not None:
        names = {"thumbnail": "thumbnail.jpg", "preview": "preview.jpg"}
        for width, name in (
            (THUMBNAIL_WIDTH, names["thumbnail"]),
            (PREVIEW_WIDTH, names["preview"]),
        ):
            _write_jpeg(pipeline.thumbnail, pipeline.aspect, width, os.path.join(out_dir, name))
        result = dataclasses.replace(result, **names)
    if pipeline.storyboard is not None:
        storyboard = pipeline.storyboard.write(os.path.join(out_dir, "storyboard.jpg"))
        result = dataclasses.replace(result, storyboard=storyboard)
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
    fps = float(rate) if rate else 0.0
    media = [
        hls.MediaFile(w.plan.filename, w.plan.playlist, w.plan.width, w.plan.height, fps)
        for w in workers
    ]
    package = hls.write_package(out_dir, prefix, media)
    renditions = [
        Rendition(
            height=item.height,
            width=item.width,
            resolution=worker.plan.resolution,
            fps=item.fps if item.height else 0.0,
            bandwidth=hls.peak_bandwidth(layout),
            codecs=layout.codecs,
            filename=item.filename,
            playlist=item.playlist,
            size=layout.size,
            has_video=any(t.kind == "video" for t in layout.tracks),
            has_audio=any(t.kind == "audio" for t in layout.tracks),
        )
        for worker, item, layout in zip(workers, media, package.layouts, strict=True)
    ]
    return TranscodeResult(
        duration=round(duration, 3),
        aspect_ratio=round(aspect, 4),
        renditions=renditions,
        master=package.master,
        segments_sha256=package.segments_sha256,
        thumbnail="",
        preview="",
    )


def _write_jpeg(frame: av.VideoFrame, aspect: float, width: int, path: str) -> None:
    """Scale a decoded picture to ``width`` (never up) and save it as a JPEG with mjpeg."""
    turned = bool(round(frame.rotation) % 180)
    width = even(min(width, frame.height if turned else frame.width))
    height = even(width / aspect)
    chain = [
        ("scale", f"w={width}:h={height}:flags={SCALER}:out_range=full"),
        ("format", "pix_fmts=yuvj420p"),
    ]
    _graph, src, sink = _filter_graph(frame, Fraction(1), chain)
    src.push(frame)
    src.push(None)
    _write_picture(sink.pull(), path)


def _write_picture(picture: av.VideoFrame, path: str) -> None:
    """Save a full-range 4:2:0 picture as a JPEG with mjpeg."""
    picture.pict_type = 0
    encoder = av.CodecContext.create("mjpeg", "w")
    encoder.width = picture.width
    encoder.height = picture.height
    encoder.pix_fmt = "yuvj420p"
    encoder.time_base = Fraction(1, 25)
    encoder.qscale = True
    encoder.global_quality = 3 * 118  # qscale 3 (FF_QP2LAMBDA = 118): good, small
    data = b"".join(bytes(p) for p in [*encoder.encode(picture), *encoder.encode(None)])
    with open(path, "wb") as handle:
        handle.write(data)
