"""Tests for the streaming multipart/form-data parser (app.multipart)."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
from collections.abc import Iterable

import pytest

from app.multipart import MultipartError, MultipartParser, UploadedPart, parse_header_params

BOUNDARY = "----ShoalFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


class CollectingSink:
    """A file_sink that keeps every file part in memory, in the order the parts came."""

    def __init__(self) -> None:
        self.opened: list[tuple[str, str, str, io.BytesIO]] = []

    def __call__(self, field: str, filename: str, content_type: str) -> io.BytesIO:
        out = io.BytesIO()
        self.opened.append((field, filename, content_type, out))
        return out

    def contents(self) -> list[bytes]:
        return [out.getvalue() for *_, out in self.opened]


class HashingSink:
    """A file-like sink that keeps only a running SHA-256 and a byte count."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.writes = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self.writes += 1
        return len(data)


def part(
    name: str, value: bytes | str, filename: str | None = None, content_type: str | None = None
) -> bytes:
    """One encoded part (headers, blank line, content) without its delimiter."""
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    headers = f"Content-Disposition: {disposition}\r\n"
    if content_type is not None:
        headers += f"Content-Type: {content_type}\r\n"
    if isinstance(value, str):
        value = value.encode()
    return headers.encode() + b"\r\n" + value


def body_of(parts: Iterable[bytes], preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    """A whole multipart body from encoded parts."""
    delimiter = b"--" + BOUNDARY.encode()
    out = preamble
    for encoded in parts:
        out += delimiter + b"\r\n" + encoded + b"\r\n"
    return out + delimiter + b"--\r\n" + epilogue


def parse(body: bytes, chunk_sizes: Iterable[int] | None = None, **limits: int):
    """Feed ``body`` in chunks of the given sizes (one chunk if None) and close the parser."""
    sink = CollectingSink()
    parser = MultipartParser(CONTENT_TYPE, sink, **limits)
    if chunk_sizes is None:
        parser.feed(body)
    else:
        pos = 0
        for size in chunk_sizes:
            parser.feed(body[pos : pos + size])
            pos += size
        parser.feed(body[pos:])
    parser.close()
    return parser.fields, parser.files, sink.contents()


# Content chosen to look like the delimiter without being one: partial
# delimiters at the end of the part, CRs and LFs in odd places.
TRICKY_FILE = (
    b"\x00\x01binary\r\n--"
    + BOUNDARY.encode()[:-1]
    + b"x\r\r\n\r\n-\r\n--\r\n--"
    + BOUNDARY.encode()[:10]
    + b"\r"
)

UPLOAD_BODY = body_of(
    [
        part("name", "My holiday"),
        part("channelId", "3"),
        part("tags[0]", "sea"),
        part("tags[1]", "été"),
        part("description", "line one\r\nline two\r\n"),
        part("videofile", TRICKY_FILE, filename="holiday.mp4", content_type="video/mp4"),
        part(
            "thumbnailfile", b"\x89PNG\r\n\x1a\n" * 100, filename="t.png", content_type="image/png"
        ),
        part("privacy", "1"),
    ],
    preamble=b"This is the preamble, to be ignored.\r\n",
    epilogue=b"This is the epilogue, also ignored.\r\n",
)


def test_upload_form_fields_and_files_are_parsed():
    fields, files, contents = parse(UPLOAD_BODY)

    assert fields == {
        "name": ["My holiday"],
        "channelId": ["3"],
        "tags[0]": ["sea"],
        "tags[1]": ["été"],
        "description": ["line one\r\nline two\r\n"],
        "privacy": ["1"],
    }
    assert files == [
        UploadedPart("videofile", "holiday.mp4", "video/mp4", len(TRICKY_FILE)),
        UploadedPart("thumbnailfile", "t.png", "image/png", 800),
    ]
    assert contents == [TRICKY_FILE, b"\x89PNG\r\n\x1a\n" * 100]


def test_feeding_one_byte_at_a_time_gives_the_same_result_as_one_chunk():
    assert parse(UPLOAD_BODY, [1] * len(UPLOAD_BODY)) == parse(UPLOAD_BODY)


@pytest.mark.parametrize("seed", range(40))
def test_random_chunkings_give_the_same_result_as_one_chunk(seed):
    rng = random.Random(seed)
    sizes = [rng.choice([1, 2, 3, 5, 17, 40, 41, 64, 300, 4096]) for _ in range(400)]
    assert parse(UPLOAD_BODY, sizes) == parse(UPLOAD_BODY)


def test_every_split_point_of_a_delimiter_line_is_handled():
    body = body_of([part("a", "x" * 10), part("f", b"y" * 10, filename="f.bin")])
    expected = parse(body)
    for cut in range(1, len(body)):
        assert parse(body, [cut]) == expected, f"split at {cut}"


def test_a_crlf_split_between_two_feeds_before_the_boundary_is_not_file_content():
    body = body_of([part("f", b"PAYLOAD", filename="f.bin")])
    cut = body.index(b"PAYLOAD") + len(b"PAYLOAD\r")
    assert body[cut - 1 : cut + 1] == b"\r\n"
    _, files, contents = parse(body, [cut])
    assert contents == [b"PAYLOAD"]
    assert files[0].size == 7


def test_a_part_starting_with_crlf_before_the_first_boundary_is_accepted():
    fields, _, _ = parse(b"\r\n" + body_of([part("a", "1")]))
    assert fields == {"a": ["1"]}


def test_transport_padding_after_a_boundary_is_ignored():
    body = body_of([part("a", "1")]).replace(
        b"--" + BOUNDARY.encode() + b"\r\n", b"--" + BOUNDARY.encode() + b" \t \r\n", 1
    )
    fields, _, _ = parse(body)
    assert fields == {"a": ["1"]}


def test_unicode_filename_sent_as_raw_utf8_is_kept():
    body = body_of([part("videofile", b"v", filename="vidéo d'été 🎥.mp4")])
    _, files, _ = parse(body)
    assert files[0].filename == "vidéo d'été 🎥.mp4"


def test_filename_star_utf8_form_wins_over_the_plain_filename():
    headers = (
        b'Content-Disposition: form-data; name="videofile"; filename="fallback.mp4"; '
        b"filename*=UTF-8''%E2%82%AC%20r%C3%A9sum%C3%A9.mp4\r\n\r\n"
    )
    _, files, _ = parse(body_of([headers + b"v"]))
    assert files[0].filename == "€ résumé.mp4"


def test_quoted_names_with_escaped_quotes_and_semicolons_are_unquoted():
    headers = (
        b'content-disposition: form-data; filename="a \\"quoted\\"; name.mp4" ; '
        b'NAME="we\\\\ird\\"field"\r\n'
        b"content-type: Video/MP4; codecs=avc1\r\n\r\n"
    )
    _, files, _ = parse(body_of([headers + b"v"]))
    assert files == [UploadedPart('we\\ird"field', 'a "quoted"; name.mp4', "video/mp4", 1)]


def test_an_empty_file_part_is_a_file_of_zero_bytes():
    body = body_of([part("videofile", b"", filename="empty.mp4"), part("name", "")])
    fields, files, contents = parse(body)
    assert files == [UploadedPart("videofile", "empty.mp4", "application/octet-stream", 0)]
    assert contents == [b""]
    assert fields == {"name": [""]}


def test_file_input_left_empty_gives_an_empty_filename():
    body = body_of([part("videofile", b"", filename="", content_type="application/octet-stream")])
    _, files, _ = parse(body)
    assert files == [UploadedPart("videofile", "", "application/octet-stream", 0)]


def test_quoted_boundary_in_the_content_type_is_accepted():
    parser = MultipartParser(
        f'Multipart/Form-Data; charset=utf-8; boundary="{BOUNDARY}"', io.BytesIO
    )
    parser.feed(body_of([part("a", "1")]))
    parser.close()
    assert parser.fields == {"a": ["1"]}


def test_parse_header_params_reads_plain_quoted_and_extended_values():
    assert parse_header_params('Form-Data; Name="a;b" ; x=1;') == (
        "form-data",
        {"name": "a;b", "x": "1"},
    )
    assert parse_header_params("attachment; filename*=iso-8859-1'en'%E9t%E9") == (
        "attachment",
        {"filename": "été"},
    )
    with pytest.raises(ValueError):
        parse_header_params('form-data; name="unterminated')


def test_a_50_mb_file_fed_in_64k_chunks_keeps_parser_memory_bounded():
    chunk_size = 64 * 1024
    payload = random.Random(1).randbytes(chunk_size)  # random bytes hold many CRs and LFs
    count = 50 * 1024 * 1024 // chunk_size
    head = b"--" + BOUNDARY.encode() + b"\r\n" + part("videofile", b"", filename="big.mp4")
    tail = b"\r\n" + body_of([part("name", "big")])
    expected = hashlib.sha256()
    for _ in range(count):
        expected.update(payload)

    sink = HashingSink()
    parser = MultipartParser(CONTENT_TYPE, lambda *_: sink)
    tracemalloc.start()
    try:
        parser.feed(head)
        # Chunk boundaries that do not line up with the part: shift by 1000 bytes.
        parser.feed(payload[:1000])
        for _ in range(count - 1):
            parser.feed(payload[1000:] + payload[:1000])
        parser.feed(payload[1000:])
        parser.feed(tail)
        parser.close()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sink.size == count * chunk_size
    assert sink.sha256.hexdigest() == expected.hexdigest()
    assert parser.files == [
        UploadedPart("videofile", "big.mp4", "application/octet-stream", sink.size)
    ]
    assert parser.fields == {"name": ["big"]}
    # Feeding makes a 64 KiB chunk plus at most one copy of it: far below 1 MiB.
    assert peak < 1024 * 1024, f"peak traced memory {peak} bytes"
    # Large chunks give large writes, not byte-sized ones.
    assert sink.writes < 3 * count


@pytest.mark.parametrize(
    "header",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary=""',
        "application/x-www-form-urlencoded",
        "",
        "multipart/form-data; boundary=" + "x" * 201,
        "multipart/form-data; boundary=abc\r\n",
        'multipart/form-data; boundary="abc',
    ],
)
def test_content_type_without_a_usable_boundary_is_refused(header):
    with pytest.raises(MultipartError):
        MultipartParser(header, io.BytesIO)


def feed_and_close(body: bytes, **limits: int) -> MultipartParser:
    """Parse ``body`` in 7-byte chunks, closing at the end."""
    parser = MultipartParser(CONTENT_TYPE, CollectingSink(), **limits)
    for pos in range(0, len(body), 7):
        parser.feed(body[pos : pos + 7])
    parser.close()
    return parser


def test_a_truncated_body_is_refused_at_close():
    body = body_of([part("videofile", b"x" * 1000, filename="v.mp4")])
    for cut in (0, 10, len(BOUNDARY) + 4, 60, 500, len(body) - 10, len(body) - 4):
        with pytest.raises(MultipartError, match="incomplete"):
            feed_and_close(body[:cut])


def test_a_body_without_its_closing_boundary_is_refused():
    body = body_of([part("a", "1")])
    without_close = body[: body.rindex(b"\r\n--" + BOUNDARY.encode())]
    with pytest.raises(MultipartError, match="closing boundary"):
        feed_and_close(without_close)
    with pytest.raises(MultipartError, match="after a boundary"):
        feed_and_close(without_close + b"\r\n--" + BOUNDARY.encode())


def test_a_body_without_any_boundary_is_refused():
    with pytest.raises(MultipartError, match="no multipart boundary"):
        feed_and_close(b"name=value&other=1")


def test_an_oversized_field_is_refused_while_streaming():
    parser = MultipartParser(CONTENT_TYPE, CollectingSink(), max_field_size=100)
    parser.feed(b"--" + BOUNDARY.encode() + b"\r\n" + part("description", "d" * 100))
    with pytest.raises(MultipartError, match="larger than 100 bytes"):
        parser.feed(b"d")
    # The parser stays failed.
    with pytest.raises(MultipartError):
        parser.feed(b"\r\n--" + BOUNDARY.encode() + b"--\r\n")
    with pytest.raises(MultipartError):
        parser.close()


def test_a_field_exactly_at_the_size_limit_is_accepted():
    assert feed_and_close(body_of([part("a", "é" * 50)]), max_field_size=100).fields == {
        "a": ["é" * 50]
    }


def test_too_many_fields_are_refused():
    body = body_of(part(f"tags[{i}]", "t") for i in range(11))
    with pytest.raises(MultipartError, match="too many form fields"):
        feed_and_close(body, max_fields=10)
    assert len(feed_and_close(body, max_fields=11).fields) == 11


def test_too_many_files_are_refused():
    body = body_of(part("f", b"", filename=f"{i}.bin") for i in range(3))
    with pytest.raises(MultipartError, match="too many files"):
        feed_and_close(body, max_files=2)


@pytest.mark.parametrize(
    ("encoded_part", "message"),
    [
        (b"Content-Type: text/plain\r\n\r\nx", "no Content-Disposition"),
        (b'Content-Disposition: attachment; name="a"\r\n\r\nx', "not form-data"),
        (b'Content-Disposition: form-data; filename="a"\r\n\r\nx', "no field name"),
        (b'Content-Disposition: form-data; name="a\r\n\r\nx', "malformed Content-Disposition"),
        (b"Content-Disposition form-data\r\n\r\nx", "malformed multipart part header"),
        (b'Content-Disposition: form-data; name="a"\r\n\r\n\xff\xfe', "not valid UTF-8"),
        (b"X-Big: " + b"h" * 20000 + b"\r\n\r\nx", "headers are too large"),
    ],
)
def test_malformed_parts_are_refused(encoded_part, message):
    with pytest.raises(MultipartError, match=message):
        feed_and_close(body_of([encoded_part]))


def test_text_glued_to_a_boundary_is_refused():
    body = body_of([part("a", "1")]).replace(
        BOUNDARY.encode() + b"\r\n", BOUNDARY.encode() + b"X\r\n"
    )
    with pytest.raises(MultipartError, match="after a multipart boundary"):
        feed_and_close(body)


def test_unfinished_part_headers_are_refused_before_growing_large():
    parser = MultipartParser(CONTENT_TYPE, CollectingSink())
    parser.feed(b"--" + BOUNDARY.encode() + b"\r\nX-Endless: ")
    with pytest.raises(MultipartError, match="headers are too large"):
        for _ in range(100):
            parser.feed(b"h" * 1000)
