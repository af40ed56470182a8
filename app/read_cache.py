"""Rendered anonymous reads, kept until anything they could show changes.

Most reads are anonymous and the same for everyone: other servers fetching an
ActivityPub object, API clients listing videos, visitors opening a page. Each
web process keeps the responses it rendered for them (status 200 only) with
the database's read version (migration 0021: triggers move it on every change
to a table visitors read, whichever process or worker made the change). A
request is answered from here only while the version read at that moment is
the one the response was rendered under, so an edit, a new video, a privacy
change or a deletion shows at once in every web process; the price is one
primary-key read per request.

The key is what the response may depend on for an anonymous visitor: the URI
(path and query), Accept (ActivityPub or HTML on one URL) and HX-Request (a
fragment or the page). Requests with credentials (a Bearer token or the
session cookie) are never answered from here nor stored. Pages carry the
visitor's XSRF token: they are stored with a marker in its place
(`XSRF_MARKER`) and each answer puts the visitor's own token back.

`app/web.py` answers hits before routing (no handler is made for them);
`handlers/base.py` stores what handlers that opt in render, and answers hits
itself when the visitor's token must be made first.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from tornado.httputil import HTTPHeaders

from models import db

XSRF_MARKER = "shoal-xsrf-3b1c9e0d5f"
_XSRF_MARKER_BYTES = XSRF_MARKER.encode()
# Tornado's version-2 XSRF cookie: 2|mask|masked token|time. A token given back in a page
# is the visitor's own cookie value, so only that exact shape is ever written into HTML.
_XSRF_COOKIE = re.compile(rb"^2\|[0-9a-f]{8}\|[0-9a-f]{32}\|[0-9]{1,12}$")
# Headers of the stored response that are the request's own, not the content's.
_NOT_STORED = frozenset(
    ("set-cookie", "date", "server", "content-length", "etag", "transfer-encoding")
)
_COMPRESSIBLE = ("text/", "application/json", "application/activity+json", "application/xml")
MIN_GZIP = 1024
MAX_PUBLIC = 10_000  # videos remembered as visible to anyone (forgotten all at once beyond)
VERSION_REUSE = 0.005  # seconds: the longest one read of the version answers requests

# Tables no anonymous read comes from (migration 0021 moves the version on changes to the
# others): private to their users, or the servers' own bookkeeping. A new table goes in one
# list or the other (tests/app/test_read_cache.py).
UNREAD_TABLES = frozenset(
    (
        "abuse",  # reports: moderators and reporters only
        "abuse_message",
        "delivery",  # federation bookkeeping
        "inbox_activity",
        "out_activity",
        "job",
        "notification",  # their user's only
        "o_auth_client",
        "o_auth_token",
        "upload",  # unfinished uploads
        "user_registration",  # requests to join: moderators only
    )
)


def current_version() -> int:
    """The database's read version now (one primary-key read)."""
    row = db.execute_sql('SELECT "n" FROM "read_version" WHERE "id" = 1').fetchone()
    return row[0] if row else -1


@dataclass
class Entry:
    """One stored response: headers without the per-request ones, and the body."""

    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    has_xsrf: bool
    compressible: bool
    _gzipped: bytes | None = field(default=None, repr=False)
    _shared: dict[bool, HTTPHeaders] = field(default_factory=dict, repr=False)

    def body_for(self, xsrf_token: bytes | None) -> bytes:
        """The body with the visitor's XSRF token in place of the marker."""
        if not self.has_xsrf:
            return self.body
        return self.body.replace(_XSRF_MARKER_BYTES, xsrf_token or b"")

    def gzipped(self) -> bytes:
        """The body compressed once (only for bodies without a per-visitor token)."""
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
        return self._gzipped

    def etag_for(self, xsrf_token: bytes | None) -> str:
        if not self.has_xsrf:
            return self.etag
        digest = hashlib.sha1(self.etag.encode() + (xsrf_token or b""), usedforsecurity=False)
        return f'"{digest.hexdigest()}"'

    def response(self, xsrf_token: bytes | None, gzipped: bool) -> tuple[HTTPHeaders, bytes]:
        """The headers (without Date) and body of a 200. Without a token they are made once
        and shared: the caller sets Date and removes what it adds before the next answer."""
        if xsrf_token is None and gzipped in self._shared:
            return self._shared[gzipped], self.gzipped() if gzipped else self.body
        body = self.body_for(xsrf_token)
        if gzipped:
            body = self.gzipped() if xsrf_token is None else gzip.compress(body, 6)
        headers = self.headers_with(self.etag_for(xsrf_token))
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body))
        if xsrf_token is None:
            self._shared[gzipped] = headers
        return headers, body

    def headers_with(self, etag: str) -> HTTPHeaders:
        """The stored headers and `etag`, with one Vary naming Accept-Encoding if compressible."""
        headers = HTTPHeaders()
        vary = [v for k, v in self.headers if k.lower() == "vary"]
        for name, value in self.headers:
            if name.lower() != "vary":
                headers.add(name, value)
        if self.compressible:
            vary.append("Accept-Encoding")
        if vary:
            headers["Vary"] = ", ".join(vary)
        headers["Etag"] = etag
        return headers


def make_entry(headers: Any, body: bytes) -> Entry:
    """An Entry from a handler's headers (tornado HTTPHeaders) and its body as written."""
    kept = [(k, v) for k, v in headers.get_all() if k.lower() not in _NOT_STORED]
    ctype = headers.get("Content-Type", "")
    etag = f'"{hashlib.sha1(body, usedforsecurity=False).hexdigest()}"'
    return Entry(
        headers=kept,
        body=body,
        etag=etag,
        has_xsrf=_XSRF_MARKER_BYTES in body,
        compressible=ctype.startswith(_COMPRESSIBLE) and len(body) >= MIN_GZIP,
    )


def xsrf_from_cookie(cookie: bytes | None) -> bytes | None:
    """The visitor's XSRF cookie value when it has Tornado's shape (usable as the token)."""
    if cookie and _XSRF_COOKIE.match(cookie):
        return cookie
    return None


class ReadCache:
    """Stored anonymous responses by key, each with the read version it was rendered
    under; bounded by their bodies' total size (the least recently used go first). One per
    web application."""

    def __init__(self, private_cookie: str, max_bytes: int = 64 << 20) -> None:
        self.max_bytes = max_bytes
        self._private_cookie = private_cookie + "="
        self._entries: OrderedDict[tuple, tuple[int, Entry]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._version: int | None = None
        self._public: dict[str, int] = {}
        self._version_read = 0.0
        self._forget_scheduled = False
        self.hits = self.misses = 0

    def version(self) -> int:
        """The read version, read at most once per turn of the event loop (and 5 ms).

        Never stale for a request: the turn that handles it started after the request was
        sent (the loop polls sockets before it runs what they woke), so after any change the
        client saw completed. Tornado also reads a connection's next request right after
        answering the previous one, within the turn; a client that waits for each answer
        before asking again (browsers, other servers) has not sent it yet then. Only a
        client that pipelines requests could be answered with the version of up to
        VERSION_REUSE before.
        """
        now = time.monotonic()
        if self._version is None or now - self._version_read > VERSION_REUSE:
            self._version, self._version_read = current_version(), now
            if not self._forget_scheduled:
                try:
                    asyncio.get_running_loop().call_soon(self._forget_version)
                    self._forget_scheduled = True
                except RuntimeError:  # no event loop in this thread: read every time
                    self._version, version = None, self._version
                    return version
        return self._version

    def known_public(self, name: str, version: int) -> bool:
        """Whether the video `name` was found visible to anyone under this read version
        (media requests, a dozen a second per viewer, then skip looking it up again)."""
        return self._public.get(name) == version

    def note_public(self, name: str, version: int) -> None:
        if len(self._public) >= MAX_PUBLIC:
            self._public.clear()
        self._public[name] = version

    def _forget_version(self) -> None:
        self._version, self._forget_scheduled = None, False

    def key(self, request: Any) -> tuple | None:
        """The key of an anonymous GET, or None when it carries credentials."""
        if request.method != "GET":
            return None
        headers = request.headers
        if "Authorization" in headers or self._private_cookie in headers.get("Cookie", ""):
            return None
        return (request.uri, headers.get("Accept", ""), headers.get("HX-Request", ""))

    def get(self, key: tuple, version: int) -> Entry | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != version:
                if found is not None:  # rendered before a change: of no use any more
                    self._drop(key)
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: tuple, version: int, entry: Entry) -> None:
        if len(entry.body) > self.max_bytes // 16:
            return  # a rare huge answer would push out many common ones
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (version, entry)
            self._bytes += len(entry.body)
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple) -> None:
        _, entry = self._entries.pop(key)
        self._bytes -= len(entry.body)
