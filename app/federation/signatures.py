"""HTTP Signatures (draft-cavage-http-signatures, rsa-sha256) as PeerTube speaks them.

Outgoing requests are signed the way PeerTube 6.3 signs them: a bare
``Signature: keyId="<actor URL>",algorithm="rsa-sha256",headers="...",signature="..."``
header over ``(request-target) host date digest`` for POSTs and
``(request-target) host date`` for GETs, with ``Digest: SHA-256=<base64>``.

Incoming requests are checked with PeerTube's rules (its ``parseHTTPSignature``
on top of node-http-signature), and refusals carry PeerTube's wording, so a
remote server reading our 403 sees what PeerTube would have said:

- POSTs must sign ``(request-target)``, ``host`` and ``digest``; GETs must sign
  ``(request-target)`` and ``host``; every request must sign ``date`` or
  ``(created)``.
- ``Date`` may be at most 30 minutes away from our clock.
- ``Digest`` must equal ``SHA-256=`` + base64(sha256(raw body)).
- Mastodon's variants are accepted too: ``keyId`` ending in ``#main-key``, a
  leading ``Signature `` scheme, ``Authorization: Signature ...``, ``hs2019``
  (verified as rsa-sha256) and the ``(created)``/``(expires)`` pseudo-headers.

This module is pure: it knows nothing of actors or the database. Callers turn a
keyId into a PEM (``key_owner`` gives the actor URL to fetch). A caller that has to
fetch the key calls ``check_request`` first and ``SignedRequest.verify`` once it has
the PEM, so that a request refused on what can be checked here costs no fetch.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import functools
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC
from urllib.parse import urlsplit

from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15

log = logging.getLogger(__name__)

#: Algorithms we verify; hs2019 with an RSA key means RSASSA-PKCS1-v1_5 + SHA-256.
_ALGORITHMS = frozenset({"rsa-sha256", "hs2019"})
_PSEUDO_PARAMS = {"(created)": "created", "(expires)": "expires"}
_PARAM_RE = re.compile(r'\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([0-9]+(?:\.[0-9]+)?))\s*(,|$)')
_SCHEME = "signature "


class SignatureError(Exception):
    """Refused signature; str() is the reason sent back (PeerTube-like wording, e.g.
    'no authorization or signature header present in the request', 'Invalid signature',
    'Invalid digest', 'digest was not a signed header', 'clock skew of 7200.107s was greater
    than 1800s')."""


@dataclass(frozen=True)
class VerifiedSignature:
    """A request whose signature checked out: the key that signed it and its actor."""

    key_id: str
    actor: str


@dataclass(frozen=True)
class SignedRequest:
    """A request that passed every check but the RSA one: what remains needs the key.

    ``check_request`` makes one; ``verify`` finishes with a PEM. A caller that must
    fetch the key (an inbox) checks first, so a refused request costs no fetch.
    """

    key_id: str
    signing_string: str
    signature: str

    @property
    def actor(self) -> str:
        return key_owner(self.key_id)

    def verify(self, public_key_pem: str | None) -> VerifiedSignature:
        """The RSA check with the signer's key; SignatureError 'Invalid signature' (a
        refetched key may help) or 'ActivityPub signature could not be checked' (no key)."""
        if not public_key_pem:
            log.info("no public key for %s", self.key_id)
            raise SignatureError("ActivityPub signature could not be checked")
        if not _rsa_verify(public_key_pem, self.signing_string, self.signature):
            log.info("invalid signature from %s", self.key_id)
            raise SignatureError("Invalid signature")
        return VerifiedSignature(key_id=self.key_id, actor=self.actor)


def generate_keypair(bits: int = 2048) -> tuple[str, str]:
    """A new RSA key pair as (private PEM in PKCS#1, public PEM in SubjectPublicKeyInfo).

    These are the forms PeerTube stores and publishes (``publicKey.publicKeyPem``
    starts with ``-----BEGIN PUBLIC KEY-----``). Slow: about a second for 2048 bits.
    """
    key = RSA.generate(bits)
    private_pem = key.export_key(format="PEM", pkcs=1).decode("ascii")
    public_pem = key.publickey().export_key(format="PEM").decode("ascii")
    return private_pem, public_pem


def digest_header(body: bytes) -> str:
    """The ``Digest`` header value for a body: ``SHA-256=<base64 of sha256(body)>``."""
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")


def http_date(ts: float | None = None) -> str:
    """An RFC 7231 IMF-fixdate in GMT, e.g. ``Wed, 25 Nov 2026 00:24:50 GMT``."""
    return email.utils.formatdate(time.time() if ts is None else ts, usegmt=True)


def key_owner(key_id: str) -> str:
    """The actor URL a keyId belongs to: the keyId without its ``#fragment``.

    PeerTube sends the bare actor URL, Mastodon ``<actor>#main-key``; both give the
    actor. An ``acct:user@host`` keyId (accepted by PeerTube) comes back unchanged,
    for the caller to resolve through webfinger.
    """
    return key_id.split("#", 1)[0]


def parse_signature_header(value: str) -> dict[str, str]:
    """Parse a Signature header (or the part after ``Authorization: Signature``).

    Returns the parameters as strings; ``keyId`` and ``signature`` are required,
    ``algorithm`` defaults to ``rsa-sha256`` and ``headers`` to ``date`` (as in
    node-http-signature, which PeerTube uses). A leading ``Signature `` scheme is
    tolerated, and ``created``/``expires`` may be bare numbers.
    """
    text = value.strip()
    if text[: len(_SCHEME)].lower() == _SCHEME:
        text = text[len(_SCHEME) :]
    params: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise SignatureError("bad param format")
        name, quoted, number, separator = match.groups()
        if name in params:
            raise SignatureError(f"duplicate {name} param")
        params[name] = quoted if quoted is not None else number
        pos = match.end()
        if not separator and pos < len(text):
            raise SignatureError("bad param format")
    if not params.get("keyId"):
        raise SignatureError("keyId was not specified")
    if not params.get("signature"):
        raise SignatureError("signature was not specified")
    params.setdefault("algorithm", "rsa-sha256")
    if not params.get("headers"):
        params["headers"] = "date"
    return params


def sign_headers(
    method: str,
    url: str,
    key_id: str,
    private_key_pem: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    now: float | None = None,
) -> dict[str, str]:
    """Headers to send: Host, Date, (Digest for bodies), Signature; signs '(request-target)
    host date digest' for POST, '(request-target) host date' for GET (as PeerTube).
    Includes any `headers` given, unchanged.

    A Host, Date or Digest given in ``headers`` is kept and signed as given. A POST
    always carries a Digest (of an empty body if ``body`` is None), because the
    receiver requires it. A stale Signature in ``headers`` is replaced.
    """
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    out = {k: v for k, v in (headers or {}).items() if k.lower() != "signature"}
    given = {k.lower(): k for k in out}

    def keep_or_set(name: str, value: str) -> str:
        if name.lower() in given:
            return out[given[name.lower()]]
        out[name] = value
        return value

    signed = [
        ("(request-target)", f"{method.lower()} {target}"),
        ("host", keep_or_set("Host", parts.netloc.rpartition("@")[2])),
        ("date", keep_or_set("Date", http_date(now))),
    ]
    if body is not None or method.upper() == "POST":
        signed.append(("digest", keep_or_set("Digest", digest_header(body or b""))))
    signing_string = "\n".join(f"{name}: {value}" for name, value in signed)
    digest = SHA256.new(signing_string.encode("utf-8"))
    signature = pkcs1_15.new(_import_key(private_key_pem)).sign(digest)
    out["Signature"] = (
        f'keyId="{key_id}",algorithm="rsa-sha256",'
        f'headers="{" ".join(name for name, _ in signed)}",'
        f'signature="{base64.b64encode(signature).decode("ascii")}"'
    )
    return out


def verify_request(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    public_key_pem: str | Callable[[str], str | None],
    *,
    now: float | None = None,
    max_skew: float = 1800.0,
    require_digest: bool | None = None,
) -> VerifiedSignature:
    """Verify an incoming request. headers: a case-insensitive mapping (tornado.httputil.
    HTTPHeaders works; also accept a plain dict by lower-casing). public_key_pem may be a PEM
    or a callable key_id -> PEM (None if unknown -> SignatureError). Rules as PeerTube: POSTs
    must sign (request-target), host and digest, plus date or (created); GETs must sign
    (request-target) and host; Date within max_skew of now; Digest compared as the exact
    string 'SHA-256=' + base64(sha256(body)) (also accept 'sha-256=' case-insensitively on the
    algorithm name); support signature header params 'hs2019' algorithm (treat as rsa-sha256)
    and '(created)'/'(expires)' pseudo-headers when present. Also accept the signature in
    'Authorization: Signature ...'. Multiple header values are joined with ', '.

    ``path_and_query`` is the request target exactly as received (Tornado's
    ``request.uri``). ``require_digest`` None means "for POSTs"; True or False forces it.
    The checks run in PeerTube's order (digest, header syntax, signed headers present,
    clock, required headers), all before the key is looked up, so a refused request
    costs no key fetch. Errors raised by a key callable propagate unchanged.

    Key rotation: a SignatureError whose str() is exactly 'Invalid signature' means
    everything but the RSA check passed. The caller may then refetch the actor's key
    once and call again with the new PEM; any other reason will not change with a new key.
    """
    signed = check_request(
        method,
        path_and_query,
        headers,
        body,
        now=now,
        max_skew=max_skew,
        require_digest=require_digest,
    )
    pem = public_key_pem(signed.key_id) if callable(public_key_pem) else public_key_pem
    return signed.verify(pem)


def check_request(
    method: str,
    path_and_query: str,
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    now: float | None = None,
    max_skew: float = 1800.0,
    require_digest: bool | None = None,
) -> SignedRequest:
    """Every check of `verify_request` that needs no key, in the same order and with the
    same refusals: the signature header, the Digest, the signed headers, the clock."""
    values = _normalise_headers(headers)
    raw = values.get("signature")
    if raw is None:
        authorization = values.get("authorization", "")
        if authorization[: len(_SCHEME)].lower() == _SCHEME:
            raw = authorization
    if not raw:
        raise SignatureError("no authorization or signature header present in the request")
    # PeerTube checks the Digest in its body parser, before anything else.
    if "digest" in values and not _digest_matches(values["digest"], body or b""):
        raise SignatureError("Invalid digest")

    params = parse_signature_header(raw)
    algorithm = params["algorithm"].lower()
    if algorithm not in _ALGORITHMS:
        raise SignatureError(f"{algorithm} is not supported")
    names = params["headers"].lower().split()
    signing_string = _signing_string(method, path_and_query, names, values, params)

    _check_clock(values, params, time.time() if now is None else now, max_skew)
    required = ["(request-target)", "host"]
    if require_digest or (require_digest is None and method.upper() == "POST"):
        required.append("digest")
    for name in required:
        if name not in names:
            raise SignatureError(f"{name} was not a signed header")
    if "date" not in names and "(created)" not in names:
        raise SignatureError("date or (created) must be included in signature")
    return SignedRequest(params["keyId"], signing_string, params["signature"])


def _normalise_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-cased names; repeated headers joined with ', ' (as Node does)."""
    collected: dict[str, list[str]] = {}
    get_list = getattr(headers, "get_list", None)
    for name in headers:
        items: Iterable[str]
        if callable(get_list):  # tornado.httputil.HTTPHeaders joins with "," only
            items = get_list(name)
        else:
            value = headers[name]
            items = [value] if isinstance(value, str) else value
        collected.setdefault(name.lower(), []).extend(v.strip() for v in items)
    return {name: ", ".join(items) for name, items in collected.items()}


def _digest_matches(value: str, body: bytes) -> bool:
    expected = digest_header(body).partition("=")[2]
    for part in value.split(","):
        algorithm, sep, encoded = part.strip().partition("=")
        if sep and algorithm.lower() == "sha-256" and hmac.compare_digest(encoded, expected):
            return True
    return False


def _signing_string(
    method: str, target: str, names: list[str], values: dict[str, str], params: dict[str, str]
) -> str:
    lines = []
    for name in names:
        if name == "(request-target)":
            value = f"{method.lower()} {target}"
        elif name in _PSEUDO_PARAMS:
            param = params.get(_PSEUDO_PARAMS[name])
            if param is None:
                raise SignatureError(f"{_PSEUDO_PARAMS[name]} param was not in the signature")
            value = param
        elif name in values:
            value = values[name]
        else:
            raise SignatureError(f"{name} was not in the request")
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _check_clock(
    values: dict[str, str], params: dict[str, str], now: float, max_skew: float
) -> None:
    """Date within max_skew (PeerTube checks it even unsigned), (expires) not past,
    (created) not in the future (nor too old when there is no Date)."""
    if "date" in values:
        try:
            date = email.utils.parsedate_to_datetime(values["date"])
        except (TypeError, ValueError):
            raise SignatureError("invalid date header") from None
        if date.tzinfo is None:
            date = date.replace(tzinfo=UTC)
        skew_ms = round(abs(now - date.timestamp()) * 1000)
        if skew_ms > max_skew * 1000:
            raise SignatureError(
                f"clock skew of {_js_number(skew_ms / 1000)}s was greater than "
                f"{_js_number(max_skew)}s"
            )
    # The draft says an (expires) in the past MUST fail: no skew allowance there.
    expires = _float_param(params, "expires")
    if expires is not None and now > expires:
        raise SignatureError("signature expired")
    created = _float_param(params, "created")
    if created is not None:
        if created - now > max_skew:
            raise SignatureError("created lies in the future")
        if "date" not in values and now - created > max_skew:
            raise SignatureError(
                f"clock skew of {_js_number(round(now - created, 3))}s was greater than "
                f"{_js_number(max_skew)}s"
            )


def _float_param(params: dict[str, str], name: str) -> float | None:
    if name not in params:
        return None
    try:
        return float(params[name])
    except ValueError:
        raise SignatureError(f"{name} is not a timestamp") from None


def _js_number(value: float) -> str:
    """Format seconds as JavaScript prints numbers (7200.107, 1800), as in PeerTube's text."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@functools.lru_cache(maxsize=256)
def _import_key(pem: str) -> RSA.RsaKey:
    return RSA.import_key(pem)


def _rsa_verify(public_key_pem: str, signing_string: str, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key = _import_key(public_key_pem)
    except (ValueError, IndexError, TypeError):
        log.warning("unreadable public key PEM; refusing the signature")
        return False
    try:
        pkcs1_15.new(key).verify(SHA256.new(signing_string.encode("utf-8")), signature)
    except (ValueError, TypeError):
        return False
    return True
