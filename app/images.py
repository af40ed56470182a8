"""Avatars and banners: checked, cropped to shape, resized and stored in a few sizes.

PyAV decodes the upload (PNG, JPEG, WebP, GIF) and encodes JPEGs, so no image
library is needed. Output is written beside a temporary name and renamed, so
a half-written image is never served.

Decoding is slow and its cost is the picture's size, not the file's: a 216 KB
PNG can hold 8192x8192 pixels. So the size is read from the file's header
first (`dimensions`) and a picture over MAX_PIXELS is refused undecoded, and
the work runs in a small pool of threads of its own (`store_async`), never on
the IOLoop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import os
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

MAX_BYTES = 4 * 1024 * 1024
MAX_PIXELS = 4096 * 4096
MAX_SIDE = 8192
TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif"}

# (width, height) of each stored size; avatars are square, banners 6:1 like PeerTube's.
AVATAR_SIZES = ((48, 48), (120, 120), (600, 600))
BANNER_SIZES = ((600, 100), (1920, 317))


class ImageError(ValueError):
    """An image Shoal will not take; the message is for the user, `status` the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


UNREADABLE = "This file is not an image Shoal can read (PNG, JPEG, WebP, GIF)."
# A pool of its own: a burst of uploads waits here instead of taking every thread of
# the default executor (where the DNS lookups of outgoing fetches run).
_POOL = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="images")
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic...): not C4
# (Huffman tables), C8 (reserved) or CC (arithmetic conditioning).
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD9)}  # TEM, RSTn, SOI: no length follows


def _jpeg_dimensions(data: bytes) -> tuple[int, int]:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _JPEG_SOF and i + 9 <= len(data):
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        if marker == 0xDA or length < 2:  # image data before any frame header
            break
        i += 2 + length
    raise ImageError(UNREADABLE)


def _webp_dimensions(data: bytes) -> tuple[int, int]:
    kind, body = data[12:16], data[20:30]
    if kind == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", body[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if kind == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        (bits,) = struct.unpack("<I", body[1:5])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if kind == b"VP8X" and len(body) >= 10:
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return width, height
    raise ImageError(UNREADABLE)


def dimensions(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, JPEG, GIF or WebP, read from its header (nothing decoded).

    The decoder sizes its picture from these same fields, so they bound its work.
    """
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_dimensions(data)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_dimensions(data)
    raise ImageError(UNREADABLE)


def check_dimensions(width: int, height: int) -> None:
    """Refuse a picture too big to decode here (ImageError with its size and the limit)."""
    if width < 1 or height < 1:
        raise ImageError("The image's dimensions are not usable.")
    if width > MAX_SIDE or height > MAX_SIDE:
        raise ImageError(
            f"The image is {width}x{height} pixels; at most {MAX_SIDE} pixels on a side."
        )
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"The image is {width}x{height} pixels; at most {MAX_PIXELS / 1e6:.1f} megapixels"
            f" (such as 4096x4096)."
        )


@dataclass(frozen=True)
class StoredImage:
    width: int
    height: int
    filename: str


def _decode(data: bytes):
    if not data:
        raise ImageError("The image file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageError(
            f"The image is too large: at most {MAX_BYTES // (1024 * 1024)} MB.", status=413
        )
    check_dimensions(*dimensions(data))
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise ImageError("This file is not an image.")
            for frame in container.decode(stream):
                check_dimensions(frame.width, frame.height)
                return frame
    except (av.error.FFmpegError, StopIteration, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(UNREADABLE) from None
    raise ImageError("The image has no picture in it.")


def _crop_resize(frame, width: int, height: int):
    """Center-crop to the target shape, then scale (a filter graph does both)."""
    src_w, src_h = frame.width, frame.height
    target = width / height
    if src_w / src_h > target:
        crop_w, crop_h = round(src_h * target), src_h
    else:
        crop_w, crop_h = src_w, round(src_w / target)
    # Even sides where the picture has them; a picture smaller than 2 pixels keeps its own.
    crop_w = min(max(crop_w - crop_w % 2, 2), src_w)
    crop_h = min(max(crop_h - crop_h % 2, 2), src_h)
    graph = av.filter.Graph()
    src = graph.add_buffer(
        template=None,
        width=src_w,
        height=src_h,
        format=frame.format.name,
        time_base=frame.time_base or Fraction(1, 25),
    )
    crop = graph.add("crop", f"{crop_w}:{crop_h}")
    scale = graph.add("scale", f"{width}:{height}:flags=lanczos")
    fmt = graph.add("format", "yuvj420p")
    sink = graph.add("buffersink")
    src.link_to(crop)
    crop.link_to(scale)
    scale.link_to(fmt)
    fmt.link_to(sink)
    graph.configure()
    frame.pts = 0
    graph.push(frame)
    return graph.pull()


def _jpeg(frame) -> bytes:
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = frame.width, frame.height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)
    codec.options = {"qscale": "3"}
    codec.flags |= 0x0002  # AV_CODEC_FLAG_QSCALE: fixed quality
    codec.global_quality = 3 * 118  # FF_QP2LAMBDA * q
    packets = codec.encode(frame) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)


def store(
    data: bytes, folder: Path, stem: str, sizes: tuple[tuple[int, int], ...]
) -> list[StoredImage]:
    """Decode, crop, resize and write `stem-WxH.jpg` for each size; never upscale past 2x."""
    frame = _decode(data)
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    for width, height in sizes:
        if width > frame.width * 2 and height > frame.height * 2 and stored:
            continue  # a tiny source makes no big sizes
        out = _crop_resize(frame, width, height)
        name = f"{stem}-{width}x{height}.jpg"
        tmp = folder / f".{name}.part"
        tmp.write_bytes(_jpeg(out))
        os.replace(tmp, folder / name)
        stored.append(StoredImage(width, height, name))
    return stored


async def store_async(
    data: bytes, folder: Path, stem: str, sizes: tuple[tuple[int, int], ...]
) -> list[StoredImage]:
    """`store` in the image threads: the IOLoop answers other requests meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_POOL, store, data, folder, stem, sizes)


def remove(folder: Path, stem: str) -> None:
    for path in folder.glob(f"{stem}-*.jpg"):
        path.unlink(missing_ok=True)
