"""Peer-to-peer streaming settings: the server's switch, its STUN servers, a user's choice.

While a video plays, viewers' browsers trade its HLS segments over WebRTC
(assets/js/player.js with p2p-media-loader). Peers see each other's IP
addresses, so it can be turned off three ways: for the whole server by an
administrator (stored here, in server_setting), by a signed-in user
(User.p2p_enabled), and by a visitor in their browser (localStorage, in
player.js alone).

WebRTC needs ICE servers to get through NAT. None are configured by default:
a third-party STUN server would learn every viewer's address, so the
administrator chooses (e.g. their own coturn). Without any, peers on the same
network still connect through their host addresses.

A TURN server relays for viewers whom NAT keeps apart, and wants credentials.
Every page with a player carries them, so any visitor can read them: fixed
ones (a username and password) serve anyone who copies them; a secret shared
with the TURN server (coturn's `use-auth-secret` / `static-auth-secret`, the
"TURN REST API" scheme) gives each page its own, valid for TURN_TTL seconds:
username "<expiry unix time>:shoal", credential base64(HMAC-SHA1(secret,
username)). The password and secret are stored here as given (the HMAC needs
the secret itself) and never shown back on the admin page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from models import db
from models.accounts import User
from models.server import ServerSetting, put_setting

ENABLED_KEY = "p2p.enabled"
ICE_KEY = "p2p.iceServers"
TURN_KEY = "p2p.turn"  # JSON: {"username", "password", "secret"}
MAX_ICE_SERVERS = 10
MAX_CREDENTIAL = 256  # characters, for each TURN credential
TURN_TTL = 24 * 3600  # seconds a page's TURN credentials made from the secret are valid
# RFC 7064 / RFC 7065: stun:host[:port], turn:host[:port][?transport=udp|tcp].
_ICE_URL = re.compile(
    r"(?P<scheme>stuns?|turns?):(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?"
    r"(?P<query>\?transport=(?:udp|tcp))?"
)
TRACKER_PATH = "/tracker/socket"


class P2PError(ValueError):
    """A setting an administrator gave that cannot be used; `field` names the form field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class P2PSettings:
    """The administrator's choices: whether viewers share, and through which ICE servers."""

    enabled: bool = True
    ice_servers: tuple[str, ...] = ()
    turn_username: str = ""
    turn_password: str = ""
    turn_secret: str = ""

    def turn_credentials(self, now: float | None = None) -> dict[str, str]:
        """{"username", "credential"} for the TURN servers; {} when none are set."""
        if self.turn_secret:
            expires = int(time.time() if now is None else now) + TURN_TTL
            username = f"{expires}:shoal"
            mac = hmac.new(self.turn_secret.encode(), username.encode(), hashlib.sha1)
            return {"username": username, "credential": base64.b64encode(mac.digest()).decode()}
        if self.turn_username:
            return {"username": self.turn_username, "credential": self.turn_password}
        return {}

    def rtc_config(self, now: float | None = None) -> dict:
        """The RTCPeerConnection configuration player.js gives p2p-media-loader."""
        credentials = self.turn_credentials(now)
        servers = []
        for url in self.ice_servers:
            server = {"urls": url}
            if url.startswith("turn"):
                server.update(credentials)
            servers.append(server)
        return {"iceServers": servers}


def get() -> P2PSettings:
    """The stored settings (defaults: enabled, no ICE servers)."""
    keys = [ENABLED_KEY, ICE_KEY, TURN_KEY]
    rows = {row.key: row.value for row in ServerSetting.select().where(ServerSetting.key.in_(keys))}
    enabled = rows.get(ENABLED_KEY, "1") != "0"
    try:
        servers = tuple(str(url) for url in json.loads(rows.get(ICE_KEY, "[]")))
    except ValueError:
        servers = ()
    try:
        turn = json.loads(rows.get(TURN_KEY, "{}"))
    except ValueError:
        turn = {}
    if not isinstance(turn, dict):
        turn = {}
    return P2PSettings(
        enabled=enabled,
        ice_servers=servers,
        turn_username=str(turn.get("username") or ""),
        turn_password=str(turn.get("password") or ""),
        turn_secret=str(turn.get("secret") or ""),
    )


def parse_ice_servers(text: str | list[str]) -> tuple[str, ...]:
    """STUN/TURN URLs, one per line (or a list), checked; duplicates and blanks dropped."""
    lines = text.splitlines() if isinstance(text, str) else [str(item) for item in text]
    urls: list[str] = []
    for line in lines:
        url = line.strip()
        if not url or url in urls:
            continue
        match = _ICE_URL.fullmatch(url)
        if not match or (match["port"] and not 0 < int(match["port"]) < 65536):
            raise P2PError(
                f"{url[:100]!r} is not a STUN or TURN address such as stun:stun.example.org:3478.",
                "ice_servers",
            )
        if match["query"] and match["scheme"].startswith("stun"):
            raise P2PError(f"{url!r}: only TURN addresses take a transport.", "ice_servers")
        urls.append(url)
    if len(urls) > MAX_ICE_SERVERS:
        raise P2PError(f"At most {MAX_ICE_SERVERS} STUN/TURN servers.", "ice_servers")
    return tuple(urls)


def _check_turn(settings: P2PSettings) -> None:
    for field, value in (
        ("turn_username", settings.turn_username),
        ("turn_password", settings.turn_password),
        ("turn_secret", settings.turn_secret),
    ):
        if len(value) > MAX_CREDENTIAL or any(ord(c) < 32 for c in value):
            raise P2PError(
                f"TURN credentials are at most {MAX_CREDENTIAL} characters, on one line.", field
            )
    if settings.turn_username and not settings.turn_password:
        raise P2PError("A TURN username needs its password.", "turn_password")
    if settings.turn_password and not settings.turn_username:
        raise P2PError("A TURN password needs its username.", "turn_username")
    has_turn = any(url.startswith("turn") for url in settings.ice_servers)
    if has_turn and not settings.turn_credentials():
        raise P2PError(
            "A TURN server needs a username and password, or a secret shared with it.",
            "turn_username",
        )


def update(
    enabled: bool,
    ice_servers: str | list[str],
    *,
    turn_username: str | None = None,
    turn_password: str | None = None,
    turn_secret: str | None = None,
) -> P2PSettings:
    """Store the administrator's settings (all or nothing); P2PError if one is wrong.

    A TURN credential given as None keeps the stored one; "" removes it. The
    password goes with its username: removing the username removes it too.
    """
    new = replace(get(), enabled=bool(enabled), ice_servers=parse_ice_servers(ice_servers))
    if turn_username is not None:
        new = replace(new, turn_username=turn_username.strip())
        if not new.turn_username and turn_password is None:
            turn_password = ""
    if turn_password is not None:
        new = replace(new, turn_password=turn_password)
    if turn_secret is not None:
        new = replace(new, turn_secret=turn_secret)
    _check_turn(new)
    stored_turn = {
        "username": new.turn_username,
        "password": new.turn_password,
        "secret": new.turn_secret,
    }
    values = {
        ENABLED_KEY: "1" if new.enabled else "0",
        ICE_KEY: json.dumps(list(new.ice_servers)),
        TURN_KEY: json.dumps(stored_turn),
    }
    with db.atomic():
        for key, value in values.items():
            put_setting(key, value)
    return new


def set_user_enabled(user: User, enabled: bool) -> None:
    """A signed-in user's own choice (privacy: peers see each other's IP address)."""
    User.update(p2p_enabled=bool(enabled)).where(User.id == user.id).execute()
    user.p2p_enabled = bool(enabled)


def enabled_for(settings: P2PSettings, user: User | None) -> bool:
    """Whether a page may offer P2P to this viewer (a visitor may still say no in the browser)."""
    return settings.enabled and (user is None or bool(user.p2p_enabled))


def tracker_url(master_url: str) -> str:
    """The WebSocket tracker of the server a master playlist comes from ("" if not http(s)).

    A local video's is this server's own; a remote video's is its origin's,
    whose tracker knows the swarms of the master playlist's URL.
    """
    parts = urlsplit(master_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        return ""
    return f"{scheme}://{parts.netloc}{TRACKER_PATH}"
