"""HTTP Signatures against PeerTube 6.3's real captures, and our own round trips.

The `fed-*` captures come from a PeerTube talking to a stub actor (bob): every
signed PeerTube request must verify with the actor key published in the
`ap-*.json` documents, and every request the stub sent must get the verdict (and
the refusal wording) PeerTube gave it.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import re
from pathlib import Path
from typing import Any

import pytest
from Crypto.Hash import SHA256
from Crypto.PublicKey import RSA
from Crypto.Signature import pkcs1_15
from tornado.httputil import HTTPHeaders

from app.federation.signatures import (
    SignatureError,
    VerifiedSignature,
    digest_header,
    generate_keypair,
    http_date,
    key_owner,
    parse_signature_header,
    sign_headers,
    verify_request,
)

PEERTUBE = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "peertube-6.3"
ACTOR_FILES = [
    "ap-person.accounts-alice.json",
    "ap-group.video-channels-alice_channel.json",
    "ap-application-actor.accounts-peertube.json",
    "ap-person.accounts-root.json",
    "stub-actor-bob.NOT-PEERTUBE.json",
]
INSTANCE_ACTOR = "http://127.0.0.1:9001/accounts/peertube"
BOB = "http://127.0.0.1:8123/users/bob"
NOW = 1_795_000_000.0  # a fixed clock for our own round trips
INBOX = "https://remote.example/accounts/carol/inbox"
ACTOR = "https://shoal.example/accounts/alice"


def _load(name: str) -> dict[str, Any]:
    return json.loads((PEERTUBE / name).read_text(encoding="utf-8"))


def _capture_names(direction: str) -> list[str]:
    return sorted(p.name for p in PEERTUBE.glob(f"fed-*-{direction}*.json"))


PEERTUBE_KEYS = {doc["id"]: doc["publicKey"]["publicKeyPem"] for doc in map(_load, ACTOR_FILES)}
PT_TO_STUB = _capture_names("pt-to-stub")
SIGNED_PT_TO_STUB = [
    n for n in PT_TO_STUB if "signature" in {h.lower() for h in _load(n)["headers"]}
]


def lookup_key(key_id: str) -> str | None:
    """The publicKeyPem of the actor owning key_id, from the captured actor documents."""
    return PEERTUBE_KEYS.get(key_owner(key_id))


def _body(capture: dict[str, Any]) -> bytes | None:
    raw = capture["body_raw"]
    return None if raw is None else raw.encode("utf-8")


def _received_at(capture: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(capture["received_at"]).timestamp()


def _date_of(capture: dict[str, Any]) -> float:
    return email.utils.parsedate_to_datetime(capture["headers"]["Date"]).timestamp()


def _verify_stub_capture(capture: dict[str, Any], now: float) -> VerifiedSignature:
    return verify_request(
        capture["method"], capture["path"], capture["headers"], _body(capture), lookup_key, now=now
    )


@pytest.fixture(scope="module")
def keypair() -> tuple[str, str]:
    """A fresh 2048-bit key pair (private PEM, public PEM), made once: it is slow."""
    return generate_keypair(2048)


def _custom_signed(
    private_pem: str,
    method: str,
    path: str,
    headers: dict[str, str],
    names: list[str],
    extra_params: str = "",
    algorithm: str = "rsa-sha256",
) -> str:
    """A Signature header over any header list, built independently of the module."""
    params = {name: value for name, _, value in re.findall(r'(\w+)=("?)([^",]*)\2', extra_params)}
    lowered = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"{name}: {method.lower()} {path}")
        elif name in ("(created)", "(expires)"):
            lines.append(f"{name}: {params[name[1:-1]]}")
        else:
            lines.append(f"{name}: {lowered[name]}")
    digest = SHA256.new("\n".join(lines).encode())
    signature = base64.b64encode(pkcs1_15.new(RSA.import_key(private_pem)).sign(digest)).decode()
    prefix = f"{extra_params}," if extra_params else ""
    return (
        f'keyId="{ACTOR}#main-key",algorithm="{algorithm}",{prefix}'
        f'headers="{" ".join(names)}",signature="{signature}"'
    )


# --- PeerTube's own requests -------------------------------------------------------------


def test_fixtures_hold_every_kind_of_peertube_request() -> None:
    assert len(SIGNED_PT_TO_STUB) == 23
    assert set(PT_TO_STUB) - set(SIGNED_PT_TO_STUB) == {"fed-01a-pt-to-stub.GET-webfinger.json"}


@pytest.mark.parametrize("name", SIGNED_PT_TO_STUB)
def test_peertube_request_verifies_with_its_actor_key(name: str) -> None:
    capture = _load(name)
    verified = verify_request(
        capture["method"],
        capture["path"],
        capture["headers"],
        _body(capture),
        lookup_key,
        now=_received_at(capture),
    )
    assert verified.actor in PEERTUBE_KEYS
    assert verified.key_id == verified.actor  # PeerTube's keyId is the bare actor URL
    if capture["method"] == "GET":
        assert verified.actor == INSTANCE_ACTOR


def test_peertube_unsigned_webfinger_fetch_is_refused_as_unsigned() -> None:
    capture = _load("fed-01a-pt-to-stub.GET-webfinger.json")
    with pytest.raises(SignatureError, match="^no authorization or signature header"):
        verify_request("GET", capture["path"], capture["headers"], None, lookup_key, now=NOW)


def test_peertube_delivery_with_body_changed_by_one_byte_fails() -> None:
    capture = _load("fed-04a-pt-to-stub.Create-Video.json")
    body = bytearray(_body(capture) or b"")
    body[-2] ^= 1
    with pytest.raises(SignatureError, match="^Invalid digest$"):
        verify_request(
            "POST",
            capture["path"],
            capture["headers"],
            bytes(body),
            lookup_key,
            now=_received_at(capture),
        )


def test_peertube_delivery_with_changed_body_and_recomputed_digest_fails() -> None:
    capture = _load("fed-11-pt-to-stub.Delete-Video-2.json")
    body = (_body(capture) or b"").replace(b"Delete", b"Undo")
    headers = dict(capture["headers"], digest=digest_header(body))
    with pytest.raises(SignatureError, match="^Invalid signature$"):
        verify_request(
            "POST", capture["path"], headers, body, lookup_key, now=_received_at(capture)
        )


@pytest.mark.parametrize(
    ("header", "value"),
    [("date", "Wed, 25 Nov 2026 00:25:21 GMT"), ("host", "127.0.0.1:8124")],
)
def test_peertube_delivery_with_a_signed_header_changed_fails(header: str, value: str) -> None:
    capture = _load("fed-04a-pt-to-stub.Create-Video.json")
    headers = dict(capture["headers"], **{header: value})
    with pytest.raises(SignatureError, match="^Invalid signature$"):
        verify_request(
            "POST",
            capture["path"],
            headers,
            _body(capture),
            lookup_key,
            now=_received_at(capture),
        )


def test_peertube_request_at_another_path_fails() -> None:
    capture = _load("fed-01b-pt-to-stub.signed-GET-actor.json")
    with pytest.raises(SignatureError, match="^Invalid signature$"):
        verify_request(
            "GET",
            "/users/mallory",
            capture["headers"],
            None,
            lookup_key,
            now=_received_at(capture),
        )


def test_signature_with_leading_scheme_is_tolerated() -> None:
    capture = _load("fed-02b-pt-to-stub.Accept-of-account-Follow.json")
    headers = dict(capture["headers"], signature="Signature " + capture["headers"]["signature"])
    verified = verify_request(
        "POST", capture["path"], headers, _body(capture), lookup_key, now=_received_at(capture)
    )
    assert verified.actor == "http://127.0.0.1:9001/accounts/alice"


def test_signature_in_authorization_header_is_accepted() -> None:
    capture = _load("fed-01c-pt-to-stub.signed-GET-followers.json")
    headers = {k: v for k, v in capture["headers"].items() if k != "signature"}
    headers["Authorization"] = "Signature " + capture["headers"]["signature"]
    verified = verify_request(
        "GET", capture["path"], headers, None, lookup_key, now=_received_at(capture)
    )
    assert verified.actor == INSTANCE_ACTOR


def test_tornado_headers_are_accepted() -> None:
    capture = _load("fed-07a-pt-to-stub.Create-Note-thread.json")
    headers = HTTPHeaders()
    for name, value in capture["headers"].items():
        headers.add(name, value)
    verified = verify_request(
        "POST", capture["path"], headers, _body(capture), lookup_key, now=_received_at(capture)
    )
    assert verified.actor == "http://127.0.0.1:9001/accounts/root"


# --- The stub's requests, judged as PeerTube judged them ---------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "fed-01-stub-to-pt.Follow-alice_channel.json",
        "fed-02a-stub-to-pt.Follow-alice-account.json",
        "fed-03c-stub-to-pt.date-skew-25min-accepted.json",
        "fed-12-stub-to-pt.Undo-Follow-alice-account.json",
    ],
)
def test_stub_request_peertube_accepted_verifies_with_bob_key(name: str) -> None:
    capture = _load(name)
    assert capture["response"]["status"] == 204
    verified = _verify_stub_capture(capture, now=_date_of(capture))
    assert verified == VerifiedSignature(key_id=f"{BOB}#main-key", actor=BOB)


def test_date_25_minutes_old_is_within_the_allowed_skew() -> None:
    capture = _load("fed-03c-stub-to-pt.date-skew-25min-accepted.json")
    assert _verify_stub_capture(capture, now=_date_of(capture) + 25 * 60 + 0.107).actor == BOB


# Each refused request is checked at the capture clock; the stub's Dates are "now"
# except 03b's, which is 2 h old (PeerTube measured 7200.107 s).
@pytest.mark.parametrize(
    ("name", "clock_offset"),
    [
        ("fed-03a-stub-to-pt.error-bad-signature.json", 0.1),
        ("fed-03b-stub-to-pt.error-date-skew-2h.json", 7200.107),
        ("fed-03d-stub-to-pt.error-digest-mismatch.json", 0.1),
        ("fed-03e-stub-to-pt.error-digest-not-signed.json", 0.1),
        ("fed-03f-stub-to-pt.error-unsigned.json", None),
    ],
)
def test_stub_request_peertube_refused_gets_peertube_reason(
    name: str, clock_offset: float | None
) -> None:
    capture = _load(name)
    now = NOW if clock_offset is None else _date_of(capture) + clock_offset
    with pytest.raises(SignatureError) as refused:
        _verify_stub_capture(capture, now=now)
    assert capture["response"]["status"] == 403
    assert str(refused.value) == capture["response"]["body"]["detail"]


def test_clock_skew_reason_names_the_measured_skew() -> None:
    capture = _load("fed-03b-stub-to-pt.error-date-skew-2h.json")
    with pytest.raises(SignatureError, match="clock skew of 7200.107s was greater than 1800s"):
        _verify_stub_capture(capture, now=_date_of(capture) + 7200.107)


# --- Our own signatures -------------------------------------------------------------------


def test_signed_post_round_trips(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    body = b'{"type":"Follow","actor":"https://shoal.example/accounts/alice"}'
    headers = sign_headers(
        "POST",
        INBOX,
        ACTOR,
        private_pem,
        body=body,
        headers={"Content-Type": "application/activity+json"},
        now=NOW,
    )
    assert headers["Content-Type"] == "application/activity+json"
    assert headers["Host"] == "remote.example"
    assert headers["Date"] == http_date(NOW)
    assert headers["Digest"] == digest_header(body)
    assert headers["Signature"].startswith(
        f'keyId="{ACTOR}",algorithm="rsa-sha256",headers="(request-target) host date digest",'
        'signature="'
    )
    verified = verify_request(
        "POST", "/accounts/carol/inbox", headers, body, public_pem, now=NOW + 60
    )
    assert verified == VerifiedSignature(key_id=ACTOR, actor=ACTOR)


def test_signed_get_round_trips_with_query(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    url = "https://remote.example:8443/accounts/carol/outbox?page=2"
    headers = sign_headers("GET", url, ACTOR, private_pem, now=NOW)
    assert "Digest" not in headers
    assert headers["Host"] == "remote.example:8443"
    assert 'headers="(request-target) host date"' in headers["Signature"]
    verified = verify_request(
        "GET", "/accounts/carol/outbox?page=2", headers, None, public_pem, now=NOW
    )
    assert verified.actor == ACTOR


def test_main_key_and_bare_key_ids_resolve_to_the_same_actor(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    assert key_owner(f"{ACTOR}#main-key") == key_owner(ACTOR) == ACTOR
    seen: list[str] = []

    def fetch(key_id: str) -> str:
        seen.append(key_id)
        return public_pem

    actors = set()
    for key_id in (ACTOR, f"{ACTOR}#main-key"):
        headers = sign_headers("GET", INBOX, key_id, private_pem, now=NOW)
        actors.add(
            verify_request("GET", "/accounts/carol/inbox", headers, None, fetch, now=NOW).actor
        )
    assert actors == {ACTOR}
    assert seen == [ACTOR, f"{ACTOR}#main-key"]


def test_unknown_key_is_refused(keypair: tuple[str, str]) -> None:
    private_pem, _ = keypair
    headers = sign_headers("GET", INBOX, ACTOR, private_pem, now=NOW)
    with pytest.raises(SignatureError, match="could not be checked"):
        verify_request("GET", "/accounts/carol/inbox", headers, None, lambda _: None, now=NOW)


def test_other_actors_key_gives_invalid_signature_for_a_refetch(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    headers = sign_headers("GET", INBOX, ACTOR, private_pem, now=NOW)
    stale = PEERTUBE_KEYS[INSTANCE_ACTOR]
    with pytest.raises(SignatureError, match="^Invalid signature$"):
        verify_request("GET", "/accounts/carol/inbox", headers, None, stale, now=NOW)
    assert verify_request("GET", "/accounts/carol/inbox", headers, None, public_pem, now=NOW)


@pytest.mark.parametrize(
    ("method", "names", "reason"),
    [
        ("POST", ["(request-target)", "date", "digest"], "host was not a signed header"),
        ("POST", ["host", "date", "digest"], "(request-target) was not a signed header"),
        ("POST", ["(request-target)", "host", "digest"], "date or (created) must be included"),
        ("GET", ["host", "date"], "(request-target) was not a signed header"),
        ("GET", ["(request-target)", "date"], "host was not a signed header"),
    ],
)
def test_signature_missing_a_required_header_is_refused(
    keypair: tuple[str, str], method: str, names: list[str], reason: str
) -> None:
    private_pem, public_pem = keypair
    body = b"{}" if method == "POST" else None
    headers = {"Host": "remote.example", "Date": http_date(NOW)}
    if body is not None:
        headers["Digest"] = digest_header(body)
    headers["Signature"] = _custom_signed(private_pem, method, "/inbox", headers, names)
    with pytest.raises(SignatureError, match=re.escape(reason)):
        verify_request(method, "/inbox", headers, body, public_pem, now=NOW)


def test_signed_header_absent_from_request_is_refused(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    headers = sign_headers("POST", INBOX, ACTOR, private_pem, body=b"{}", now=NOW)
    del headers["Digest"]
    with pytest.raises(SignatureError, match="^digest was not in the request$"):
        verify_request("POST", "/accounts/carol/inbox", headers, b"{}", public_pem, now=NOW)


def test_lower_case_digest_algorithm_is_accepted(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    body = b'{"type":"Like"}'
    digest = "sha-256=" + digest_header(body).partition("=")[2]
    headers = sign_headers(
        "POST", INBOX, ACTOR, private_pem, body=body, headers={"digest": digest}, now=NOW
    )
    assert headers["digest"] == digest and "Digest" not in headers
    assert verify_request("POST", "/accounts/carol/inbox", headers, body, public_pem, now=NOW)


def test_require_digest_can_be_turned_off_or_forced(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    get_headers = sign_headers("GET", INBOX, ACTOR, private_pem, now=NOW)
    with pytest.raises(SignatureError, match="^digest was not a signed header$"):
        verify_request(
            "GET",
            "/accounts/carol/inbox",
            get_headers,
            None,
            public_pem,
            now=NOW,
            require_digest=True,
        )
    post_headers = {"Host": "remote.example", "Date": http_date(NOW)}
    post_headers["Signature"] = _custom_signed(
        private_pem, "POST", "/inbox", post_headers, ["(request-target)", "host", "date"]
    )
    assert verify_request(
        "POST", "/inbox", post_headers, None, public_pem, now=NOW, require_digest=False
    )


def test_hs2019_with_created_and_expires_is_accepted(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    body = b'{"type":"Create"}'
    headers = {"Host": "remote.example", "Digest": digest_header(body)}
    names = ["(request-target)", "host", "(created)", "(expires)", "digest"]
    headers["Signature"] = _custom_signed(
        private_pem,
        "POST",
        "/inbox",
        headers,
        names,
        extra_params=f'created={int(NOW)},expires="{int(NOW) + 300}"',
        algorithm="hs2019",
    )
    verified = verify_request("POST", "/inbox", headers, body, public_pem, now=NOW + 10)
    assert verified.actor == ACTOR
    with pytest.raises(SignatureError, match="expired"):
        verify_request("POST", "/inbox", headers, body, public_pem, now=NOW + 301)
    with pytest.raises(SignatureError, match="future"):
        verify_request("POST", "/inbox", headers, body, public_pem, now=NOW - 1801)


def test_repeated_header_values_are_joined_with_comma_space(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    signed = {"Host": "remote.example", "Date": http_date(NOW), "Accept": "a/b, c/d"}
    signature = _custom_signed(
        private_pem, "GET", "/x", signed, ["(request-target)", "host", "date", "accept"]
    )
    headers = HTTPHeaders({"Host": "remote.example", "Date": http_date(NOW)})
    headers.add("Accept", "a/b")
    headers.add("Accept", "c/d")
    headers.add("Signature", signature)
    assert verify_request("GET", "/x", headers, None, public_pem, now=NOW).actor == ACTOR


def test_unparsable_date_is_refused(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    headers = sign_headers("GET", INBOX, ACTOR, private_pem, headers={"Date": "yesterday"}, now=NOW)
    with pytest.raises(SignatureError, match="date"):
        verify_request("GET", "/accounts/carol/inbox", headers, None, public_pem, now=NOW)


def test_unsupported_algorithm_is_refused(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    headers = sign_headers("GET", INBOX, ACTOR, private_pem, now=NOW)
    headers["Signature"] = headers["Signature"].replace("rsa-sha256", "hmac-sha256")
    with pytest.raises(SignatureError, match="^hmac-sha256 is not supported$"):
        verify_request("GET", "/accounts/carol/inbox", headers, None, public_pem, now=NOW)


# --- Small helpers ----------------------------------------------------------------------------


def test_parse_signature_header_reads_params_and_defaults() -> None:
    parsed = parse_signature_header('Signature keyId="k#main-key",signature="c2ln",created=17')
    assert parsed == {
        "keyId": "k#main-key",
        "signature": "c2ln",
        "created": "17",
        "algorithm": "rsa-sha256",
        "headers": "date",
    }


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('keyId="k",signature=', "bad param format"),
        ('keyId="k" signature="s"', "bad param format"),
        ('algorithm="rsa-sha256",signature="s"', "keyId was not specified"),
        ('keyId="k",algorithm="rsa-sha256"', "signature was not specified"),
    ],
)
def test_parse_signature_header_refuses_malformed_values(value: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=f"^{reason}$"):
        parse_signature_header(value)


def test_generated_keys_are_pem_in_peertube_forms(keypair: tuple[str, str]) -> None:
    private_pem, public_pem = keypair
    assert private_pem.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert public_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert RSA.import_key(public_pem).size_in_bits() == 2048


def test_digest_and_date_match_peertube_formats() -> None:
    capture = _load("fed-01e-pt-to-stub.Accept-of-channel-Follow.json")
    assert digest_header(_body(capture) or b"") == capture["headers"]["digest"]
    assert http_date(_received_at(capture) - 0.859) == capture["headers"]["date"]
