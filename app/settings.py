"""One typed settings object, read from environment variables.

Every variable is listed in README.md. `Settings.from_env()` is called once by
the command line; everything else receives the object it returns.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_LADDER = (1080, 720, 480, 360, 240)


class SettingsError(ValueError):
    """A variable has a value Shoal cannot use; the message names it."""


def _is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _int(env: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}")
    return value


def _size(env: dict[str, str], name: str, default: int) -> int:
    """Parse sizes such as 8G, 500M, 1048576."""
    raw = env.get(name, "").strip().upper()
    if not raw:
        return default
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    mult = 1
    if raw[-1] in units:
        mult, raw = units[raw[-1]], raw[:-1]
    try:
        value = int(float(raw) * mult)
    except ValueError:
        raise SettingsError(f"{name} must be a size such as 8G or 500M") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


ACCEPT_FROM = ("nobody", "anybody", "followings")


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name) or default
    if raw not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, not {raw!r}")
    return raw


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 1 or 0, not {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Configuration of one Shoal server."""

    database_url: str
    host: str
    port: int
    bind: str
    data_dir: Path
    https: bool
    root_password: str | None
    secret: str
    ladder: tuple[int, ...] = DEFAULT_LADDER
    max_upload_size: int = 8 * 1024**3
    default_video_quota: int = -1
    registration_open: bool = True
    instance_name: str = "Shoal"
    job_lease_seconds: int = 120
    federation_threads: int = 0  # a worker's threads for federation jobs; 0: by database
    login_attempts_per_minute: int = 10
    allow_loopback: bool = False
    followers_manual_approval: bool = False
    backfill_videos: int = 50  # recent videos read from an outbox on a new follow; 0: none
    # Whose mirrors (CacheFile) of local videos are recorded: PeerTube's
    # remote_redundancy.videos.accept_from (nobody, anybody, followings).
    redundancy_accept_from: str = "followings"
    # URL prefix of the reverse proxy's internal location that aliases SHOAL_DATA's media/
    # and originals/ ("" : Tornado sends media files itself). See handlers/media.py.
    accel_redirect: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    @property
    def base_url(self) -> str:
        """Absolute URL prefix used in every link that leaves the server."""
        return f"{self.scheme}://{self.host}"

    @property
    def ws_scheme(self) -> str:
        return "wss" if self.https else "ws"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def upload_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def originals_dir(self) -> Path:
        return self.data_dir / "originals"

    def with_(self, **changes: object) -> Settings:
        """A copy with some values changed (tests use it)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read and check every variable; raise SettingsError naming a bad one."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("SHOAL_DATA") or "data").resolve()
        port = _int(env, "SHOAL_PORT", 9000, minimum=0)
        host = env.get("SHOAL_HOST") or f"127.0.0.1:{port}"
        if "/" in host or " " in host:
            raise SettingsError("SHOAL_HOST is a host[:port], without scheme or path")
        https = _bool(env, "SHOAL_HTTPS", not _is_loopback(host))
        database_url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'shoal.db'}"
        if not database_url.startswith(("sqlite:", "postgresql:", "postgres:")):
            raise SettingsError("DATABASE_URL must start with sqlite:/// or postgresql://")
        ladder_raw = env.get("SHOAL_LADDER", "")
        ladder = DEFAULT_LADDER
        if ladder_raw:
            try:
                heights = {int(x) for x in ladder_raw.split(",") if x.strip()}
            except ValueError:
                msg = 'SHOAL_LADDER is comma-separated heights, e.g. "720,360"'
                raise SettingsError(msg) from None
            ladder = tuple(sorted(heights, reverse=True))
            if not ladder or any(h < 16 or h > 4320 for h in ladder):
                raise SettingsError("SHOAL_LADDER heights must lie between 16 and 4320")
        accel_redirect = env.get("SHOAL_ACCEL_REDIRECT", "")
        if accel_redirect and not (accel_redirect.startswith("/") and accel_redirect.endswith("/")):
            raise SettingsError("SHOAL_ACCEL_REDIRECT is a path that starts and ends with /")
        secret = env.get("SHOAL_SECRET") or _stored_secret(data_dir)
        return cls(
            database_url=database_url,
            host=host,
            port=port,
            bind=env.get("SHOAL_BIND", "127.0.0.1"),
            data_dir=data_dir,
            https=https,
            root_password=env.get("SHOAL_ROOT_PASSWORD") or None,
            secret=secret,
            ladder=ladder,
            max_upload_size=_size(env, "SHOAL_MAX_UPLOAD_SIZE", 8 * 1024**3),
            default_video_quota=_int(env, "SHOAL_VIDEO_QUOTA", -1, minimum=-1),
            registration_open=_bool(env, "SHOAL_REGISTRATION", True),
            instance_name=env.get("SHOAL_NAME", "Shoal"),
            job_lease_seconds=_int(env, "SHOAL_JOB_LEASE", 120, minimum=1),
            federation_threads=_int(env, "SHOAL_FEDERATION_THREADS", 0, minimum=0),
            login_attempts_per_minute=_int(env, "SHOAL_LOGIN_RATE", 10, minimum=1),
            allow_loopback=_bool(env, "SHOAL_ALLOW_LOOPBACK", False),
            followers_manual_approval=_bool(env, "SHOAL_FOLLOWERS_MANUAL_APPROVAL", False),
            backfill_videos=_int(env, "SHOAL_BACKFILL_VIDEOS", 50, minimum=0),
            redundancy_accept_from=_choice(
                env, "SHOAL_REDUNDANCY_ACCEPT_FROM", "followings", ACCEPT_FROM
            ),
            accel_redirect=accel_redirect,
        )


def _stored_secret(data_dir: Path) -> str:
    """The cookie secret kept in SHOAL_DATA, made on first use (mode 0600)."""
    path = data_dir / "secret"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (web or worker) made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
