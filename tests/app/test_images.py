"""Avatars and banners: an image's size is read from its header, and a picture too big
to decode here is refused before anything is decoded."""

from __future__ import annotations

import fractions
import io
import struct

import av
import pytest

from app import images


def encoded(codec_name: str, width: int, height: int, pix_fmt: str, **options: str) -> bytes:
    """A real image file made by PyAV's encoder (one frame)."""
    frame = av.VideoFrame(width, height, "rgb24").reformat(format=pix_fmt)
    if codec_name in ("gif", "libwebp"):  # these write a container around the frame
        out = io.BytesIO()
        fmt = "gif" if codec_name == "gif" else "webp"
        with av.open(out, "w", format=fmt) as container:
            stream = container.add_stream(codec_name, rate=1)
            stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
            stream.options = options
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        return out.getvalue()
    codec = av.CodecContext.create(codec_name, "w")
    codec.width, codec.height, codec.pix_fmt = width, height, pix_fmt
    codec.time_base = fractions.Fraction(1, 25)
    return b"".join(bytes(p) for p in codec.encode(frame) + codec.encode(None))


@pytest.mark.parametrize(
    ("codec_name", "pix_fmt", "options"),
    [
        ("png", "rgb24", {}),
        ("mjpeg", "yuvj420p", {}),
        ("gif", "rgb8", {}),
        ("libwebp", "yuv420p", {}),  # lossy: a VP8 chunk
        ("libwebp", "bgra", {"lossless": "1"}),  # lossless: a VP8L chunk
    ],
    ids=["png", "jpeg", "gif", "webp-lossy", "webp-lossless"],
)
def test_the_size_is_read_from_the_header_of_each_format(codec_name, pix_fmt, options):
    data = encoded(codec_name, 322, 124, pix_fmt, **options)
    assert images.dimensions(data) == (322, 124)


def test_an_extended_webp_gives_its_canvas_size():
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x10\0\0\0" + (5000 - 1).to_bytes(3, "little")
    data = b"RIFF" + struct.pack("<I", 4 + len(vp8x) + 8) + b"WEBP" + vp8x
    assert images.dimensions(data + (3000 - 1).to_bytes(3, "little")) == (5000, 3000)


def _sof_jpeg(width: int, height: int) -> bytes:
    """The header of a JPEG claiming this size: SOI, an APP0 segment, then SOF0."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xda" + b"\0" * 64


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\0" * 64


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (_png(8192, 8192), "8192x8192"),
        (_sof_jpeg(6000, 6000), "6000x6000"),
        (b"GIF89a" + struct.pack("<HH", 65535, 65535) + b"\0" * 64, "65535x65535"),
        (_png(20000, 10), "20000x10"),
    ],
    ids=["png", "jpeg", "gif", "too-wide"],
)
def test_a_picture_too_big_to_decode_is_refused_from_its_header(data, size, tmp_path):
    with pytest.raises(images.ImageError, match=f"^The image is {size} pixels; at most") as err:
        images.store(data, tmp_path, "avatar-1", images.AVATAR_SIZES)
    assert err.value.status == 400
    assert list(tmp_path.iterdir()) == []


def test_the_largest_allowed_picture_is_stored(tmp_path):
    data = encoded("mjpeg", 4096, 4096, "yuvj420p")
    stored = images.store(data, tmp_path, "banner-1", images.BANNER_SIZES)
    assert [(s.width, s.height) for s in stored] == [(600, 100), (1920, 317)]


@pytest.mark.parametrize(
    "data",
    [b"hello", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xda", b"RIFF\0\0\0\0WEBPVP8 ", b"GIF89a"],
    ids=["text", "png-cut", "jpeg-no-frame", "webp-cut", "gif-cut"],
)
def test_a_file_without_a_readable_header_is_not_an_image(data, tmp_path):
    with pytest.raises(images.ImageError, match="not an image Shoal can read"):
        images.store(data, tmp_path, "avatar-1", images.AVATAR_SIZES)


@pytest.mark.parametrize(
    ("codec_name", "pix_fmt", "width", "height", "made"),
    [("png", "rgb24", 1, 1, [(120, 120)]), ("mjpeg", "yuvj420p", 2, 2, [(120, 120)]),
     ("png", "rgb24", 3, 1, [(120, 120)]), ("png", "rgb24", 1, 300, [(120, 120), (1920, 317)])],
)  # fmt: skip
def test_a_tiny_picture_makes_an_avatar_and_a_banner(
    tmp_path, codec_name, pix_fmt, width, height, made
):
    """A 1x1 picture (the fuzz sent one) is stretched, not a server error; sizes far
    beyond it are not made."""
    data = encoded(codec_name, width, height, pix_fmt)
    stored = images.store(data, tmp_path, "tiny", ((120, 120), (1920, 317)))
    assert [(s.width, s.height) for s in stored] == made
    assert (tmp_path / stored[0].filename).read_bytes().startswith(b"\xff\xd8")
