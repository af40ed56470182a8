"""Users, passwords, OAuth tokens and the root account.

Passwords are hashed with scrypt (a slow, memory-hard KDF from the standard
library). Tokens are random; only their SHA-256 is stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import peewee

from app import events
from app.settings import Settings
from app.validation import EMAIL, Field, check
from models import db, utcnow
from models.accounts import Account, Channel, OAuthClient, OAuthToken, Role, User

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._]{0,48}$")
# Names that belong to the server itself (its ActivityPub actor is `peertube`).
RESERVED = {"peertube", "admin", "administrator", "instance", "system", "shoal"}
ACCESS_TTL = dt.timedelta(days=1)
REFRESH_TTL = dt.timedelta(days=14)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AuthError(ValueError):
    """A refused sign-in, registration or token; the message is for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=8, p=1
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def validate_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AuthError(
            "A username is 1 to 49 lowercase letters, digits, dots or underscores.", "username"
        )
    return username


def validate_password(password: str) -> str:
    if not 6 <= len(password) <= 255:
        raise AuthError("A password is between 6 and 255 characters long.", "password")
    return password


def create_user(
    settings: Settings,
    username: str,
    password: str,
    email: str | None = None,
    role: Role = Role.USER,
    display_name: str | None = None,
    channel_name: str | None = None,
    channel_display_name: str | None = None,
    video_quota: int | None = None,
    video_quota_daily: int = -1,
) -> User:
    """Create a user with their account and default channel, or raise AuthError.

    Everything is checked before the first row is written. `video_quota`
    defaults to the server's; only administrators choose another.
    """
    username = validate_username(username)
    if username in RESERVED:
        raise AuthError("That username is reserved.", "username")
    validate_password(password)
    channel_name = validate_username(channel_name or f"{username}_channel")
    if channel_name == username:
        raise AuthError("Channel name cannot be the same as user username.", "channelName")
    if email is not None:
        email = email.strip() or None
        if email and ("@" not in email or len(email) > 254):
            raise AuthError("That email address does not look right.", "email")
    display_name = (display_name or "").strip() or username
    channel_display_name = (channel_display_name or "").strip() or f"Main {username} channel"
    if len(display_name) > 120 or len(channel_display_name) > 120:
        raise AuthError("A display name is 1 to 120 characters long.", "display_name")
    with db.atomic():
        if User.select().where(User.username == username).exists():
            raise AuthError("That username is taken.", "username")
        if email and User.select().where(User.email == email).exists():
            raise AuthError("That email address is already registered.", "email")
        if Channel.select().where((Channel.name == channel_name) & (Channel.host == "")).exists():
            raise AuthError("That channel name is taken.", "channelName")
        user = User.create(
            username=username,
            email=email,
            password_hash=hash_password(password),
            role=int(role),
            video_quota=settings.default_video_quota if video_quota is None else video_quota,
            video_quota_daily=video_quota_daily,
        )
        account = Account.create(user=user, name=username, display_name=display_name)
        Channel.create(account=account, name=channel_name, display_name=channel_display_name)
    return user


def authenticate(username: str, password: str) -> User:
    """The user for these credentials, or AuthError (same message either way)."""
    user = User.get_or_none(User.username == username.strip().lower())
    if user is None:
        hash_password(password)  # same time whether or not the user exists
        raise AuthError("Invalid username or password.")
    if not verify_password(password, user.password_hash):
        raise AuthError("Invalid username or password.")
    if user.blocked:
        raise AuthError("This account is blocked.")
    return user


def set_password(user: User, password: str) -> None:
    """Change a password; every session and token of the user ends."""
    validate_password(password)
    with db.atomic():
        User.update(
            password_hash=hash_password(password), session_version=User.session_version + 1
        ).where(User.id == user.id).execute()
        OAuthToken.delete().where(OAuthToken.user == user).execute()


# What an administrator may change of a user (PeerTube's PUT /api/v1/users/{id}).
USER_UPDATE = {
    "email": Field(str, "Should have a valid email", nullable=True, max=254, pattern=EMAIL),
    "videoQuota": Field(int, "Should have a valid video quota (-1 or more bytes)", min=-1),
    "videoQuotaDaily": Field(int, "Should have a valid daily video quota", min=-1),
    "role": Field(int, "Should have a valid role (0, 1 or 2)", choices=frozenset(Role)),
    "blocked": Field(bool, "Should have a boolean blocked"),
    # PeerTube's UserAdminFlag: 1 = new videos skip the auto-block (app/moderation/blocks.py)
    "adminFlags": Field(int, "Should have a valid admin flags bitmask", min=0, max=1),
}


def update_user(user: User, changes: Mapping[str, Any]) -> User:
    """An administrator's changes (USER_UPDATE's fields; others are ignored).

    Raises app.validation's ValidationError for a wrong field and AuthError for
    a taken email, both before anything is written.
    """
    changes = check(changes, USER_UPDATE)
    if "email" in changes:
        email = changes["email"]
        taken = User.select().where((User.email == email) & (User.id != user.id))
        if email is not None and taken.exists():
            raise AuthError("That email address is already registered.", "email")
        user.email = email
    if "videoQuota" in changes:
        user.video_quota = changes["videoQuota"]
    if "videoQuotaDaily" in changes:
        user.video_quota_daily = changes["videoQuotaDaily"]
    if "role" in changes:
        user.role = changes["role"]
    if "adminFlags" in changes:
        user.admin_flags = changes["adminFlags"]
    was_blocked = user.blocked
    if "blocked" in changes:
        user.blocked = changes["blocked"]
    user.save()
    if user.blocked != was_blocked:
        events.emit("user.blocked", user=user)  # their videos leave or come back
    if user.blocked:
        OAuthToken.delete().where(OAuthToken.user == user).execute()
    return user


def update_profile(user: User, display_name: str, description: str, email: str) -> None:
    """A user's own changes to their public profile and email."""
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= 120:
        raise AuthError("A display name is 1 to 120 characters long.", "display_name")
    if len(description) > 1000:
        raise AuthError("A description is at most 1000 characters long.", "description")
    email = email.strip()
    if email and ("@" not in email or len(email) > 254):
        raise AuthError("That email address does not look right.", "email")
    with db.atomic():
        if email and User.select().where((User.email == email) & (User.id != user.id)).exists():
            raise AuthError("That email address is already registered.", "email")
        User.update(email=email or None).where(User.id == user.id).execute()
        Account.update(
            display_name=display_name, description=description, updated_at=utcnow()
        ).where(Account.user == user).execute()
        events.emit("account.updated", account=Account.get(Account.user == user))


def ensure_root(settings: Settings) -> str | None:
    """Create the admin `root` on first start; return a generated password, if any."""
    if User.select().where(User.username == "root").exists():
        return None
    generated = None
    password = settings.root_password
    if not password:
        password = generated = secrets.token_urlsafe(12)
    try:
        create_user(settings, "root", password, role=Role.ADMIN)
    except (AuthError, peewee.IntegrityError):
        # Several web processes starting together: another one made it a moment ago.
        if not User.select().where(User.username == "root").exists():
            raise
        return None
    return generated


def local_client() -> OAuthClient:
    """The single OAuth client of this server (PeerTube's /oauth-clients/local)."""
    client = OAuthClient.select().first()
    if client is None:
        client = OAuthClient.create(
            client_id=secrets.token_hex(16), client_secret=secrets.token_hex(16)
        )
    return client


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token pair as given to the client (the only time the secrets exist in clear)."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_token_expires_in: int


def check_client(client_id: str, client_secret: str) -> OAuthClient:
    client = OAuthClient.get_or_none(OAuthClient.client_id == client_id)
    if client is None or not hmac.compare_digest(client.client_secret, client_secret or ""):
        raise AuthError("Invalid client: client is invalid")
    return client


def issue_token(user: User, client: OAuthClient) -> IssuedToken:
    access, refresh = secrets.token_hex(20), secrets.token_hex(20)
    now = utcnow()
    OAuthToken.create(
        user=user,
        client=client,
        access_hash=_digest(access),
        refresh_hash=_digest(refresh),
        access_expires_at=now + ACCESS_TTL,
        refresh_expires_at=now + REFRESH_TTL,
    )
    return IssuedToken(
        access, refresh, int(ACCESS_TTL.total_seconds()), int(REFRESH_TTL.total_seconds())
    )


def refresh_token(client: OAuthClient, refresh: str) -> IssuedToken:
    """Trade a refresh token for a new pair; the old pair stops working."""
    with db.atomic():
        token = OAuthToken.get_or_none(
            (OAuthToken.refresh_hash == _digest(refresh)) & (OAuthToken.client == client)
        )
        if token is None or token.refresh_expires_at < utcnow():
            raise AuthError("Invalid grant: refresh token is invalid")
        user = token.user
        token.delete_instance()
        return issue_token(user, client)


def user_for_access_token(access: str) -> User | None:
    token = (
        OAuthToken.select(OAuthToken, User)
        .join(User)
        .where(OAuthToken.access_hash == _digest(access))
        .first()
    )
    if token is None or token.access_expires_at < utcnow() or token.user.blocked:
        return None
    return token.user


def revoke_token(access: str) -> bool:
    """End the session of an access token (its refresh token goes with it); False if unknown."""
    return bool(OAuthToken.delete().where(OAuthToken.access_hash == _digest(access)).execute())


def account_of(user: User) -> Account:
    return Account.get(Account.user == user)


def channels_of(user: User) -> list[Channel]:
    return list(Channel.select().join(Account).where(Account.user == user).order_by(Channel.id))
