"""PeerTube's sign-up API: /api/v1/users/register and /api/v1/users/registrations.

Open sign-up creates the user at once; sign-up by approval stores a request
that moderators list, accept or reject (app/registrations.py decides which
mode is on and checks everything before a row is written).
"""

from __future__ import annotations

from app import auth, registrations
from app.ratelimit import RateLimiter
from app.registrations import Applicant, RegistrationError
from app.validation import Field
from handlers.api.users import REGISTER
from handlers.base import APIHandler, Problem, public
from models.registrations import UserRegistration

REQUEST = {
    **REGISTER,
    "registrationReason": Field(
        str,
        f"Should have a valid registration reason ({registrations.REASON_MIN} to "
        f"{registrations.REASON_MAX} characters)",
        required=True,
        min=registrations.REASON_MIN,
        max=registrations.REASON_MAX,
        strip=True,
    ),
}
DECISION = {
    "moderationResponse": Field(
        str,
        f"Should have a valid moderation response (at most {registrations.RESPONSE_MAX} "
        "characters)",
        nullable=True,
        max=registrations.RESPONSE_MAX,
    ),
    "preventEmailDelivery": Field(bool, "Should have preventEmailDelivery boolean"),
}
# Shoal's field names in errors, as PeerTube's body names them.
_API_FIELD = {"channelName": "channel.name", "display_name": "displayName"}


def refused(err: RegistrationError | auth.AuthError) -> Problem:
    """PeerTube's problem for a refused sign-up, naming the field at fault."""
    status = getattr(err, "status", 400)
    field = _API_FIELD.get(err.field or "", err.field)
    params = {field: (None, str(err))} if field else None
    headers = {"Retry-After": "3600"} if status == 429 else None
    return Problem(status, str(err), invalid_params=params, headers=headers)


class _SignUp(APIHandler):
    def check_xsrf_cookie(self) -> None:
        pass  # anonymous JSON call: no session to ride on

    def applicant(self, spec: dict) -> Applicant:
        data = self.body_fields(spec)
        channel = data.get("channel") or {}
        if channel.get("name") == data["username"]:
            raise Problem(400, "Channel name cannot be the same as user username.")
        return Applicant(
            username=data["username"],
            password=data["password"],
            email=data.get("email"),
            display_name=data.get("displayName"),
            channel_name=channel.get("name"),
            channel_display_name=channel.get("displayName"),
            reason=data.get("registrationReason"),
        )

    @property
    def limiter(self) -> RateLimiter:
        return self.application.settings["signup_limiter"]

    def closed(self, approval_wanted: bool) -> None:
        """PeerTube's 403 before the body is read, when this kind of sign-up is off."""
        current = registrations.policy(self.shoal)
        if not current.allowed:
            raise Problem(403, "User registration is not allowed")
        if current.requires_approval and not approval_wanted:
            raise Problem(403, "User registration requires approval")
        if approval_wanted and not current.requires_approval:
            raise Problem(400, "Signup approval is not enabled on this instance")


class RegisterHandler(_SignUp):
    """POST /api/v1/users/register: open sign-up (204)."""

    @public
    def post(self) -> None:
        self.closed(approval_wanted=False)
        applicant = self.applicant(REGISTER)
        try:
            registrations.sign_up(
                self.shoal, applicant, limiter=self.limiter, address=self.client_ip()
            )
        except (RegistrationError, auth.AuthError) as err:
            raise refused(err) from None
        self.no_content()


class RequestHandler(_SignUp):
    """POST /api/v1/users/registrations/request: ask to join (the request, as JSON)."""

    @public
    def post(self) -> None:
        self.closed(approval_wanted=True)
        applicant = self.applicant(REQUEST)
        try:
            registration = registrations.request(
                self.shoal, applicant, limiter=self.limiter, address=self.client_ip()
            )
        except (RegistrationError, auth.AuthError) as err:
            raise refused(err) from None
        self.send(registrations.registration_json(registration))


class _Moderation(APIHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished and not self.user.is_moderator:
            raise Problem(403, "User not allowed to manage registrations.")

    def target(self, registration_id: str) -> UserRegistration:
        registration = registrations.find(int(registration_id))
        if registration is None:
            raise Problem(404, "Registration not found")
        return registration


class ListHandler(_Moderation):
    """GET /api/v1/users/registrations: moderators (start, count, sort, search)."""

    def get(self) -> None:
        start, count, sort = self.paging(registrations.SORTS, "-createdAt")
        total, rows = registrations.page(start, count, sort, self.get_argument("search", None))
        self.send({"total": total, "data": [registrations.registration_json(r) for r in rows]})


class DecisionHandler(_Moderation):
    """POST /api/v1/users/registrations/{id}/accept and /reject (204)."""

    def post(self, registration_id: str, decision: str) -> None:
        registration = self.target(registration_id)
        response = self.body_fields(DECISION).get("moderationResponse")
        try:
            if decision == "accept":
                registrations.accept(self.shoal, registration, response)
            else:
                registrations.reject(registration, response)
        except RegistrationError as err:
            raise refused(err) from None
        self.no_content()


class RegistrationHandler(_Moderation):
    """DELETE /api/v1/users/registrations/{id} (204)."""

    def delete(self, registration_id: str) -> None:
        registrations.delete(self.target(registration_id))
        self.no_content()


ROUTES = [
    (r"/api/v1/users/register", RegisterHandler),
    (r"/api/v1/users/registrations/request", RequestHandler),
    (r"/api/v1/users/registrations", ListHandler),
    (r"/api/v1/users/registrations/(?P<registration_id>\d{1,9})", RegistrationHandler),
    (
        r"/api/v1/users/registrations/(?P<registration_id>\d{1,9})/(?P<decision>accept|reject)",
        DecisionHandler,
    ),
]
