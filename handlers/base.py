"""The small handler hierarchy: auth, rendering, errors, format choice.

- BaseHandler resolves the user (session cookie or Bearer token) in prepare()
  and refuses anonymous calls to methods not marked @public (deny by default).
- PageHandler renders HTML and error pages.
- APIHandler answers JSON, errors in PeerTube's problem shape.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Callable, Collection, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import tornado.web
from mako.lookup import TemplateLookup

from app import auth, read_cache, serialize, videos
from app.settings import Settings
from app.validation import Field, ValidationError, check
from models import db
from models.accounts import User

log = logging.getLogger(__name__)

SESSION_COOKIE = "shoal_session"
SESSION_DAYS = 30
DOCS = "https://docs.joinpeertube.org/api-rest-reference.html"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_lookup = TemplateLookup(
    directories=[str(TEMPLATES)],
    default_filters=["h"],
    input_encoding="utf-8",
    strict_undefined=True,
)


def public(method: Callable) -> Callable:
    """Mark a handler method as open to anonymous visitors."""
    method.public = True  # type: ignore[attr-defined]
    return method


class Problem(tornado.web.HTTPError):
    """An error for the client, rendered as a page or as PeerTube's JSON problem."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        invalid_params: dict[str, tuple[Any, str]] | None = None,
        code: str | None = None,
        location: str = "body",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, log_message=detail)
        self.detail = detail
        self.invalid_params = invalid_params or {}
        self.code = code
        self.location = location
        self.headers = headers or {}


def bad_query(name: str, value: Any, message: str) -> Problem:
    """PeerTube's 400 for one bad query parameter (invalid-params, location query)."""
    return Problem(
        400,
        f"Incorrect request parameters: {name}",
        invalid_params={name: (value, message)},
        location="query",
    )


def invalid(err: ValidationError, location: str = "body") -> Problem:
    """PeerTube's 400 for fields that app/validation.py refused (invalid-params)."""
    return Problem(400, str(err), invalid_params=err.errors, location=location)


class BaseHandler(tornado.web.RequestHandler):
    """Resolves the user; denies anonymous access unless the method is @public."""

    user: User | None = None
    token_auth = False
    # GETs of this handler are the same for every anonymous visitor: kept and answered by
    # app/read_cache.py until the data changes. A GET that must not be kept calls no_store().
    read_cached = False
    _read_store: tuple[tuple, int] | None = None

    @property
    def shoal(self) -> Settings:
        return self.application.settings["shoal"]

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "strict-origin-when-cross-origin")

    def is_public(self) -> bool:
        method = getattr(self, self.request.method.lower(), None)
        return bool(getattr(method, "public", False))

    def prepare(self) -> None:
        db.connect(reuse_if_open=True)
        self.user = self._resolve_user()
        if self.user is None and not self.is_public():
            self.deny()
        if self.read_cached and self.user is None:
            self._read_from_cache()

    def _read_from_cache(self) -> None:
        """Answer a stored response (app/web.py answers most of them before routing: this is
        for pages whose visitor has no XSRF cookie yet), or note where to store this one."""
        cache: read_cache.ReadCache = self.application.settings["read_cache"]
        found = getattr(self.request, "read_key", None)
        if found is None:
            key = cache.key(self.request)
            if key is None:
                return
            found = (key, cache.version())
        entry = cache.get(*found)
        if entry is None:
            self._read_store = found
            return
        self.clear()
        for name in {name for name, _ in entry.headers}:
            self.clear_header(name)
        for name, value in entry.headers:
            self.add_header(name, value)
        self._send_entry(entry)

    def no_store(self) -> None:
        """This response is not kept for other visitors (e.g. it queued a refresh)."""
        self._read_store = None

    def _send_entry(self, entry: read_cache.Entry) -> Any:
        token = self.xsrf_token if entry.has_xsrf else None
        etag = entry.etag_for(token)
        self.set_header("Etag", etag)
        if self.check_etag_header():
            self.set_status(304)
            return super().finish()
        return super().finish(entry.body_for(token))

    def finish(self, chunk: str | bytes | dict | None = None) -> Any:
        # Not stored: what a signed-in user sees, errors, and a body already partly sent.
        if self._read_store is None or self._status_code != 200 or self._headers_written:
            return super().finish(chunk)
        if chunk is not None:
            self.write(chunk)
        key, version = self._read_store
        self._read_store = None
        entry = read_cache.make_entry(self._headers, b"".join(self._write_buffer))
        self.application.settings["read_cache"].put(key, version, entry)
        self._write_buffer = []
        return self._send_entry(entry)

    def xsrf_in_page(self) -> str:
        """The XSRF token a page carries: a marker when the page is stored for others."""
        if self._read_store is not None:
            return read_cache.XSRF_MARKER
        return self.xsrf_token.decode()

    def _resolve_user(self) -> User | None:
        header = self.request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            self.token_auth = True
            user = auth.user_for_access_token(header[7:].strip())
            if user is None:
                raise Problem(401, "Token is invalid", code="unauthorized_request")
            return user
        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=SESSION_DAYS)
        if not raw:
            return None
        try:
            user_id, version = (int(x) for x in raw.decode().split(":"))
        except ValueError:
            return None
        user = User.get_or_none(User.id == user_id)
        if user is None or user.session_version != version or user.blocked:
            return None
        return user

    def get_current_user(self) -> User | None:
        return self.user

    def check_xsrf_cookie(self) -> None:
        # A Bearer token is not sent by browsers on their own: no CSRF risk.
        if self.request.headers.get("Authorization", "").lower().startswith("bearer "):
            return
        super().check_xsrf_cookie()

    def deny(self) -> None:
        raise Problem(401, "You need to sign in.", code="unauthorized_request")

    def start_session(self, user: User) -> None:
        self.set_signed_cookie(
            SESSION_COOKIE,
            f"{user.id}:{user.session_version}",
            expires_days=SESSION_DAYS,
            httponly=True,
            samesite="Lax",
            secure=self.shoal.https,
        )

    def end_session(self) -> None:
        self.clear_cookie(SESSION_COOKIE)

    def client_ip(self) -> str:
        return self.request.remote_ip or "unknown"

    def int_argument(self, name: str, default: int, lo: int = 0, hi: int = 10**9) -> int:
        raw = self.get_argument(name, None)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise bad_query(name, raw, "Should be a number") from None
        return max(lo, min(hi, value))


AP_TYPES = ("application/activity+json", "application/ld+json")
AP_CONTENT_TYPE = "application/activity+json; charset=utf-8"


def wants_activity_json(accept: str) -> bool:
    """PeerTube's negotiation: ActivityPub JSON only when Accept prefers an AP type.

    Like Express's req.accepts(['html', 'application/json', ...AP types]):
    `*/*`, `application/json` and no Accept at all get the HTML page.
    """
    best, best_q = "text/html", -1.0
    candidates = ("text/html", "application/json", *AP_TYPES)
    for part in accept.split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        matches = [c for c in candidates if media in (c, "*/*") or media == c.split("/")[0] + "/*"]
        if matches and q > best_q:
            best, best_q = matches[0], q
    return best in AP_TYPES


class PageHandler(BaseHandler):
    """HTML pages; errors render the error page; anonymous writes go to sign-in."""

    connect_sources: tuple[str, ...] = ()
    script_hashes: tuple[str, ...] = ()

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self._set_csp()
        self.set_header("X-Frame-Options", "SAMEORIGIN")

    def _set_csp(self) -> None:
        connect = " ".join(("'self'", *self.connect_sources))
        script = " ".join(("'self'", *self.script_hashes))
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            f"script-src {script}; worker-src 'self' blob:; style-src 'self'; "
            f"connect-src {connect}; frame-ancestors 'self'; base-uri 'self'; form-action 'self'",
        )

    def allow_connect(self, url: str) -> None:
        """Let the page's scripts fetch from (or open a WebSocket to) `url`'s origin.

        For remote videos: their HLS files, segment hashes and tracker.
        """
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc:
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin not in self.connect_sources:
                self.connect_sources = (*self.connect_sources, origin)
                self._set_csp()

    def allow_script_hash(self, text: str) -> None:
        """Let this page run one inline script, the one whose text is exactly `text`.

        For the player's import map (an inline `<script type="importmap">`),
        under a script-src without 'unsafe-inline'.
        """
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in self.script_hashes:
            self.script_hashes = (*self.script_hashes, source)
            self._set_csp()

    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def wants_activity_json(self) -> bool:
        """One URL per object: HTML or ActivityPub JSON by Accept (Vary: Accept)."""
        self.add_header("Vary", "Accept")
        return wants_activity_json(self.request.headers.get("Accept", ""))

    def send_activity(self, document: dict) -> None:
        self.set_header("Content-Type", AP_CONTENT_TYPE)
        self.set_header("Access-Control-Allow-Origin", "*")
        self.finish(json.dumps(document, ensure_ascii=False))

    def deny(self) -> None:
        if self.request.method in ("GET", "HEAD"):
            self.redirect("/login?next=" + quote(self.request.uri, safe=""))
            raise tornado.web.Finish()
        raise Problem(401, "You need to sign in to do this.")

    def render_page(self, template: str, **context: Any) -> None:
        self.finish(self.render_string_mako(template, **context))

    def render_fragment(self, template: str, defname: str, **context: Any) -> None:
        """One <%def> of a template, for an HTMX swap."""
        self.add_header("Vary", "HX-Request")
        tpl = _lookup.get_template(template).get_def(defname)
        self.finish(tpl.render(**self._context(context)))

    def _context(self, extra: dict[str, Any]) -> dict[str, Any]:
        ctx = {
            "h": self,
            "user": self.user,
            "settings": self.shoal,
            "xsrf": self.xsrf_in_page(),
            "static": self.static_url,
        }
        ctx.update(extra)
        return ctx

    def render_string_mako(self, template: str, **context: Any) -> str:
        return _lookup.get_template(template).render(**self._context(context))

    def redirect_see_other(self, url: str) -> None:
        """303 after a successful form POST (HTMX follows it with HX-Redirect)."""
        if self.is_htmx():
            self.set_header("HX-Redirect", url)
            self.finish()
        else:
            self.redirect(url, status=303)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        detail = getattr(exc, "detail", None) or HTTPStatus(status_code).phrase
        if status_code >= 500:
            detail = "Something went wrong on our side. It has been logged."
        for name, value in getattr(exc, "headers", {}).items():
            self.set_header(name, value)
        self.finish(
            self.render_string_mako(
                "error.mako",
                status=status_code,
                heading=HTTPStatus(status_code).phrase,  # `title` is the layout's block
                detail=detail,
                invalid=getattr(exc, "invalid_params", {}),
            )
        )


class APIHandler(BaseHandler):
    """JSON API in PeerTube's dialect; errors are RFC 7807 problems with `error`."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Access-Control-Allow-Origin", "*")

    def json_body(self) -> dict[str, Any]:
        """The request's fields: JSON, form-encoded or (non-file) multipart."""
        ctype = self.request.headers.get("Content-Type", "")
        if ctype.startswith("application/json"):
            try:
                data = json.loads(self.request.body or b"{}")
            except (ValueError, RecursionError):  # RecursionError: nested too deeply
                raise Problem(400, "The request body is not valid JSON.") from None
            if not isinstance(data, dict):
                raise Problem(400, "The request body must be a JSON object.")
            return data
        return flatten_arguments(
            {
                k: [v.decode("utf-8", "replace") for v in vs]
                for k, vs in self.request.body_arguments.items()
            }
        )

    def body_fields(self, spec: Mapping[str, Field]) -> dict[str, Any]:
        """The body's fields that `spec` names, checked (app/validation.py); others are
        ignored. 400 with PeerTube's invalid-params, naming every wrong field."""
        try:
            return check(self.json_body(), spec)
        except ValidationError as err:
            raise invalid(err) from None

    def send_videos(self, query, default_sort: str = "-publishedAt") -> None:
        """A page of videos in PeerTube's list shape: start, count and sort from the query."""
        total, rows = videos.page(
            query,
            self.get_argument("sort", default_sort),
            self.int_argument("start", 0),
            self.int_argument("count", 15, 1, 100),
        )
        self.send({"total": total, "data": [serialize.video_json(self.shoal, v) for v in rows]})

    def paging(self, sorts: Collection[str], default_sort: str) -> tuple[int, int, str]:
        """start, count and sort of a PeerTube list request; 400 for what PeerTube refuses."""
        errors: dict[str, tuple[Any, str]] = {}
        values = {"start": 0, "count": 15}
        for name, most, msg in (
            ("start", None, "Should have a number start"),
            ("count", 100, "Should have a number count (max: 100)"),
        ):
            raw = self.get_argument(name, None)
            if raw in (None, ""):
                continue
            try:
                value = int(raw)
            except ValueError:
                value = -1
            if value < 0 or (most is not None and value > most):
                errors[name] = (raw, msg)
            values[name] = value
        sort = self.get_argument("sort", None) or default_sort
        if sort not in sorts:
            errors["sort"] = (sort, "Should have correct sortable column")
        if errors:
            raise query_problem(errors)
        return values["start"], values["count"], sort

    def send(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data, ensure_ascii=False))

    def no_content(self) -> None:
        self.set_status(204)
        self.clear_header("Content-Type")
        self.finish()

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        detail = getattr(exc, "detail", None) or HTTPStatus(status_code).phrase
        if status_code >= 500:
            detail = "Internal server error"
        self.set_header("Content-Type", "application/problem+json; charset=utf-8")
        for name, value in getattr(exc, "headers", {}).items():
            self.set_header(name, value)
        body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status_code).phrase}
        code = getattr(exc, "code", None)
        if code:
            body = {"type": f"{DOCS}#section/Errors/{code}"}
        body.update({"detail": detail, "status": status_code})
        invalid = getattr(exc, "invalid_params", None)
        if invalid:
            body["instance"] = self.request.path
            location = getattr(exc, "location", "body")
            body["invalid-params"] = {
                name: {
                    "type": "field",
                    "value": value,
                    "msg": msg,
                    "path": name,
                    "location": location,
                }
                for name, (value, msg) in invalid.items()
            }
        if code:
            body["code"] = code
        body["error"] = detail
        self.finish(json.dumps(body, ensure_ascii=False, default=str))


class ActivityPubHandler(APIHandler):
    """Answers application/activity+json; errors stay in the JSON problem shape."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", AP_CONTENT_TYPE)

    def check_xsrf_cookie(self) -> None:
        pass  # inboxes are authenticated by HTTP signatures, not cookies

    def send_activity(self, document: dict, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(document, ensure_ascii=False))


def flatten_arguments(args: dict[str, list[str]]) -> dict[str, Any]:
    """Form fields to plain values; `tags[0]`, `tags[1]` and repeated `tags` become a list."""
    out: dict[str, Any] = {}
    lists: dict[str, list[tuple[int, str]]] = {}
    for key, values in args.items():
        if key.endswith("]") and "[" in key:
            base, index = key[:-1].split("[", 1)
            # ASCII digits only, and few: int() refuses "²" and numbers of thousands of digits
            if index.isascii() and index.isdigit() and len(index) <= 9:
                pos = int(index)
            else:
                pos = len(lists.get(base, []))
            lists.setdefault(base, []).extend((pos, v) for v in values)
        elif key == "tags":
            lists.setdefault(key, []).extend(enumerate(values))
        else:
            out[key] = values[-1] if values else ""
    for key, items in lists.items():
        out[key] = [v for _, v in sorted(items, key=lambda item: item[0])]
    return out


def form_arguments(handler: tornado.web.RequestHandler) -> dict[str, list[str]]:
    """The request's form fields, decoded, without the XSRF token."""
    return {
        k: [v.decode("utf-8", "replace") for v in vs]
        for k, vs in handler.request.body_arguments.items()
        if k != "_xsrf"
    }


def query_problem(errors: dict[str, tuple[Any, str]]) -> Problem:
    """PeerTube's 400 for wrong query parameters: {name: (value given, what it should be)}."""
    return Problem(
        400,
        "Incorrect request parameters: " + ", ".join(errors),
        invalid_params=errors,
        location="query",
    )
