"""Outgoing fetches never reach private, link-local or other internal addresses.

A remote actor chooses the URLs this server fetches (its inbox, its avatar, the
objects it mentions). It must not be able to make the server reach its own
network: not with the first URL, not with a redirect, not with a name that
resolves to a public address for the check and to an internal one for the
connection (DNS rebinding). SHOAL_ALLOW_LOOPBACK=1 (tests, local development)
lets loopback through, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from tornado.iostream import IOStream

from app.federation import actors, delivery
from app.federation.fetch import (
    FetchError,
    check_url,
    fetch_image_async,
    fetch_json,
    fetch_json_async,
)
from app.settings import Settings
from models.federation import Delivery, DeliveryState

PUBLIC = "93.184.216.34"  # a public address: allowed, but never really connected to here
METADATA = "169.254.169.254"  # the cloud metadata service: link-local


@pytest.fixture
def strict(tmp_path) -> Settings:
    """Production settings: https only, public addresses only."""
    return Settings.from_env({"SHOAL_DATA": str(tmp_path), "SHOAL_SECRET": "x"})


@pytest.fixture
def relaxed(strict) -> Settings:
    """SHOAL_ALLOW_LOOPBACK=1, as in tests and local development."""
    return strict.with_(allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/inbox",
        "https://localhost/inbox",
        "https://[::1]/inbox",
        "https://10.1.2.3/users/x",
        "https://192.168.0.10/x",
        "https://172.16.5.5/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/x",
        "http://example.org/inbox",  # plain http only for local development
        "file:///etc/passwd",
        "gopher://example.org/",
        "https:///nohost",
    ],
)
def test_private_loopback_and_non_https_targets_are_refused(strict, url):
    with pytest.raises(FetchError):
        check_url(strict, url)


# Every range that is not the public internet, with what the refusal calls it.
INTERNAL = [
    ("10.0.0.1", "private"),
    ("10.255.255.254", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.1", "private"),
    ("192.168.1.1", "private"),
    ("[fc00::1]", "private"),
    ("[fd12:3456::1]", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("169.254.0.1", "link-local"),
    ("[fe80::1]", "link-local"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("100.64.0.1", "reserved"),  # carrier-grade NAT: not the public internet
    ("0.0.0.0", "unspecified"),  # noqa: S104 - an address refused, not one bound
    ("[::]", "unspecified"),
    ("[::ffff:169.254.169.254]", "link-local"),  # an IPv4 address in IPv6 clothing
    ("[::ffff:10.0.0.1]", "private"),
]


@pytest.mark.parametrize("allow_loopback", [False, True], ids=["strict", "allow-loopback"])
@pytest.mark.parametrize("scheme", ["https", "http"])
@pytest.mark.parametrize(("host", "kind"), INTERNAL)
def test_internal_addresses_are_refused_whatever_allow_loopback_says(
    strict, allow_loopback, scheme, host, kind
):
    settings = strict.with_(allow_loopback=allow_loopback)
    url = f"{scheme}://{host}/latest/meta-data/"
    if scheme == "http" and not allow_loopback:
        with pytest.raises(FetchError, match="https only"):
            check_url(settings, url)
        return
    with pytest.raises(FetchError, match=kind) as refused:
        check_url(settings, url)
    assert refused.value.status == 400 and refused.value.permanent


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:9000/inbox",
        "https://127.45.6.7/inbox",
        "https://[::1]:9000/inbox",
        "https://localhost:9000/inbox",
        "http://127.0.0.1:9000/inbox",
        "http://[::1]:9000/inbox",
        "http://localhost:9000/inbox",
    ],
)
def test_loopback_is_allowed_only_when_configured(strict, relaxed, url):
    with pytest.raises(FetchError, match="loopback|https only"):
        check_url(strict, url)
    addresses = check_url(relaxed, url)
    assert addresses and all(addr[0] in ("127.0.0.1", "::1") or addr[0].startswith("127.")
                             for _family, addr in addresses)  # fmt: skip
    with pytest.raises(FetchError):
        check_url(relaxed, "file:///etc/passwd")


@pytest.fixture
def dns(monkeypatch) -> dict[str, list[str]]:
    """A fake DNS for names ending in .example: name -> the address of each lookup in
    turn (the last one repeats). Other names resolve for real. Tornado's own
    resolver asks the same socket.getaddrinfo, so a second lookup shows."""
    answers: dict[str, list[str]] = {}
    lookups: dict[str, int] = {}
    lock = threading.Lock()
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002
        if not (isinstance(host, str) and host.endswith(".example")):
            return real(host, port, family, type, proto, flags)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        with lock:
            n = lookups.get(host, 0)
            lookups[host] = n + 1
        address = answers[host][min(n, len(answers[host]) - 1)]
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (address, int(port or 0)) + ((0, 0) if fam == socket.AF_INET6 else ())
        return [(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def test_plain_http_goes_only_to_loopback_hosts(strict, relaxed, dns):
    dns["public.example"] = [PUBLIC]
    with pytest.raises(FetchError, match="https only"):
        check_url(relaxed, "http://public.example/inbox")
    assert [addr[0] for _f, addr in check_url(relaxed, "https://public.example/inbox")] == [PUBLIC]
    assert [addr[0] for _f, addr in check_url(strict, "https://public.example/inbox")] == [PUBLIC]


@pytest.mark.parametrize("settings_name", ["strict", "relaxed"])
def test_a_name_resolving_to_an_internal_address_is_refused(request, dns, settings_name):
    settings = request.getfixturevalue(settings_name)
    dns["metadata.example"] = [METADATA]
    with pytest.raises(FetchError, match=r"metadata.example resolves to 169\.254\.169\.254"):
        check_url(settings, "https://metadata.example/latest/meta-data/")


def test_an_unresolvable_host_is_an_error_not_a_crash(strict):
    with pytest.raises(FetchError, match="cannot resolve"):
        check_url(strict, "https://no-such-host.invalid/inbox")
    with pytest.raises(FetchError, match="cannot resolve|not a valid"):
        check_url(strict, "https://" + "a" * 300 + ".org/inbox")
    with pytest.raises(FetchError, match="port"):
        check_url(strict, "https://example.org:99999/inbox")


# --- the connections themselves ---------------------------------------------------------


class _Origin(BaseHTTPRequestHandler):
    """A remote server on loopback: /doc (JSON), /image (PNG), /redirect?to=URL, POST /inbox."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if parts.path == "/image":
            body, ctype = b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png"
        else:
            body, ctype = json.dumps({"id": "doc", "path": self.path}).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def origin() -> Iterator[ThreadingHTTPServer]:
    """A plain HTTP server on 127.0.0.1; `.url` is its base URL, `.hits` the paths asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    server.hits = []  # type: ignore[attr-defined]
    server.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def connections(monkeypatch) -> list[str]:
    """Every address an outgoing connection is opened to. Nothing leaves this machine:
    a connection to anything but 127.0.0.1 is sent to a closed loopback port instead
    (so it fails at once), after being recorded."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    opened: list[str] = []
    real = IOStream.connect

    def connect(self, address, server_hostname=None):
        opened.append(address[0])
        if address[0] != "127.0.0.1":
            address = ("127.0.0.1", closed)
        return real(self, address, server_hostname)

    monkeypatch.setattr(IOStream, "connect", connect)
    return opened


def test_a_redirect_to_an_allowed_url_is_followed(relaxed, origin, connections):
    doc = fetch_json(relaxed, f"{origin.url}/redirect?to=/doc", sign=False)
    assert doc["path"] == "/doc"
    assert origin.hits == ["/redirect?to=/doc", "/doc"]


def test_three_redirects_at_most(relaxed, origin):
    hop = "/doc"
    for _ in range(4):
        hop = f"/redirect?to={quote(hop, safe='/')}"
    with pytest.raises(FetchError, match="answered 302"):
        fetch_json(relaxed, f"{origin.url}{hop}", sign=False)
    assert len(origin.hits) == 4


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        (f"http://{METADATA}/latest/meta-data/", "link-local"),
        ("http://10.0.0.5/admin", "private"),
        ("http://internal.example/admin", "private"),  # a name for a private address
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(
    relaxed, origin, connections, dns, target, kind
):
    """An allowed server answers 302 to an internal address: no fetch follows it there."""
    dns["internal.example"] = ["10.0.0.6"]
    url = f"{origin.url}/redirect?to={target}"
    with pytest.raises(FetchError, match=kind):
        fetch_json(relaxed, url, sign=False)
    with pytest.raises(FetchError, match=kind):
        asyncio.run(fetch_image_async(relaxed, url))
    assert set(connections) == {"127.0.0.1"}  # only the allowed origin was connected to
    assert origin.hits == [urlsplit(url).path + "?" + urlsplit(url).query] * 2


def test_a_signed_fetch_does_not_follow_a_redirect_inside(relaxed, database, origin, connections):
    with pytest.raises(FetchError, match="link-local"):
        asyncio.run(
            fetch_json_async(relaxed, f"{origin.url}/redirect?to=http://{METADATA}/latest/")
        )
    assert set(connections) == {"127.0.0.1"}


# DNS rebinding: the name is public when checked and the metadata service a moment later.


def test_fetch_json_connects_to_the_address_that_was_checked(strict, dns, connections):
    dns["rebind.example"] = [PUBLIC, METADATA]
    with pytest.raises(FetchError):  # the spy refuses the (public) connection
        fetch_json(strict, "https://rebind.example/users/x", sign=False)
    assert connections and set(connections) == {PUBLIC}


def test_fetch_image_connects_to_the_address_that_was_checked(strict, dns, connections):
    dns["rebind.example"] = [PUBLIC, METADATA]
    with pytest.raises(FetchError):
        asyncio.run(fetch_image_async(strict, "https://rebind.example/avatar.png"))
    assert connections and set(connections) == {PUBLIC}


def test_signed_fetch_connects_to_the_address_that_was_checked(strict, database, dns, connections):
    dns["rebind.example"] = [PUBLIC, METADATA]
    with pytest.raises(FetchError):
        asyncio.run(fetch_json_async(strict, "https://rebind.example/users/x"))
    assert connections and set(connections) == {PUBLIC}


def test_a_rebinding_name_still_answers_from_the_checked_loopback_server(
    relaxed, origin, dns, connections
):
    """Resolved once: the fetch reaches the server that was checked, with its Host name."""
    port = urlsplit(origin.url).port
    dns["rebind.example"] = ["127.0.0.1", METADATA]
    assert fetch_json(relaxed, f"http://rebind.example:{port}/doc", sign=False)["path"] == "/doc"
    assert set(connections) == {"127.0.0.1"}


def test_deliveries_connect_to_the_address_that_was_checked(strict, database, dns, connections):
    dns["rebind.example"] = [PUBLIC, METADATA]
    signer = actors.ensure_keys(actors.server_actor())
    activity = {"id": "https://shoal.test/activities/1", "type": "Create"}
    out = delivery.queue_activity(signer, activity, {"https://rebind.example/inbox"})
    delivery.deliver_activity(strict, out.id)
    sent = Delivery.get(Delivery.activity == out)
    assert sent.state == DeliveryState.PENDING and sent.last_status is None  # retried later
    assert sent.last_error  # why it failed is kept for the admin page
    assert connections and set(connections) == {PUBLIC}


def test_a_delivery_to_an_internal_inbox_is_refused_and_given_up(relaxed, database, connections):
    signer = actors.ensure_keys(actors.server_actor())
    activity = {"id": "https://shoal.test/activities/2", "type": "Create"}
    out = delivery.queue_activity(signer, activity, {f"http://{METADATA}/inbox"})
    delivery.deliver_activity(relaxed, out.id)
    sent = Delivery.get(Delivery.activity == out)
    assert "link-local" in sent.last_error and sent.last_status == 400
    assert connections == []
