"""Outgoing HTTP for federation: signed GETs of remote objects, signed POSTs to inboxes.

A remote actor chooses the URLs this server fetches (its inbox, its avatar, the
objects it mentions), so every request goes through one guard, on every hop:

- only http(s), and https only, except plain http to loopback hosts when
  SHOAL_ALLOW_LOOPBACK=1 (tests and local development);
- the host is resolved once (`check_url`) and every address it resolves to must
  be on the public internet. SHOAL_ALLOW_LOOPBACK=1 lets loopback through and
  nothing else: private, link-local (cloud metadata), multicast, reserved and
  unspecified addresses stay out of reach whatever it says;
- the connection goes to the addresses that were checked and to no others (a
  `PinnedResolver` answers the HTTP client's lookup with them), so a name that
  resolves elsewhere a moment later (DNS rebinding) cannot steer it;
- redirects are followed here, not by the HTTP client, so each Location is
  checked like the first URL.

Responses are size-limited.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest, HTTPResponse
from tornado.netutil import Resolver

from app.federation import actors
from app.federation.signatures import sign_headers
from app.settings import Settings
from models.federation import Actor

log = logging.getLogger(__name__)

AP_ACCEPT = "application/activity+json, application/ld+json"
JRD_ACCEPT = "application/jrd+json, application/json"
MAX_RESPONSE = 2 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT = 15.0
MEDIA_TIMEOUT = 600.0  # a whole rendition copied for a mirror
USER_AGENT = "Shoal/0.1 (+https://joinpeertube.org compatible)"
REDIRECT_CODES = (301, 302, 303, 307, 308)

# (family, sockaddr) pairs, as getaddrinfo gives them and a tornado Resolver answers.
Addresses = list[tuple[int, Any]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class FetchError(Exception):
    """A fetch that failed; `status` is the HTTP status when there was one."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """4xx other than timeouts and rate limits will not get better by retrying."""
        return (
            self.status is not None and 400 <= self.status < 500 and self.status not in (408, 429)
        )


def _refusal(address: str, allow_loopback: bool) -> str | None:
    """What kind of address this is, when this server must not connect to it (else None)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        # These IPv6 forms reach an IPv4 address: judge that one.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


def _is_loopback_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _resolve(host: str, port: int) -> Addresses:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"cannot resolve {host}: {err}") from None
    addresses: Addresses = []
    for family, _type, _proto, _name, sockaddr in infos:
        if (family, sockaddr) not in addresses:
            addresses.append((family, sockaddr))
    if not addresses:
        raise FetchError(f"cannot resolve {host}: no address")
    return addresses


def check_url(settings: Settings, url: str) -> Addresses:
    """The addresses `url` may be fetched from, resolved once; FetchError (400) if none may.

    Connect to these and no others (`guarded_fetch` does): resolving the name again
    could give another answer.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]}", 400)
    if parts.scheme != "https" and not settings.allow_loopback:
        raise FetchError("remote servers are reached over https only", 400)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"not a valid port in {url[:200]}", 400) from None
    host = parts.hostname
    addresses = _resolve(host, port)
    for _family, sockaddr in addresses:
        kind = _refusal(sockaddr[0], settings.allow_loopback)
        if kind is not None:
            what = sockaddr[0] if sockaddr[0] == host else f"{host} resolves to {sockaddr[0]}"
            raise FetchError(f"{what}, {kind}: this server does not connect there", 400)
    if parts.scheme != "https" and not all(_is_loopback_address(a[0]) for _f, a in addresses):
        raise FetchError("remote servers are reached over https only", 400)
    return addresses


class PinnedResolver(Resolver):
    """A resolver that knows one host: it answers with the addresses `check_url` approved
    for it and refuses every other name, so the client connects where the check looked."""

    def initialize(self, host: str, addresses: Addresses) -> None:  # type: ignore[override]
        self.host = host.lower()
        self.addresses = addresses

    async def resolve(  # type: ignore[override]
        self, host: str, port: int, family: socket.AddressFamily = socket.AF_UNSPEC
    ) -> Addresses:
        if host.lower().strip("[]") != self.host:
            raise FetchError(f"{host} was not checked", 400)
        found = [
            (fam, (addr[0], port, *addr[2:]))
            for fam, addr in self.addresses
            if family in (socket.AF_UNSPEC, fam)
        ]
        if not found:
            raise FetchError(f"no checked address of {host} fits", 400)
        return found


async def guarded_fetch(
    settings: Settings,
    url: str,
    make_request: Callable[[str], HTTPRequest],
    *,
    max_redirects: int = 0,
    max_body_size: int | None = None,
    addresses: Addresses | None = None,
) -> HTTPResponse:
    """Send `make_request(url)` through the guard and return the answer, whatever its status.

    Up to `max_redirects` redirects are followed, each Location checked like the first
    URL (and the request made anew for it: a signature covers its URL). `addresses`
    are those `check_url` already gave for `url` (one lookup for several requests).
    Raises FetchError for a refused address, and tornado's errors when no answer came.
    """
    loop = asyncio.get_running_loop()
    for hop in range(max_redirects + 1):
        if addresses is None:
            addresses = await loop.run_in_executor(None, check_url, settings, url)
        request = make_request(url)
        request.follow_redirects = False
        client = AsyncHTTPClient(
            force_instance=True,
            resolver=PinnedResolver(host=urlsplit(url).hostname or "", addresses=addresses),
            max_body_size=max_body_size,
        )
        try:
            response = await client.fetch(request, raise_error=False)
        finally:
            client.close()
        location = response.headers.get("Location")
        if response.code not in REDIRECT_CODES or not location or hop == max_redirects:
            return response
        url, addresses = urljoin(url, location), None
    raise AssertionError("unreachable")


def signed_request(
    settings: Settings,
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    signer: Actor | None = None,
    accept: str = AP_ACCEPT,
) -> HTTPRequest:
    """A request signed by `signer` (default: the server actor), as PeerTube signs them."""
    signer = actors.ensure_keys(signer or actors.server_actor())
    headers = {"Accept": accept, "User-Agent": USER_AGENT}
    if body is not None:
        headers["Content-Type"] = "application/activity+json"
    headers.update(
        sign_headers(
            method,
            url,
            actors.key_id(settings, signer),
            signer.private_key,
            body=body,
        )
    )
    return HTTPRequest(
        url,
        method=method,
        headers=headers,
        body=body,
        request_timeout=TIMEOUT,
        connect_timeout=TIMEOUT,
        decompress_response=True,
    )


def _json(response_body: bytes, url: str) -> dict[str, Any]:
    if len(response_body) > MAX_RESPONSE:
        raise FetchError(f"response from {url} is too large")
    try:
        data = json.loads(response_body)
    except ValueError:
        raise FetchError(f"response from {url} is not JSON") from None
    if not isinstance(data, dict):
        raise FetchError(f"response from {url} is not a JSON object")
    return data


def _error(err: Exception, url: str) -> FetchError:
    if isinstance(err, FetchError):
        return err
    if isinstance(err, HTTPClientError) and err.code == 599:  # no answer: timeout, too large...
        return FetchError(f"{url}: {err.message}")
    if isinstance(err, HTTPClientError):
        return _status_error(err.code, err.response, url)
    return FetchError(f"{url}: {err}")


def _status_error(code: int, response: HTTPResponse | None, url: str) -> FetchError:
    retry_after = None
    if response is not None and response.headers.get("Retry-After", "").isdigit():
        retry_after = float(response.headers["Retry-After"])
    return FetchError(f"{url} answered {code}", code, retry_after)


async def _get(
    settings: Settings,
    url: str,
    make_request: Callable[[str], HTTPRequest],
    limit: int,
    redirects: int = MAX_REDIRECTS,
) -> HTTPResponse:
    """A guarded GET that follows redirects; FetchError unless it ends in a 2xx."""
    try:
        response = await guarded_fetch(
            settings, url, make_request, max_redirects=redirects, max_body_size=limit
        )
    except Exception as err:  # noqa: BLE001 - every failure becomes a FetchError
        raise _error(err, url) from None
    if not 200 <= response.code < 300:
        raise _status_error(response.code, response, url)
    return response


def _plain_request(accept: str, timeout: float = TIMEOUT) -> Callable[[str], HTTPRequest]:
    def make(url: str) -> HTTPRequest:
        return HTTPRequest(
            url,
            headers={"Accept": accept, "User-Agent": USER_AGENT},
            request_timeout=timeout,
            connect_timeout=timeout,
        )

    return make


def fetch_json(settings: Settings, url: str, *, accept: str = AP_ACCEPT, sign: bool = True) -> dict:
    """GET a JSON document (blocking; for workers)."""
    make = (
        (lambda hop: signed_request(settings, hop, accept=accept))
        if sign
        else _plain_request(accept)
    )
    # The limit stops the download itself: a huge document is not read into memory first.
    response = asyncio.run(_get(settings, url, make, MAX_RESPONSE))
    return _json(response.body, url)


async def fetch_json_async(settings: Settings, url: str, *, accept: str = AP_ACCEPT) -> dict:
    """GET a signed JSON document without blocking the IOLoop (for handlers)."""
    response = await _get(
        settings, url, lambda hop: signed_request(settings, hop, accept=accept), MAX_RESPONSE
    )
    return _json(response.body, url)


async def fetch_image_async(settings: Settings, url: str, limit: int = 2 * 1024 * 1024) -> bytes:
    """GET a remote image (thumbnails of remote videos), refusing non-images and big files."""
    response = await _get(settings, url, _plain_request("image/*"), limit, redirects=2)
    if not response.headers.get("Content-Type", "").startswith("image/"):
        raise FetchError(f"{url} is not an image")
    if len(response.body) > limit:
        raise FetchError(f"{url} is too large")
    return response.body


def webfinger(settings: Settings, handle: str) -> str:
    """The ActivityPub id of `name@host` through WebFinger."""
    name, _, host = handle.lstrip("@").partition("@")
    if not name or not host:
        raise FetchError(f"{handle!r} is not a handle like name@host", 400)
    scheme = "http" if settings.allow_loopback and _is_loopback_host(host) else "https"
    url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}"
    doc = fetch_json(settings, url, accept=JRD_ACCEPT, sign=False)
    for link in doc.get("links", []):
        if link.get("rel") == "self" and "json" in str(link.get("type", "")):
            return str(link["href"])
    raise FetchError(f"no ActivityPub actor for {handle}", 404)


async def subscribe_template(settings: Settings, handle: str) -> str:
    """The remote-follow page template ({uri}) of a handle's server, from its WebFinger."""
    name, _, host = handle.lstrip("@").partition("@")
    if not name or not host or "/" in host:
        raise FetchError("that is not an address like you@your.server", 400)
    scheme = "http" if settings.allow_loopback and _is_loopback_host(host) else "https"
    url = f"{scheme}://{host}/.well-known/webfinger?resource=acct:{name}@{host}"
    response = await _get(settings, url, _plain_request(JRD_ACCEPT, timeout=5.0), MAX_RESPONSE)
    for link in _json(response.body, url).get("links", []):
        template = str(link.get("template") or "")
        if (
            link.get("rel") == "http://ostatus.org/schema/1.0/subscribe"
            and template.startswith(("https://", "http://"))
            and "{uri}" in template
        ):
            return template
    raise FetchError("your server does not offer remote follows", 404)


def _is_loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0].strip("[]")
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return name == "localhost"


def fetch_bytes(settings: Settings, url: str, limit: int = MAX_RESPONSE) -> bytes:
    """GET a small file (a playlist, segments-sha256.json) without a signature (blocking)."""
    return asyncio.run(_get(settings, url, _plain_request("*/*"), limit)).body


def fetch_to_file(settings: Settings, url: str, path: str, limit: int) -> int:
    """Stream a GET to `path` (at most `limit` bytes, never held in memory); its size."""

    def write(chunk: bytes) -> None:  # what it returns, tornado would await
        handle.write(chunk)

    def make(hop: str) -> HTTPRequest:
        request = _plain_request("*/*", timeout=MEDIA_TIMEOUT)(hop)
        request.streaming_callback = write
        return request

    with open(path, "wb") as handle:
        asyncio.run(_get(settings, url, make, limit))
        return handle.tell()
