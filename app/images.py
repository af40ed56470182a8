"""Avatars and banners: checked, cropped to shape, resized and stored in a few sizes.

PyAV decodes the upload (PNG, JPEG, WebP, GIF) and encodes JPEGs, so no image
library is needed. Output is written beside a temporary name and renamed, so
a half-written image is never served.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error

MAX_BYTES = 4 * 1024 * 1024
MAX_SIDE = 8192
TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp", "image/gif"}

# (width, height) of each stored size; avatars are square, banners 6:1 like PeerTube's.
AVATAR_SIZES = ((48, 48), (120, 120), (600, 600))
BANNER_SIZES = ((600, 100), (1920, 317))


class ImageError(ValueError):
    """An image Shoal will not take; the message is for the user."""


@dataclass(frozen=True)
class StoredImage:
    width: int
    height: int
    filename: str


def _decode(data: bytes):
    if not data:
        raise ImageError("The image file is empty.")
    if len(data) > MAX_BYTES:
        raise ImageError(f"The image is too large: at most {MAX_BYTES // (1024 * 1024)} MB.")
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise ImageError("This file is not an image.")
            for frame in container.decode(stream):
                if not (1 <= frame.width <= MAX_SIDE and 1 <= frame.height <= MAX_SIDE):
                    raise ImageError("The image's dimensions are not usable.")
                return frame
    except (av.error.FFmpegError, StopIteration, ValueError) as err:
        if isinstance(err, ImageError):
            raise
        raise ImageError(
            "This file is not an image Shoal can read (PNG, JPEG, WebP, GIF)."
        ) from None
    raise ImageError("The image has no picture in it.")


def _crop_resize(frame, width: int, height: int):
    """Center-crop to the target shape, then scale (a filter graph does both)."""
    src_w, src_h = frame.width, frame.height
    target = width / height
    if src_w / src_h > target:
        crop_w, crop_h = round(src_h * target), src_h
    else:
        crop_w, crop_h = src_w, round(src_w / target)
    crop_w, crop_h = max(crop_w - crop_w % 2, 2), max(crop_h - crop_h % 2, 2)
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


def remove(folder: Path, stem: str) -> None:
    for path in folder.glob(f"{stem}-*.jpg"):
        path.unlink(missing_ok=True)
