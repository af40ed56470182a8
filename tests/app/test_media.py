"""The media pipeline on real tiny clips: probing, transcoding to HLS, images.

Everything is checked from the outside: playlists are parsed as text, the
fragmented MP4s are walked box by box and decoded again with PyAV, and the
layout is compared with PeerTube 6.3's own files.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from app.media.probe import MediaError, probe
from app.media.transcode import plan_ladder, storyboard_grid, storyboard_plan, transcode
from tests.clips import make_clip

PEERTUBE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"


@dataclass
class Transcoded:
    """A 5 s 320x240 clip transcoded with the ladder (720, 240, 144)."""

    out: Path
    result: object
    progress: list[float]


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch folder shared by this module's clips."""
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def short_clip(media_dir: Path) -> Path:
    """A 2 s 320x240 25 fps H.264/AAC clip."""
    return Path(make_clip(str(media_dir / "short.mp4")))


@pytest.fixture(scope="module")
def transcoded(media_dir: Path) -> Transcoded:
    """The result of transcoding a 5 s 320x240 clip, with every progress value seen."""
    source = make_clip(str(media_dir / "five.mp4"), seconds=5.0)
    out = media_dir / "hls"
    out.mkdir()
    seen: list[float] = []
    result = transcode(source, str(out), ladder=(720, 240, 144), progress=seen.append)
    return Transcoded(out, result, seen)


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[str, int, int]]:
    """Top-level ISO BMFF boxes as (type, offset, size)."""
    end = len(data) if end is None else end
    found = []
    while start < end:
        size, kind = struct.unpack_from(">I4s", data, start)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, start + 8)
        assert size >= 8, f"bad box size at {start}"
        found.append((kind.decode(), start, size))
        start += size
    assert start == end, "boxes overrun the file"
    return found


def read_variant(path: Path) -> tuple[str, tuple[int, int], list[tuple[float, int, int]]]:
    """(media file, init (length, offset), [(duration, length, offset)]) of a variant playlist."""
    lines = path.read_text().splitlines()
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)",BYTERANGE="(\d+)@(\d+)"', path.read_text())
    assert init, "no EXT-X-MAP with a byte range"
    segments = []
    for index, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            duration = float(line.split(":")[1].rstrip(","))
            length, offset = map(int, lines[index + 1].split(":")[1].split("@"))
            assert lines[index + 2] == init.group(1)
            segments.append((duration, length, offset))
    return init.group(1), (int(init.group(2)), int(init.group(3))), segments


def master_entries(path: Path) -> list[tuple[dict[str, str], str]]:
    """[(attributes, uri)] of a master playlist."""
    lines = path.read_text().splitlines()
    entries = []
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            entries.append(({k: v.strip('"') for k, v in attributes.items()}, lines[index + 1]))
    return entries


def shape(text: str) -> str:
    """A playlist with its numbers, codecs and uuids blanked out, to compare layouts."""
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
    text = re.sub(r"avc1\.[0-9a-f]{6}", "AVC", text)
    return re.sub(r"\d+(\.\d+)?", "N", text)


def index_first(source: str, target: Path) -> Path:
    """Remux a clip with its index (moov) at the front, as phones and editors often do."""
    with (
        av.open(source) as inp,
        av.open(str(target), "w", container_options={"movflags": "faststart"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams}
        for packet in inp.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    return target


def first_video_packet(data: bytes) -> av.Packet:
    """The first video packet of an init section followed by one segment."""
    with av.open(io.BytesIO(data), format="mp4") as container:
        for packet in container.demux(video=0):
            if packet.size:
                return packet
    raise AssertionError("segment holds no video")


# --- probe --------------------------------------------------------------------------------


def test_probe_reports_length_size_and_frame_rate_of_a_clip(short_clip: Path) -> None:
    info = probe(str(short_clip))
    assert info.duration == pytest.approx(2.0, abs=0.05)
    assert (info.width, info.height, info.fps) == (320, 240, 25.0)
    assert info.has_video and info.has_audio


def test_probe_accepts_a_sound_only_upload(media_dir: Path) -> None:
    info = probe(make_clip(str(media_dir / "tone.m4a"), video=False))
    assert (info.has_video, info.has_audio) == (False, True)
    assert (info.width, info.height, info.fps) == (0, 0, 0)
    assert info.duration == pytest.approx(2.0, abs=0.05)


def test_probe_reports_phone_video_upright(media_dir: Path) -> None:
    info = probe(make_clip(str(media_dir / "phone.mp4"), seconds=1.0, rotation=90))
    assert (info.width, info.height) == (240, 320)


def test_empty_upload_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty"):
        probe(str(empty))


def test_text_file_named_mp4_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("These are my holiday notes, not a video.\n" * 50)
    with pytest.raises(MediaError, match="could not be read as video or audio"):
        probe(str(fake))


def test_upload_cut_in_half_is_refused(short_clip: Path, tmp_path: Path) -> None:
    data = short_clip.read_bytes()
    half = tmp_path / "half.mp4"
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError):
        probe(str(half))


def test_upload_cut_short_with_index_first_is_refused(tmp_path: Path) -> None:
    # With the index at the front the file still opens; probe must notice the missing end.
    source = make_clip(str(tmp_path / "long.mp4"), seconds=5.0, width=160, height=120)
    faststart = index_first(source, tmp_path / "faststart.mp4")
    data = faststart.read_bytes()
    assert boxes(data)[1][0] == "moov"
    faststart.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError, match="incomplete"):
        probe(str(faststart))


def test_postage_stamp_sized_video_is_refused(tmp_path: Path) -> None:
    tiny = make_clip(str(tmp_path / "tiny.mp4"), seconds=0.5, width=8, height=8, audio=False)
    with pytest.raises(MediaError, match="8x8 pixels"):
        probe(tiny)


def test_upload_damaged_midway_fails_cleanly_without_leaving_files(tmp_path: Path) -> None:
    source = make_clip(str(tmp_path / "good.mp4"), seconds=5.0)
    data = bytearray(index_first(source, tmp_path / "indexed.mp4").read_bytes())
    middle = len(data) // 2
    data[middle : middle + 20000] = hashlib.sha256(b"noise").digest() * 625
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    assert probe(str(damaged)).duration == pytest.approx(5.0, abs=0.05)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(MediaError, match="damaged"):
        transcode(str(damaged), str(out), ladder=(144,))
    assert list(out.iterdir()) == []


# --- ladder -------------------------------------------------------------------------------


def test_ladder_never_upscales() -> None:
    assert plan_ladder(1080, (1080, 720, 480, 360, 240)) == [1080, 720, 480, 360, 240]
    assert plan_ladder(500, (1080, 720, 480, 360, 240)) == [480, 360, 240]
    assert plan_ladder(240, (720, 240, 144)) == [240, 144]


def test_tiny_source_keeps_its_own_height() -> None:
    assert plan_ladder(101, (1080, 720)) == [100]


# --- transcode ----------------------------------------------------------------------------


def test_small_source_is_not_upscaled_and_keeps_its_shape(transcoded: Transcoded) -> None:
    result = transcoded.result
    assert [(r.width, r.height) for r in result.renditions] == [(320, 240), (192, 144)]
    assert all(r.width % 2 == 0 for r in result.renditions)
    assert result.aspect_ratio == pytest.approx(4 / 3, abs=1e-4)
    assert not any("720" in p.name for p in transcoded.out.iterdir())
    for rendition in result.renditions:
        with av.open(str(transcoded.out / rendition.filename)) as container:
            frame = next(container.decode(video=0))
            assert (frame.width, frame.height) == (rendition.width, rendition.height)


def test_byte_ranges_cover_each_file_exactly(transcoded: Transcoded) -> None:
    for rendition in transcoded.result.renditions:
        media, init, segments = read_variant(transcoded.out / rendition.playlist)
        assert media == rendition.filename
        data = (transcoded.out / media).read_bytes()
        assert len(data) == rendition.size
        assert init[1] == 0
        assert [kind for kind, _, _ in boxes(data, 0, init[0])] == ["ftyp", "moov"]
        position = init[0]
        for _, length, offset in segments:
            assert offset == position
            kinds = [kind for kind, _, _ in boxes(data, offset, offset + length)]
            assert kinds == ["moof", "mdat"]
            position += length
        assert position == len(data)


def test_segment_hashes_match_what_peers_will_send(transcoded: Transcoded) -> None:
    hashes = json.loads((transcoded.out / transcoded.result.segments_sha256).read_text())
    assert set(hashes) == {r.filename for r in transcoded.result.renditions}
    for rendition in transcoded.result.renditions:
        data = (transcoded.out / rendition.filename).read_bytes()
        _, _, segments = read_variant(transcoded.out / rendition.playlist)
        expected = {
            f"{offset}-{offset + length - 1}": hashlib.sha256(
                data[offset : offset + length]
            ).hexdigest()
            for _, length, offset in segments
        }
        assert hashes[rendition.filename] == expected


def test_every_resolution_switches_at_the_same_keyframes(transcoded: Transcoded) -> None:
    starts = []
    for rendition in transcoded.result.renditions:
        data = (transcoded.out / rendition.filename).read_bytes()
        _, (init_length, _), segments = read_variant(transcoded.out / rendition.playlist)
        times = []
        for _, length, offset in segments:
            packet = first_video_packet(data[:init_length] + data[offset : offset + length])
            assert packet.is_keyframe
            times.append(round(float(packet.pts * packet.time_base), 3))
        starts.append(times)
    assert starts[0] == [0.0, 4.0]
    assert all(times == starts[0] for times in starts)


def test_segments_last_four_seconds(transcoded: Transcoded) -> None:
    for rendition in transcoded.result.renditions:
        text = (transcoded.out / rendition.playlist).read_text()
        _, _, segments = read_variant(transcoded.out / rendition.playlist)
        assert [round(d, 2) for d, _, _ in segments] == [4.0, 1.0]
        assert "#EXT-X-TARGETDURATION:4\n" in text


def test_playlists_have_peertube_layout(transcoded: Transcoded) -> None:
    result = transcoded.result
    ours = (transcoded.out / result.renditions[0].playlist).read_text()
    theirs = (PEERTUBE / "hls-variant-240p.m3u8").read_text()
    assert shape(ours) == shape(theirs)
    ours = (transcoded.out / result.master).read_text()
    theirs = (PEERTUBE / "hls-master.m3u8").read_text()
    assert shape(ours) == shape(theirs)
    ours_json = json.loads((transcoded.out / result.segments_sha256).read_text())
    theirs_json = json.loads((PEERTUBE / "hls-segments-sha256.json").read_text())
    assert [len(v) for v in ours_json.values()] == [len(v) for v in theirs_json.values()]
    assert all(name.endswith("-fragmented.mp4") for name in ours_json)


def test_master_playlist_describes_each_resolution(transcoded: Transcoded) -> None:
    entries = master_entries(transcoded.out / transcoded.result.master)
    assert [uri for _, uri in entries] == [r.playlist for r in transcoded.result.renditions]
    for (attributes, _uri), rendition in zip(entries, transcoded.result.renditions, strict=True):
        with av.open(str(transcoded.out / rendition.filename)) as container:
            video = container.streams.video[0]
            avcc = video.codec_context.extradata
            assert avcc[0] == 1  # an avcC record: profile, compatibility, level follow
            frame = next(container.decode(video=0))
        assert attributes["RESOLUTION"] == f"{frame.width}x{frame.height}"
        assert attributes["CODECS"] == f"avc1.{avcc[1]:02x}{avcc[2]:02x}{avcc[3]:02x},mp4a.40.2"
        assert attributes["FRAME-RATE"] == "25"
        assert int(attributes["BANDWIDTH"]) == rendition.bandwidth > 0


def test_progress_climbs_to_one_hundred(transcoded: Transcoded) -> None:
    assert transcoded.progress[-1] == 100
    assert transcoded.progress == sorted(transcoded.progress)
    assert all(0 <= value <= 100 for value in transcoded.progress)


def test_thumbnail_and_preview_are_real_jpegs(transcoded: Transcoded) -> None:
    result = transcoded.result
    sizes = {}
    for name in (result.thumbnail, result.preview):
        data = (transcoded.out / name).read_bytes()
        assert data[:2] == b"\xff\xd8"
        with av.open(io.BytesIO(data)) as container:
            assert container.streams.video[0].codec_context.name == "mjpeg"
            frame = next(container.decode(video=0))
        sizes[name] = (frame.width, frame.height)
    width, height = sizes[result.thumbnail]
    assert width == 280 and abs(height - 210) <= 2
    assert sizes[result.preview] == (320, 240)  # never upscaled


def test_sound_only_upload_becomes_one_audio_rendition(media_dir: Path, tmp_path: Path) -> None:
    source = make_clip(str(media_dir / "song.m4a"), seconds=5.0, video=False)
    result = transcode(source, str(tmp_path), prefix="song")
    assert len(result.renditions) == 1
    rendition = result.renditions[0]
    assert (rendition.height, rendition.has_video, rendition.has_audio) == (0, False, True)
    assert rendition.codecs == "mp4a.40.2"
    assert (result.thumbnail, result.preview, result.aspect_ratio) == ("", "", 0)
    (attributes, uri), *_ = master_entries(tmp_path / result.master)
    assert uri == "song-0.m3u8"
    assert attributes == {"BANDWIDTH": str(rendition.bandwidth), "CODECS": "mp4a.40.2"}
    _, _, segments = read_variant(tmp_path / rendition.playlist)
    assert len(segments) == 2
    assert sum(d for d, _, _ in segments) == pytest.approx(5.0, abs=0.1)


def test_silent_video_has_no_audio_track(tmp_path: Path) -> None:
    source = make_clip(str(tmp_path / "silent.mp4"), seconds=1.0, audio=False)
    out = tmp_path / "out"
    out.mkdir()
    result = transcode(source, str(out), ladder=(144,))
    (rendition,) = result.renditions
    assert rendition.codecs.startswith("avc1.") and "mp4a" not in rendition.codecs
    assert (rendition.has_video, rendition.has_audio) == (True, False)


def test_phone_video_is_transcoded_upright(tmp_path: Path) -> None:
    source = make_clip(str(tmp_path / "phone.mp4"), seconds=1.0, rotation=90)
    out = tmp_path / "out"
    out.mkdir()
    result = transcode(source, str(out), ladder=(1080, 240, 144))
    # Labelled by the shorter side, as PeerTube: 240p is the source's own 240x320, and no
    # rendition is larger than the source (a "1080p" would be upscaled).
    assert [(r.resolution, r.width, r.height) for r in result.renditions] == [
        (240, 240, 320),
        (144, 144, 192),
    ]
    assert [r.filename.rsplit("-", 2)[-2] for r in result.renditions] == ["240", "144"]
    assert result.aspect_ratio == 0.75


def _gray(frame: av.VideoFrame, width: int, height: int) -> bytes:
    """A tiny grey picture of a frame, to compare pictures without numpy."""
    small = frame.reformat(width=width, height=height, format="gray")
    plane = small.planes[0]
    return b"".join(
        bytes(plane)[row * plane.line_size : row * plane.line_size + width] for row in range(height)
    )


def _distance(a: bytes, b: bytes) -> int:
    return sum(abs(x - y) for x, y in zip(a, b, strict=True))


def test_storyboard_is_peertubes_grid_of_one_tile_per_second(transcoded: Transcoded) -> None:
    board = transcoded.result.storyboard
    # PeerTube 6.3 made 5 tiles of 192x108 in one row, one per second, for its 5 s
    # 16:9 video (ap-video.json); this 5 s clip is 4:3.
    fixture = json.loads((PEERTUBE / "ap-video.json").read_text())["preview"][0]["url"][0]
    assert (fixture["width"] // fixture["tileWidth"], fixture["tileDuration"]) == (5, "PT1S")
    assert (board.columns, board.rows, board.tile_duration) == (5, 1, 1)
    assert (board.tile_width, board.tile_height) == (192, 144)
    assert (board.width, board.height) == (960, 144)
    with av.open(str(transcoded.out / board.filename)) as container:
        assert container.streams.video[0].codec_context.name == "mjpeg"
        sprite = next(container.decode(video=0))
    assert (sprite.width, sprite.height) == (960, 144)


def test_each_storyboard_tile_shows_its_own_moment(tmp_path: Path) -> None:
    source = make_clip(str(tmp_path / "twelve.mp4"), seconds=12.0, audio=False)
    out = tmp_path / "out"
    out.mkdir()
    board = transcode(source, str(out), ladder=(144,)).storyboard
    assert (board.columns, board.rows, board.tile_duration) == (6, 2, 1)
    with av.open(str(out / board.filename)) as container:
        sprite = next(container.decode(video=0))
    # 24x18 grey per tile, cut out of a grey copy of the whole sprite.
    tiles_grey = _gray(sprite, 24 * board.columns, 18 * board.rows)
    row_bytes = 24 * board.columns
    tiles = [
        b"".join(
            tiles_grey[(r * 18 + y) * row_bytes + c * 24 : (r * 18 + y) * row_bytes + c * 24 + 24]
            for y in range(18)
        )
        for r in range(board.rows)
        for c in range(board.columns)
    ]
    moments: dict[int, bytes] = {}
    with av.open(source) as container:
        for frame in container.decode(video=0):
            second = float(frame.pts * frame.time_base)
            if second >= len(moments) and len(moments) < 12:
                moments[len(moments)] = _gray(frame, 24, 18)
    for index, tile in enumerate(tiles):
        closest = min(moments, key=lambda k: _distance(tile, moments[k]))
        assert closest == index, f"tile {index} looks like second {closest}"


def test_no_storyboard_for_sound_or_under_three_seconds(short_clip: Path, tmp_path: Path) -> None:
    song = make_clip(str(tmp_path / "song.m4a"), seconds=5.0, video=False)
    (tmp_path / "a").mkdir()
    assert transcode(song, str(tmp_path / "a")).storyboard is None
    (tmp_path / "b").mkdir()
    assert transcode(str(short_clip), str(tmp_path / "b"), ladder=(144,)).storyboard is None
    assert not (tmp_path / "b" / "storyboard.jpg").exists()


@pytest.mark.parametrize(
    ("duration", "plan", "grid"),
    [
        (5, (1, 5), (5, 1)),
        (12, (1, 12), (6, 2)),
        (100, (1, 100), (10, 10)),
        (150, (2, 75), (10, 8)),
    ],
)
def test_storyboard_plan_follows_peertube(duration: float, plan: tuple, grid: tuple) -> None:
    assert storyboard_plan(duration) == plan
    assert storyboard_grid(plan[1]) == grid
    assert storyboard_plan(2.9) is None
