"""Outgoing HTTP for federation: signed GETs of remote objects, signed POSTs to inboxes.

Every request goes through `check_url`: only http(s), and never to private,
loopback or link-local addresses unless SHOAL_ALLOW_LOOPBACK=1 (tests and
local development), so a remote actor cannot make this server probe its own
network. Responses are size-limited.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import socket
from typing import Any
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClient, HTTPClientError, HTTPRequest

from app.federation import actors
from app.federation.signatures import sign_headers
from app.settings import Settings
from models.federation import Actor

log = logging.getLogger(__name__)

AP_ACCEPT = "application/activity+json, application/ld+json"
JRD_ACCEPT = "application/jrd+json, application/json"
MAX_RESPONSE = 2 * 1024 * 1024
TIMEOUT = 15.0
USER_AGENT = "Shoal/0.1 (+https://joinpeertube.org compatible)"


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


def _forbidden_ip(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_url(settings: Settings, url: str) -> None:
    """Refuse URLs this server must not fetch (raises FetchError). Resolves the host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"not an http(s) URL: {url[:200]}", 400)
    if settings.allow_loopback:
        return
    if parts.scheme != "https":
        raise FetchError("remote servers are reached over https only", 400)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as err:
        raise FetchError(f"cannot resolve {parts.hostname}: {err}") from None
    if any(_forbidden_ip(info[4][0]) for info in infos):
        raise FetchError(f"{parts.hostname} is a private or loopback address", 400)


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
        follow_redirects=method == "GET",
        max_redirects=3,
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
    if isinstance(err, HTTPClientError) and err.code == 599:  # no answer: timeout, too large...
        return FetchError(f"{url}: {err.message}")
    if isinstance(err, HTTPClientError):
        retry_after = None
        if err.response is not None and err.response.headers.get("Retry-After", "").isdigit():
            retry_after = float(err.response.headers["Retry-After"])
        return FetchError(f"{url} answered {err.code}", err.code, retry_after)
    return FetchError(f"{url}: {err}")


def fetch_json(settings: Settings, url: str, *, accept: str = AP_ACCEPT, sign: bool = True) -> dict:
    """GET a JSON document (blocking; for workers)."""
    check_url(settings, url)
    request = (
        signed_request(settings, url, accept=accept)
        if sign
        else HTTPRequest(
            url, headers={"Accept": accept, "User-Agent": USER_AGENT}, request_timeout=TIMEOUT
        )
    )
    # The limit stops the download itself: a huge document is not read into memory first.
    client = HTTPClient(max_body_size=MAX_RESPONSE)
    try:
        response = client.fetch(request)
    except Exception as err:  # noqa: BLE001 - every failure becomes a FetchError
        raise _error(err, url) from None
    finally:
        client.close()
    return _json(response.body, url)


async def fetch_json_async(settings: Settings, url: str, *, accept: str = AP_ACCEPT) -> dict:
    """GET a signed JSON document without blocking the IOLoop (for handlers)."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, check_url, settings, url)
    try:
        response = await AsyncHTTPClient().fetch(signed_request(settings, url, accept=accept))
    except Exception as err:  # noqa: BLE001
        raise _error(err, url) from None
    return _json(response.body, url)


async def fetch_image_async(settings: Settings, url: str, limit: int = 2 * 1024 * 1024) -> bytes:
    """GET a remote image (thumbnails of remote videos), refusing non-images and big files."""
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, check_url, settings, url)
    request = HTTPRequest(
        url, headers={"User-Agent": USER_AGENT}, request_timeout=TIMEOUT, max_redirects=2
    )
    try:
        response = await AsyncHTTPClient().fetch(request)
    except Exception as err:  # noqa: BLE001
        raise _error(err, url) from None
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
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, check_url, settings, url)
    request = HTTPRequest(
        url,
        headers={"Accept": JRD_ACCEPT, "User-Agent": USER_AGENT},
        request_timeout=5.0,
        connect_timeout=5.0,
    )
    try:
        response = await AsyncHTTPClient().fetch(request)
    except Exception as err:  # noqa: BLE001
        raise _error(err, url) from None
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
