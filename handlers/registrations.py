"""Sign-up pages: /signup (open, by approval or closed) and /admin/registrations.

Moderators accept or reject requests to join there; administrators also choose
the mode and the hourly limit per address. Plain forms answered with 303, so
everything works without JavaScript.
"""

from __future__ import annotations

from app import auth, registrations
from app.registrations import Applicant, RegistrationError
from handlers.base import PageHandler, Problem, public

_FIELDS = ("username", "email", "display_name", "registration_reason")
_STATES = {"pending": 1, "rejected": 2, "accepted": 3}


class SignupHandler(PageHandler):
    """The sign-up form; in approval mode it asks for a reason and stores a request."""

    def _render(self, errors: dict, values: dict, status: int = 200) -> None:
        current = registrations.policy(self.shoal)
        self.set_status(status if current.allowed else 403)
        self.render_page(
            "register.mako",
            closed=not current.allowed,
            approval=current.requires_approval,
            rules=registrations.rules(self.shoal),
            sent=self.get_argument("sent", "") == "1",
            reason_max=registrations.REASON_MAX,
            errors=errors,
            values=values,
        )

    @public
    def get(self) -> None:
        self._render({}, {})

    @public
    def post(self) -> None:
        current = registrations.policy(self.shoal)
        if not current.allowed:
            self._render({}, {})
            return
        values = {k: self.get_body_argument(k, "") for k in _FIELDS}
        applicant = Applicant(
            username=values["username"],
            password=self.get_body_argument("password", ""),
            email=values["email"] or None,
            display_name=values["display_name"] or None,
            reason=values["registration_reason"],
        )
        options = {
            "limiter": self.application.settings["signup_limiter"],
            "address": self.client_ip(),
            "agreed": self.get_body_argument("rules", "") == "on",
        }
        try:
            if current.requires_approval:
                registrations.request(self.shoal, applicant, **options)
            else:
                user = registrations.sign_up(self.shoal, applicant, **options)
        except (RegistrationError, auth.AuthError) as err:
            status = getattr(err, "status", 400)
            status = status if status in (403, 429) else 400  # a form to correct: 400
            if status == 429:
                self.set_header("Retry-After", "3600")
            self._render({err.field or "form": str(err)}, values, status)
            return
        if current.requires_approval:
            self.redirect_see_other("/signup?sent=1")
            return
        self.start_session(user)
        self.redirect_see_other("/")


class ModeratorMixin(PageHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished and not self.user.is_moderator:
            raise Problem(403, "Only moderators and administrators may see this page.")


class RegistrationsPageHandler(ModeratorMixin):
    """Requests to join (pending first) and, for administrators, the sign-up policy."""

    def get(self) -> None:
        self._render(errors={}, notice=None)

    def _render(self, errors: dict, notice: str | None, values: dict | None = None) -> None:
        state = self.get_argument("state", "pending")
        _, rows = registrations.page(0, 100, "-createdAt")
        if state in _STATES:
            rows = [r for r in rows if r.state == _STATES[state]]
        self.render_page(
            "admin_registrations.mako",
            policy=registrations.policy(self.shoal),
            modes=registrations.MODES,
            rows=rows,
            state=state,
            pending=registrations.pending_count(),
            errors=errors,
            notice=notice,
            values=values or {},
            response_max=registrations.RESPONSE_MAX,
        )

    def post(self) -> None:
        """The administrator's policy: mode and hourly limit."""
        if not self.user.is_admin:
            raise Problem(403, "Only administrators choose who may sign up.")
        values = {
            "mode": self.get_body_argument("mode", ""),
            "hourly_limit": self.get_body_argument("hourly_limit", ""),
        }
        try:
            registrations.update_policy(values["mode"], values["hourly_limit"])
        except RegistrationError as err:
            self.set_status(400)
            self._render(errors={err.field or "mode": str(err)}, notice=None, values=values)
            return
        self.redirect_see_other("/admin/registrations")


class DecisionPageHandler(RegistrationsPageHandler):
    """Accept, reject or delete one request (a form POST answered with 303)."""

    def get(self, registration_id: str, decision: str) -> None:
        self.redirect_see_other("/admin/registrations")

    def post(self, registration_id: str, decision: str) -> None:  # type: ignore[override]
        registration = registrations.find(int(registration_id))
        if registration is None:
            raise Problem(404, "That request to join does not exist (any more).")
        response = self.get_body_argument("moderation_response", "")
        try:
            if decision == "accept":
                registrations.accept(self.shoal, registration, response)
            elif decision == "reject":
                registrations.reject(registration, response)
            else:
                registrations.delete(registration)
        except RegistrationError as err:
            self.set_status(err.status)
            self._render(errors={"form": f"{registration.username}: {err}"}, notice=None)
            return
        self.redirect_see_other("/admin/registrations")


ROUTES = [
    (r"/signup", SignupHandler),
    (r"/admin/registrations", RegistrationsPageHandler),
    (
        r"/admin/registrations/(?P<registration_id>\d{1,9})/(?P<decision>accept|reject|delete)",
        DecisionPageHandler,
    ),
]
