"""Incremental multipart/form-data parsing for streamed request bodies.

Tornado's own ``parse_body_arguments`` needs the whole body in memory, which is
no way to receive a 2 GB video. :class:`MultipartParser` is fed the body chunk by
chunk (from a ``@stream_request_body`` handler's ``data_received``) and writes
each file part straight into a file object that the caller supplies, so memory
use stays proportional to one chunk whatever the size of the upload.

The parser follows RFC 7578 (multipart/form-data) and RFC 2046 (delimiters,
preamble, epilogue), and reads ``filename*=UTF-8''...`` parameters (RFC 5987 /
RFC 2231). Non-file fields are small by construction: their size and number are
limited, and going over a limit is a :class:`MultipartError`, like any other
malformed body.

Typical use in a handler::

    def prepare(self):
        self.parser = MultipartParser(self.request.headers["Content-Type"], self.open_part)

    def data_received(self, chunk):
        self.parser.feed(chunk)

    def post(self):
        self.parser.close()   # raises MultipartError on a truncated body
        ...parser.fields, parser.files...
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import unquote

__all__ = ["MultipartError", "MultipartParser", "UploadedPart"]

# RFC 2046 allows boundaries of 1 to 70 characters. Some clients are sloppier,
# so accept up to 200: the limit only exists to keep the delimiter search cheap.
MAX_BOUNDARY_LENGTH = 200
# Bytes of headers allowed for one part (all header lines together).
MAX_PART_HEADER_SIZE = 16 * 1024
# Transport padding allowed between a delimiter and its line break.
_MAX_PADDING = 1024

# States of the parser.
_PREAMBLE = "preamble"  # before the first delimiter
_DELIMITER = "delimiter"  # just after "--boundary": "--", padding, CRLF
_HEADERS = "headers"  # inside a part's header block
_BODY = "body"  # inside a part's content
_EPILOGUE = "epilogue"  # after the closing delimiter: everything is ignored

# "; name=value" or '; name="quoted \" value"' in a header's parameter list.
_PARAM_RE = re.compile(
    r'[ \t]*;[ \t]*([^\s=;"]+)[ \t]*(?:=[ \t]*("(?:[^"\\]|\\.)*"|[^;"]*))?',
    re.DOTALL,
)
_BACKSLASH_ESCAPE_RE = re.compile(r"\\(.)", re.DOTALL)


class MultipartError(ValueError):
    """The request body is not well-formed multipart/form-data or breaks a limit.

    ``str()`` of the error is a message fit to show the client (HTTP 400).
    """


@dataclass
class UploadedPart:
    """A file part that was written to the caller's sink.

    ``filename`` is whatever the client sent: show it, never use it as a path.
    """

    field: str
    filename: str
    content_type: str
    size: int = 0


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a header value such as ``form-data; name="a"`` into its main value and parameters.

    The main value is lowercased; parameter names are lowercased; quoted values
    are unquoted (backslash escapes undone). An extended ``name*=charset''value``
    parameter (RFC 5987) is decoded and replaces the plain ``name`` one.
    Raises ``ValueError`` on a parameter list that cannot be read.
    """
    main, sep, _ = value.partition(";")
    main_value = main.strip().lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    pos = len(main)
    while pos < len(value):
        match = _PARAM_RE.match(value, pos)
        if match is None or match.end() == pos:
            if value[pos:].strip(" \t;"):
                raise ValueError(f"cannot parse parameters {value[pos:]!r}")
            break
        pos = match.end()
        name = match.group(1).lower()
        raw = (match.group(2) or "").strip(" \t")
        if raw.startswith('"'):
            raw = _BACKSLASH_ESCAPE_RE.sub(r"\1", raw[1:-1])
        if name.endswith("*"):
            decoded = _decode_extended_value(raw)
            if decoded is not None:
                extended[name[:-1]] = decoded
        else:
            params.setdefault(name, raw)
    params.update(extended)
    return main_value, params


def _decode_extended_value(raw: str) -> str | None:
    """Decode an RFC 5987 ``charset'language'percent-encoded`` value, or None if unreadable."""
    parts = raw.split("'", 2)
    if len(parts) != 3:
        return None
    charset = parts[0] or "us-ascii"
    try:
        codecs.lookup(charset)
        return unquote(parts[2], encoding=charset, errors="strict")
    except (LookupError, UnicodeDecodeError):
        return None


def _parse_boundary(content_type_header: str) -> bytes:
    """Return the boundary of a multipart/form-data Content-Type, or raise MultipartError."""
    try:
        media_type, params = parse_header_params(content_type_header or "")
    except ValueError as exc:
        raise MultipartError(f"malformed Content-Type header: {exc}") from None
    if media_type != "multipart/form-data":
        raise MultipartError(f"expected multipart/form-data, got {media_type or 'nothing'!r}")
    boundary = params.get("boundary", "")
    if not boundary:
        raise MultipartError("the Content-Type header has no multipart boundary")
    if len(boundary) > MAX_BOUNDARY_LENGTH:
        raise MultipartError(f"multipart boundary longer than {MAX_BOUNDARY_LENGTH} characters")
    if not boundary.isascii() or not boundary.isprintable() or boundary.endswith(" "):
        raise MultipartError("multipart boundary has characters RFC 2046 does not allow")
    return boundary.encode("ascii")


def _decode_header_line(line: bytes) -> str:
    """Decode a raw part-header line: browsers send UTF-8, a few old clients Latin-1."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("latin-1")


class MultipartParser:
    """Streaming multipart/form-data parser with bounded memory.

    ``file_sink(field_name, filename, content_type)`` is called when a part that
    has a ``filename`` parameter begins (an empty filename counts, which is what
    a browser sends for a file input left empty); it returns an open binary file
    object, and the part's bytes are written into it as they arrive. The parser
    never closes those files: whoever opened them closes them, on success and on
    error alike. Other parts are fields, decoded as UTF-8 into :attr:`fields`
    (a name may repeat, and PeerTube clients send ``tags[0]``, ``tags[1]`` ...).

    Memory stays proportional to the largest chunk fed, plus the small fields.
    Any malformed input or broken limit raises :class:`MultipartError`; after
    that the parser refuses further input.
    """

    def __init__(
        self,
        content_type_header: str,
        file_sink: Callable[[str, str, str], BinaryIO],
        max_field_size: int = 64 * 1024,
        max_fields: int = 200,
        max_files: int = 20,
    ) -> None:
        """Read the boundary from ``content_type_header`` (MultipartError if missing or invalid)."""
        boundary = _parse_boundary(content_type_header)
        self._delimiter = b"\r\n--" + boundary
        self._file_sink = file_sink
        self.max_field_size = max_field_size
        self.max_fields = max_fields
        self.max_files = max_files
        self.fields: dict[str, list[str]] = {}
        self.files: list[UploadedPart] = []
        self._state = _PREAMBLE
        # A virtual line break before the body lets the first delimiter be found
        # with the same "\r\n--boundary" search as all the others.
        self._buffer = b"\r\n"
        self._error: MultipartError | None = None
        self._closed = False
        self._header_lines: list[bytes] = []
        self._header_size = 0
        self._field_name = ""
        self._field_value = bytearray()
        self._field_count = 0
        self._file: BinaryIO | None = None
        self._part: UploadedPart | None = None

    @property
    def done(self) -> bool:
        """True once the closing delimiter has been read."""
        return self._state == _EPILOGUE

    def feed(self, chunk: bytes) -> None:
        """Parse the next piece of the body; chunks may be of any size and split anywhere."""
        if self._error is not None:
            raise self._error
        if self._closed:
            raise RuntimeError("feed() called after close()")
        if not chunk or self._state == _EPILOGUE:
            return
        try:
            self._parse(self._buffer + chunk if self._buffer else bytes(chunk))
        except MultipartError as exc:
            self._fail(exc)
            raise

    def close(self) -> None:
        """Finish parsing; raise MultipartError if the body ended before its closing delimiter."""
        if self._error is not None:
            raise self._error
        self._closed = True
        if self._state != _EPILOGUE:
            where = {
                _PREAMBLE: "no multipart boundary found in the body",
                _DELIMITER: "the body ends right after a boundary",
                _HEADERS: "the body ends inside a part's headers",
                _BODY: "the body ends inside a part (no closing boundary)",
            }[self._state]
            error = MultipartError(f"incomplete multipart body: {where}")
            self._fail(error)
            raise error

    def _fail(self, error: MultipartError) -> None:
        """Remember the error and drop buffered data; the parser is unusable afterwards."""
        self._error = error
        self._buffer = b""
        self._field_value = bytearray()
        self._file = None

    def _parse(self, buf: bytes) -> None:
        """Advance the state machine over ``buf`` and keep the unparsed tail for next time."""
        delimiter = self._delimiter
        pos = 0
        end = len(buf)
        while pos < end:
            state = self._state
            if state == _BODY:
                found = buf.find(delimiter, pos)
                if found >= 0:
                    self._emit(buf, pos, found)
                    self._end_part()
                    pos = found + len(delimiter)
                    self._state = _DELIMITER
                    continue
                # No whole delimiter here; the end of buf may hold its beginning.
                # The delimiter has a CR only at its start, so only the last CR
                # in the final len(delimiter) - 1 bytes can begin one.
                keep_from = end
                cr = buf.rfind(b"\r", max(pos, end - len(delimiter) + 1))
                if cr >= 0 and delimiter.startswith(buf[cr:]):
                    keep_from = cr
                self._emit(buf, pos, keep_from)
                pos = keep_from
                break
            elif state == _PREAMBLE:
                found = buf.find(delimiter, pos)
                if found < 0:
                    # The preamble is ignored; keep only what may start a delimiter.
                    pos = max(pos, end - len(delimiter) + 1)
                    break
                pos = found + len(delimiter)
                self._state = _DELIMITER
            elif state == _DELIMITER:
                if end - pos < 2:
                    break
                if buf.startswith(b"--", pos):
                    self._state = _EPILOGUE
                    pos = end
                    break
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    if end - pos > _MAX_PADDING:
                        raise MultipartError("unexpected data after a multipart boundary")
                    break
                if buf[pos:line_end].strip(b" \t"):
                    raise MultipartError("unexpected data after a multipart boundary")
                pos = line_end + 2
                self._header_lines = []
                self._header_size = 0
                self._state = _HEADERS
            elif state == _HEADERS:
                line_end = buf.find(b"\r\n", pos)
                if line_end < 0:
                    if self._header_size + end - pos > MAX_PART_HEADER_SIZE:
                        raise MultipartError("multipart part headers are too large")
                    break
                line = buf[pos:line_end]
                pos = line_end + 2
                self._header_size += len(line) + 2
                if self._header_size > MAX_PART_HEADER_SIZE:
                    raise MultipartError("multipart part headers are too large")
                if not line:
                    self._start_part()
                    self._state = _BODY
                elif line[:1] in (b" ", b"\t") and self._header_lines:
                    # Obsolete line folding (RFC 5322): continues the previous header.
                    self._header_lines[-1] += b" " + line.strip(b" \t")
                else:
                    self._header_lines.append(line)
            else:  # _EPILOGUE: ignored
                pos = end
        self._buffer = buf[pos:]

    def _start_part(self) -> None:
        """Read the finished header block and open the part as a file or a field."""
        headers: dict[str, str] = {}
        for raw in self._header_lines:
            name, colon, value = _decode_header_line(raw).partition(":")
            if not colon or not name.strip():
                raise MultipartError(f"malformed multipart part header {raw[:80]!r}")
            headers.setdefault(name.strip().lower(), value.strip())
        self._header_lines = []

        disposition_header = headers.get("content-disposition")
        if disposition_header is None:
            raise MultipartError("a multipart part has no Content-Disposition header")
        try:
            disposition, params = parse_header_params(disposition_header)
        except ValueError:
            raise MultipartError(
                f"malformed Content-Disposition header {disposition_header[:200]!r}"
            ) from None
        if disposition != "form-data":
            raise MultipartError(f"a multipart part is {disposition!r}, not form-data")
        name = params.get("name")
        if name is None:
            raise MultipartError("a multipart part has no field name")

        content_type = ""
        if "content-type" in headers:
            try:
                content_type, _ = parse_header_params(headers["content-type"])
            except ValueError:
                content_type = headers["content-type"].split(";", 1)[0].strip().lower()

        filename = params.get("filename")
        if filename is not None:
            if len(self.files) >= self.max_files:
                raise MultipartError(f"too many files (at most {self.max_files})")
            content_type = content_type or "application/octet-stream"
            self._part = UploadedPart(field=name, filename=filename, content_type=content_type)
            self._file = self._file_sink(name, filename, content_type)
        else:
            if self._field_count >= self.max_fields:
                raise MultipartError(f"too many form fields (at most {self.max_fields})")
            self._field_count += 1
            self._field_name = name
            self._field_value = bytearray()

    def _emit(self, buf: bytes, start: int, stop: int) -> None:
        """Hand ``buf[start:stop]`` to the current part without copying it."""
        if stop <= start:
            return
        data = memoryview(buf)[start:stop]
        if self._part is not None and self._file is not None:
            self._part.size += len(data)
            while data:
                written = self._file.write(data)
                # Raw (unbuffered) files may write less than asked.
                if written is None or written >= len(data):
                    break
                data = data[written:]
        else:
            if len(self._field_value) + len(data) > self.max_field_size:
                raise MultipartError(
                    f"form field {self._field_name!r} is larger than {self.max_field_size} bytes"
                )
            self._field_value += data

    def _end_part(self) -> None:
        """Record the part that just ended."""
        if self._part is not None:
            self.files.append(self._part)
            self._part = None
            self._file = None
            return
        try:
            value = self._field_value.decode("utf-8")
        except UnicodeDecodeError:
            raise MultipartError(f"form field {self._field_name!r} is not valid UTF-8") from None
        self.fields.setdefault(self._field_name, []).append(value)
        self._field_value = bytearray()
