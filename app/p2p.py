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
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from models import db, utcnow
from models.accounts import User
from models.server import ServerSetting

ENABLED_KEY = "p2p.enabled"
ICE_KEY = "p2p.iceServers"
MAX_ICE_SERVERS = 10
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

    def rtc_config(self) -> dict:
        """The RTCPeerConnection configuration player.js gives p2p-media-loader."""
        return {"iceServers": [{"urls": url} for url in self.ice_servers]}


def get() -> P2PSettings:
    """The stored settings (defaults: enabled, no ICE servers)."""
    rows = {
        row.key: row.value
        for row in ServerSetting.select().where(ServerSetting.key.in_([ENABLED_KEY, ICE_KEY]))
    }
    enabled = rows.get(ENABLED_KEY, "1") != "0"
    try:
        servers = tuple(str(url) for url in json.loads(rows.get(ICE_KEY, "[]")))
    except ValueError:
        servers = ()
    return P2PSettings(enabled=enabled, ice_servers=servers)


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


def update(enabled: bool, ice_servers: str | list[str]) -> P2PSettings:
    """Store the administrator's settings (all or nothing); P2PError if a URL is wrong."""
    new = P2PSettings(enabled=bool(enabled), ice_servers=parse_ice_servers(ice_servers))
    values = {ENABLED_KEY: "1" if new.enabled else "0", ICE_KEY: json.dumps(list(new.ice_servers))}
    with db.atomic():
        for key, value in values.items():
            now = utcnow()
            ServerSetting.insert(key=key, value=value, updated_at=now).on_conflict(
                conflict_target=[ServerSetting.key],
                update={ServerSetting.value: value, ServerSetting.updated_at: now},
            ).execute()
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
