"""Benchmark Shoal's transcode() against ffmpeg doing the same job.

Generates (once, cached under the system temp dir) a synthetic clip with
audio, then times:

  (1) Shoal: ``app.media.transcode.transcode`` with the default ladder;
  (a) PeerTube's way: one ffmpeg process per resolution, one after another;
  (b) one ffmpeg process with a split filter producing every rendition.

All three use the same encoder settings (libx264 veryfast, CRF, maxrate and
bufsize per height, fixed GOP without scene cuts, AAC 128k stereo, fMP4 HLS
in a single file per resolution). Debian's ffmpeg binary is only needed here:
``apt-get install ffmpeg``.

Usage: python -m bench.transcode [--seconds 60] [--height 1080] [--fps 30]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app.media import transcode as shoal  # noqa: E402
from tests.clips import make_clip  # noqa: E402

NOISE = 3


def source_clip(seconds: float, height: int, fps: int) -> str:
    """The benchmark input, generated on first use and cached by its parameters."""
    width = shoal.even(height * 16 / 9)
    cache = os.path.join(tempfile.gettempdir(), "shoal-bench")
    os.makedirs(cache, exist_ok=True)
    path = os.path.join(cache, f"src-{seconds:g}s-{width}x{height}-{fps}fps-n{NOISE}.mp4")
    if not os.path.exists(path):
        print(f"generating {path} ...", flush=True)
        started = time.perf_counter()
        partial = path + ".part.mp4"
        make_clip(partial, seconds=seconds, width=width, height=height, fps=fps, noise=NOISE)
        os.replace(partial, path)
        print(f"  generated in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def _video_args(height: int, width: int, fps: float) -> list[str]:
    gop = round(shoal.GOP_SECONDS * fps)
    options = shoal.x264_options(height, fps, gop)
    return [
        "-c:v", "libx264",
        "-preset", options["preset"],
        "-crf", options["crf"],
        "-maxrate", options["maxrate"],
        "-bufsize", options["bufsize"],
        "-g", options["g"],
        "-keyint_min", options["keyint_min"],
        "-sc_threshold", options["sc_threshold"],
        "-x264-params", options["x264-params"],
        "-pix_fmt", "yuv420p",
    ]  # fmt: skip


def _audio_args() -> list[str]:
    return ["-c:a", "aac", "-b:a", str(shoal.AUDIO_BITRATE), "-ac", "2", "-ar", "48000"]


def _hls_args(out_dir: str, name: str) -> list[str]:
    return [
        "-f", "hls",
        "-hls_time", str(int(shoal.SEGMENT_SECONDS)),
        "-hls_playlist_type", "vod",
        "-hls_segment_type", "fmp4",
        "-hls_flags", "single_file",
        "-hls_segment_filename", os.path.join(out_dir, f"{name}-fragmented.mp4"),
        os.path.join(out_dir, f"{name}.m3u8"),
    ]  # fmt: skip


def _chain(height: int, width: int, fps: float) -> str:
    return (
        f"fps=fps={fps:g}:start_time=0,scale=w={width}:h={height}:flags={shoal.SCALER},"
        "format=pix_fmts=yuv420p,setsar=1"
    )


def _ladder(src_height: int, aspect: float) -> list[tuple[int, int]]:
    heights = shoal.plan_ladder(src_height, shoal.DEFAULT_LADDER)
    return [(height, shoal.even(height * aspect)) for height in heights]


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_ffmpeg_serial(ffmpeg: str, src: str, out_dir: str, rungs, fps: float) -> float:
    """PeerTube's way: one ffmpeg per resolution, one after another."""
    started = time.perf_counter()
    for height, width in rungs:
        command = [ffmpeg, "-v", "error", "-y", "-i", src, "-map", "0:v:0", "-map", "0:a:0"]
        command += ["-vf", _chain(height, width, fps)]
        command += _video_args(height, width, fps) + _audio_args()
        command += _hls_args(out_dir, f"serial-{height}")
        subprocess.run(command, check=True)
    return time.perf_counter() - started


def run_ffmpeg_split(ffmpeg: str, src: str, out_dir: str, rungs, fps: float) -> float:
    """One ffmpeg process, one decode, a split filter feeding every rendition."""
    labels = [f"v{height}" for height, _ in rungs]
    graph = f"[0:v]split={len(rungs)}" + "".join(f"[s{label}]" for label in labels)
    for (height, width), label in zip(rungs, labels, strict=True):
        graph += f";[s{label}]{_chain(height, width, fps)}[{label}]"
    command = [ffmpeg, "-v", "error", "-y", "-i", src, "-filter_complex", graph]
    for (height, width), label in zip(rungs, labels, strict=True):
        command += ["-map", f"[{label}]", "-map", "0:a:0"]
        command += _video_args(height, width, fps) + _audio_args()
        command += _hls_args(out_dir, f"split-{height}")
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def run_shoal(src: str, out_dir: str) -> float:
    """Shoal's pipeline, in this process."""
    started = time.perf_counter()
    shoal.transcode(src, out_dir, shoal.DEFAULT_LADDER, prefix="shoal")
    return time.perf_counter() - started


def _mb(folder: str, prefix: str = "") -> str:
    total = sum(
        os.path.getsize(os.path.join(folder, name))
        for name in os.listdir(folder)
        if name.startswith(prefix) and name.endswith(".mp4")
    )
    return f"({total / 1e6:.1f} MB of fMP4)"


def _timed(label: str, run, who: int) -> tuple[float, float]:
    cpu = _cpu(who)
    wall = run()
    cpu = _cpu(who) - cpu
    print(f"{label} {wall:7.2f} s wall, {cpu:7.2f} s CPU", end="", flush=True)
    return wall, cpu


def main() -> None:
    """Parse options, run the three contenders and print wall times and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--skip-serial", action="store_true", help="skip (a), the slowest")
    parser.add_argument("--only-shoal", action="store_true", help="time Shoal alone")
    parser.add_argument("--keep", metavar="DIR", help="write the outputs here and keep them")
    parser.add_argument("--repeat", type=int, default=1, help="alternate runs, report medians")
    args = parser.parse_args()

    src = source_clip(args.seconds, args.height, args.fps)
    rungs = _ladder(args.height, 16 / 9)
    print(f"source: {src}")
    print(f"ladder: {', '.join(f'{w}x{h}' for h, w in rungs)}; cores: {os.cpu_count()}")
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None and not args.only_shoal:
        print("ffmpeg not found; install it for the comparison: apt-get install ffmpeg")

    walls: dict[str, list[float]] = {"shoal": [], "split": [], "serial": []}
    with tempfile.TemporaryDirectory(prefix="shoal-bench-") as scratch:
        work = args.keep or scratch
        shoal_dir = os.path.join(work, "shoal")
        for _ in range(args.repeat):
            shutil.rmtree(shoal_dir, ignore_errors=True)
            os.makedirs(shoal_dir)
            wall, _cpu_s = _timed(
                "(1) shoal transcode():          ",
                lambda: run_shoal(src, shoal_dir),
                resource.RUSAGE_SELF,
            )
            walls["shoal"].append(wall)
            print(f"  {_mb(shoal_dir)}", flush=True)
            if ffmpeg is None or args.only_shoal:
                continue
            wall, _cpu_s = _timed(
                "(b) ffmpeg, one process + split:",
                lambda: run_ffmpeg_split(ffmpeg, src, work, rungs, args.fps),
                resource.RUSAGE_CHILDREN,
            )
            walls["split"].append(wall)
            print(f"  {_mb(work, 'split')}", flush=True)
            if args.skip_serial:
                continue
            wall, _cpu_s = _timed(
                "(a) ffmpeg, one per resolution: ",
                lambda: run_ffmpeg_serial(ffmpeg, src, work, rungs, args.fps),
                resource.RUSAGE_CHILDREN,
            )
            walls["serial"].append(wall)
            print(f"  {_mb(work, 'serial')}", flush=True)
    shoal_wall = statistics.median(walls["shoal"])
    if walls["split"]:
        split = statistics.median(walls["split"])
        print(f"median wall: shoal {shoal_wall:.2f} s, (b) split {split:.2f} s")
        print(f"shoal / (b) split filter:   {shoal_wall / split:.2f}x")
    if walls["serial"]:
        serial = statistics.median(walls["serial"])
        print(f"median wall: (a) one per resolution {serial:.2f} s")
        print(f"shoal / (a) PeerTube's way: {shoal_wall / serial:.2f}x")


if __name__ == "__main__":
    main()
