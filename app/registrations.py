"""Who may join this server: open sign-up, sign-up by approval, or none.

The administrator picks the mode on /admin/registrations (stored in
server_setting; SHOAL_REGISTRATION gives the default: open or closed), and an
optional limit of sign-ups per address per hour. In approval mode a visitor
asks to join with a reason (PeerTube's UserRegistration): the request keeps its
username, email and channel name reserved, moderators are told (the
`registration.requested` event), and a moderator accepts it (the user is
created with the password given at request time, kept only as its hash) or
rejects it, with an optional response.

Shoal sends no email, so the applicant learns the outcome when signing in:
a pending or rejected request answers the sign-in with its state and the
moderator's response (sign_in_refusal); an accepted one simply signs in.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

import peewee

from app import about, auth, events
from app.ratelimit import RateLimiter
from app.serialize import iso
from app.settings import Settings
from models import db, utcnow
from models.accounts import Channel, User
from models.registrations import RegistrationState, UserRegistration
from models.server import ServerSetting, put_setting

log = logging.getLogger(__name__)

OPEN, APPROVAL, CLOSED = "open", "approval", "closed"
MODES = {
    OPEN: "Open: anyone may create an account",
    APPROVAL: "By approval: visitors ask, with a reason; a moderator accepts or rejects",
    CLOSED: "Closed: nobody may create an account",
}
MODE_KEY = "registration.mode"
LIMIT_KEY = "registration.hourlyLimit"
MAX_HOURLY_LIMIT = 10_000
# PeerTube's bounds of a reason and a moderator's response.
REASON_MIN, REASON_MAX = 2, 3000
RESPONSE_MAX = 3000
SORTS = {
    "createdAt": UserRegistration.created_at,
    "-createdAt": UserRegistration.created_at.desc(),
    "state": UserRegistration.state,
    "-state": UserRegistration.state.desc(),
}


class RegistrationError(ValueError):
    """A refused sign-up, request or decision; the message is for the person.

    `field` names the form field (or API body field) at fault, `status` is the
    HTTP status PeerTube answers with.
    """

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass(frozen=True)
class Policy:
    """The administrator's choice: the mode, and sign-ups per address per hour (0: no limit)."""

    mode: str = OPEN
    hourly_limit: int = 0

    @property
    def allowed(self) -> bool:
        return self.mode != CLOSED

    @property
    def requires_approval(self) -> bool:
        return self.mode == APPROVAL


def policy(settings: Settings) -> Policy:
    """The stored policy; without one, SHOAL_REGISTRATION's open or closed."""
    keys = [MODE_KEY, LIMIT_KEY]
    rows = {r.key: r.value for r in ServerSetting.select().where(ServerSetting.key.in_(keys))}
    mode = rows.get(MODE_KEY) or (OPEN if settings.registration_open else CLOSED)
    if mode not in MODES:
        mode = CLOSED  # a value this version does not know: the safe reading
    try:
        limit = max(0, int(rows.get(LIMIT_KEY) or 0))
    except ValueError:
        limit = 0
    return Policy(mode, limit)


def update_policy(mode: str, hourly_limit: str | int) -> Policy:
    """Store the administrator's choice; RegistrationError (nothing stored) if one is wrong."""
    if mode not in MODES:
        raise RegistrationError("Choose open, by approval or closed.", "mode")
    text = str(hourly_limit).strip()
    try:
        limit = int(text) if text else 0
    except ValueError:
        limit = -1
    if not 0 <= limit <= MAX_HOURLY_LIMIT:
        raise RegistrationError(
            f"The limit is a number of sign-ups from 0 (none) to {MAX_HOURLY_LIMIT}.",
            "hourly_limit",
        )
    with db.atomic():
        put_setting(MODE_KEY, mode)
        put_setting(LIMIT_KEY, str(limit))
    return Policy(mode, limit)


def rules(settings: Settings) -> dict[str, str]:
    """The server's rules as the about page has them (Markdown; empty when none)."""
    info = about.get(settings)
    return {"codeOfConduct": info["codeOfConduct"], "terms": info["terms"]}


def has_rules(settings: Settings) -> bool:
    return any(rules(settings).values())


def signup_limiter(limiter: RateLimiter, current: Policy, address: str) -> None:
    """Count a sign-up from `address`; RegistrationError 429 when the hour's limit is reached."""
    if not current.hourly_limit:
        return
    limiter.limit = current.hourly_limit  # the administrator may have changed it
    if not limiter.hit(address):
        raise RegistrationError(
            "Too many sign-ups from your address. Try again in an hour.", status=429
        )


@dataclass(frozen=True)
class Applicant:
    """What a person gives to join (a sign-up form or PeerTube's RegisterUser body)."""

    username: str
    password: str
    email: str | None = None
    display_name: str | None = None
    channel_name: str | None = None
    channel_display_name: str | None = None
    reason: str | None = None


def _checked(applicant: Applicant) -> Applicant:
    """Every field checked and normalized, before anything is written."""
    username = auth.validate_username(applicant.username)
    if username in auth.RESERVED:
        raise auth.AuthError("That username is reserved.", "username")
    auth.validate_password(applicant.password)
    channel = auth.validate_username(applicant.channel_name or f"{username}_channel")
    if channel == username:
        raise auth.AuthError("Channel name cannot be the same as user username.", "channelName")
    email = (applicant.email or "").strip() or None
    if email and ("@" not in email or len(email) > 254):
        raise auth.AuthError("That email address does not look right.", "email")
    display = (applicant.display_name or "").strip() or username
    channel_display = (applicant.channel_display_name or "").strip() or f"Main {username} channel"
    if len(display) > 120 or len(channel_display) > 120:
        raise auth.AuthError("A display name is 1 to 120 characters long.", "display_name")
    return Applicant(
        username, applicant.password, email, display, channel, channel_display, applicant.reason
    )


def _check_free(applicant: Applicant) -> None:
    """RegistrationError 409 when a user or another request has the name, email or channel."""
    if User.select().where(User.username == applicant.username).exists():
        raise RegistrationError("That username is taken.", "username", 409)
    if applicant.email and User.select().where(User.email == applicant.email).exists():
        raise RegistrationError("That email address is already registered.", "email", 409)
    local_channel = (Channel.name == applicant.channel_name) & (Channel.host == "")
    if Channel.select().where(local_channel).exists():
        raise RegistrationError("That channel name is taken.", "channelName", 409)
    names = (applicant.username, applicant.channel_name)
    for field, clash in (
        ("username", UserRegistration.username.in_(names)),
        ("channelName", UserRegistration.channel_handle.in_(names)),
        ("email", UserRegistration.email == applicant.email if applicant.email else None),
    ):
        if clash is not None and UserRegistration.select().where(clash).exists():
            raise RegistrationError(
                "Someone already asked to join with this username, channel name or email.",
                field,
                409,
            )


def _check_agreed(settings: Settings, agreed: bool) -> None:
    if not agreed and has_rules(settings):
        raise RegistrationError("Read the server's rules and tick “I agree”.", "rules")


def sign_up(
    settings: Settings,
    applicant: Applicant,
    *,
    limiter: RateLimiter,
    address: str,
    agreed: bool = True,
) -> User:
    """Open sign-up: the user is created at once. RegistrationError or AuthError if refused."""
    current = policy(settings)
    if not current.allowed:
        raise RegistrationError("User registration is not allowed", status=403)
    if current.requires_approval:
        raise RegistrationError("User registration requires approval", status=403)
    applicant = _checked(applicant)
    _check_agreed(settings, agreed)
    _check_free(applicant)
    signup_limiter(limiter, current, address)
    return auth.create_user(
        settings,
        applicant.username,
        applicant.password,
        email=applicant.email,
        display_name=applicant.display_name,
        channel_name=applicant.channel_name,
        channel_display_name=applicant.channel_display_name,
    )


def check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise RegistrationError(
            f"Say why you want to join ({REASON_MIN} to {REASON_MAX} characters).",
            "registrationReason",
        )
    return reason


def request(
    settings: Settings,
    applicant: Applicant,
    *,
    limiter: RateLimiter,
    address: str,
    agreed: bool = True,
) -> UserRegistration:
    """Sign-up by approval: store the request and tell the moderators (an event)."""
    current = policy(settings)
    if not current.allowed:
        raise RegistrationError("User registration is not allowed", status=403)
    if not current.requires_approval:
        raise RegistrationError("Signup approval is not enabled on this instance")
    reason = check_reason(applicant.reason)
    applicant = _checked(applicant)
    _check_agreed(settings, agreed)
    try:
        with db.atomic():
            _check_free(applicant)
            signup_limiter(limiter, current, address)
            registration = UserRegistration.create(
                state=RegistrationState.PENDING,
                registration_reason=reason,
                username=applicant.username,
                email=applicant.email,
                password_hash=auth.hash_password(applicant.password),
                account_display_name=applicant.display_name,
                channel_handle=applicant.channel_name,
                channel_display_name=applicant.channel_display_name,
            )
            events.emit("registration.requested", registration=registration)
    except peewee.IntegrityError:  # the same name asked for at the same moment
        raise RegistrationError(
            "Someone already asked to join with this username, channel name or email.",
            "username",
            409,
        ) from None
    log.info("registration of %s requested", registration.username)
    return registration


def check_response(response: str | None) -> str | None:
    response = (response or "").strip() or None
    if response is not None and len(response) > RESPONSE_MAX:
        raise RegistrationError(
            f"A response is at most {RESPONSE_MAX} characters.", "moderationResponse"
        )
    return response


def _pending(registration: UserRegistration) -> None:
    if registration.state != RegistrationState.PENDING:
        raise RegistrationError("This registration is already accepted or rejected.", status=409)


def accept(settings: Settings, registration: UserRegistration, response: str | None = None) -> User:
    """Create the user the request describes; it signs in with the password it chose."""
    response = check_response(response)
    _pending(registration)
    with db.atomic():
        try:
            user = auth.create_user(
                settings,
                registration.username,
                secrets.token_urlsafe(24),  # replaced below by the applicant's own hash
                email=registration.email,
                display_name=registration.account_display_name,
                channel_name=registration.channel_handle,
                channel_display_name=registration.channel_display_name,
            )
        except auth.AuthError as err:  # taken since the request (a channel, say)
            raise RegistrationError(str(err), err.field, 409) from None
        User.update(password_hash=registration.password_hash).where(User.id == user.id).execute()
        _decide(registration, RegistrationState.ACCEPTED, response, user=user)
    log.info("registration of %s accepted", registration.username)
    return User.get_by_id(user.id)


def reject(registration: UserRegistration, response: str | None = None) -> None:
    """Refuse the request; its name stays reserved until a moderator deletes it."""
    response = check_response(response)
    _pending(registration)
    _decide(registration, RegistrationState.REJECTED, response)
    log.info("registration of %s rejected", registration.username)


def _decide(
    registration: UserRegistration,
    state: RegistrationState,
    response: str | None,
    user: User | None = None,
) -> None:
    now = utcnow()
    registration.state = state
    registration.moderation_response = response
    registration.processed_at = registration.processed_at or now
    registration.updated_at = now
    if user is not None:
        registration.user = user
    registration.save()


def delete(registration: UserRegistration) -> None:
    """Forget a request (its username, email and channel name are free again)."""
    registration.delete_instance()


def find(registration_id: int) -> UserRegistration | None:
    return UserRegistration.get_or_none(UserRegistration.id == registration_id)


def page(
    start: int, count: int, sort: str = "-createdAt", search: str | None = None
) -> tuple[int, list[UserRegistration]]:
    """PeerTube's list: every state, searched in usernames and emails."""
    query = UserRegistration.select()
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            peewee.fn.LOWER(UserRegistration.username) ** like
            | (peewee.fn.LOWER(UserRegistration.email) ** like)
        )
    ordered = query.order_by(SORTS.get(sort, SORTS["-createdAt"]), UserRegistration.id.desc())
    return query.count(), list(ordered.offset(start).limit(count))


def pending_count() -> int:
    return (
        UserRegistration.select().where(UserRegistration.state == RegistrationState.PENDING).count()
    )


def sign_in_refusal(username: str, password: str) -> str | None:
    """Why a sign-in that found no user failed, when it is a request not accepted yet.

    Only the person who knows the request's password learns its state.
    """
    registration = UserRegistration.get_or_none(
        (UserRegistration.username == username.strip().lower())
        & (UserRegistration.state != RegistrationState.ACCEPTED)
    )
    if registration is None or not auth.verify_password(password, registration.password_hash):
        return None
    if registration.state == RegistrationState.PENDING:
        return "Your request to join is waiting for a moderator."
    response = registration.moderation_response
    return "Your request to join was rejected" + (f": {response}" if response else ".")


def registration_json(registration: UserRegistration) -> dict[str, Any]:
    """PeerTube's UserRegistration, key for key."""
    state = registration.state_enum
    return {
        "id": registration.id,
        "state": {"id": int(state), "label": state.label},
        "registrationReason": registration.registration_reason,
        "moderationResponse": registration.moderation_response,
        "username": registration.username,
        "email": registration.email,
        "emailVerified": registration.email_verified,
        "accountDisplayName": registration.account_display_name,
        "channelHandle": registration.channel_handle,
        "channelDisplayName": registration.channel_display_name,
        "createdAt": iso(registration.created_at),
        "updatedAt": iso(registration.updated_at),
        "user": {"id": registration.user_id} if registration.user_id else None,
    }
