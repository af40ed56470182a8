"""Sign in, sign out, settings, and the public account page (sign-up: handlers/registrations.py)."""

from __future__ import annotations

from urllib.parse import urlparse

from app import auth, channels, feed_tokens, p2p, registrations, videos
from app.federation import actors
from app.ratelimit import RateLimiter
from handlers.base import PageHandler, Problem, public
from handlers.videos import render_list
from models.federation import ActorType


def safe_next(url: str | None) -> str:
    """Only same-site paths: never redirect a visitor to another site after sign-in."""
    if not url:
        return "/"
    parsed = urlparse(url)
    if parsed.scheme or parsed.netloc or not url.startswith("/") or url.startswith("//"):
        return "/"
    return url


class LoginHandler(PageHandler):
    @public
    def get(self) -> None:
        self.render_page(
            "login.mako", error=None, username="", next=safe_next(self.get_argument("next", None))
        )

    @public
    def post(self) -> None:
        username = self.get_body_argument("username", "").strip()
        password = self.get_body_argument("password", "")
        target = safe_next(self.get_body_argument("next", None))
        limiter: RateLimiter = self.application.settings["login_limiter"]
        if not limiter.hit(f"{self.client_ip()}:{username.lower()}"):
            self.set_status(429)
            self.set_header("Retry-After", "60")
            self.render_page(
                "login.mako",
                error="Too many sign-in attempts. Wait a minute and try again.",
                username=username,
                next=target,
            )
            return
        try:
            user = auth.authenticate(username, password)
        except auth.AuthError as err:
            # no email is sent: an applicant learns here what became of their request
            refusal = registrations.sign_in_refusal(username, password)
            self.set_status(403 if refusal else 400)
            self.render_page(
                "login.mako", error=refusal or str(err), username=username, next=target
            )
            return
        self.start_session(user)
        self.redirect_see_other(target)


class LogoutHandler(PageHandler):
    def post(self) -> None:
        self.end_session()
        self.redirect_see_other("/")


class AccountPageHandler(PageHandler):
    read_cached = True

    @public
    def get(self, name: str) -> None:
        if self.wants_activity_json():
            actor = actors.find_local(name, (ActorType.PERSON, ActorType.APPLICATION))
            if actor is None:
                raise Problem(404, "Actor not found")
            self.send_activity(actors.actor_document(self.shoal, actor))
            return
        account = channels.find_account(name, self.shoal.host)
        if account is None:
            raise Problem(404, "No account by that name here.")
        query = videos.listed_query(account=account, viewer=self.user)
        render_list(
            self,
            "account.mako",
            query,
            f"/a/{account.name}",
            account=account,
            channels=list(account.channels),
        )


class SettingsHandler(PageHandler):
    """A user's own settings: display name and description, email, P2P, password."""

    def get(self) -> None:
        self._render(notice=None, errors={})

    def _render(self, notice: str | None, errors: dict) -> None:
        account = auth.account_of(self.user)
        feed = (
            f"{self.shoal.base_url}/feeds/subscriptions.xml?accountId={account.id}"
            f"&token={feed_tokens.token_for(self.user)}"
        )
        self.render_page(
            "settings.mako",
            account=account,
            notice=notice,
            errors=errors,
            feed_url=feed,
            quota=videos.quota_summary(self.user),
        )

    def post(self) -> None:
        what = self.get_body_argument("form", "profile")
        try:
            if what == "p2p":
                p2p.set_user_enabled(self.user, self.get_body_argument("p2p_enabled", "") == "on")
                notice = "Saved."
            elif what == "feed-token":
                feed_tokens.reset(self.user)
                notice = "Your private feed has a new address; the old one stopped working."
            elif what == "password":
                current = self.get_body_argument("current", "")
                if not auth.verify_password(current, self.user.password_hash):
                    raise auth.AuthError("The current password is wrong.", "current")
                auth.set_password(self.user, self.get_body_argument("password", ""))
                self.user = auth.User.get_by_id(self.user.id)
                self.start_session(self.user)  # this browser stays signed in; others end
                notice = "Password changed. Other sessions were signed out."
            else:
                auth.update_profile(
                    self.user,
                    display_name=self.get_body_argument("display_name", ""),
                    description=self.get_body_argument("description", ""),
                    email=self.get_body_argument("email", ""),
                )
                notice = "Saved."
        except auth.AuthError as err:
            self.set_status(400)
            self._render(notice=None, errors={err.field or "form": str(err)})
            return
        self._render(notice=notice, errors={})


ROUTES = [
    (r"/login", LoginHandler),
    (r"/logout", LogoutHandler),
    (r"/settings", SettingsHandler),
    (r"/a/(?P<name>[A-Za-z0-9._@:-]+)", AccountPageHandler),
    (r"/accounts/(?P<name>[A-Za-z0-9._@:-]+)", AccountPageHandler),
]
