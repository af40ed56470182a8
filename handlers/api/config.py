"""GET /api/v1/config and the OAuth endpoints (client, token, revoke)."""

from __future__ import annotations

from app import about, auth, p2p, registrations
from app.constants import VIDEO_EXTENSIONS
from app.ratelimit import RateLimiter
from handlers.base import APIHandler, Problem, public

SERVER_VERSION = "6.3.0"  # the PeerTube API level Shoal speaks


class ConfigHandler(APIHandler):
    @public
    def get(self) -> None:
        s = self.shoal
        sharing = p2p.get().enabled
        signup = registrations.policy(s)
        self.send(
            {
                "instance": {
                    "name": s.instance_name,
                    "shortDescription": "A Shoal server: federated video, shared peer to peer.",
                    "isNSFW": False,
                    "defaultNSFWPolicy": "blur",
                    "defaultClientRoute": "/videos/recently-added",
                    "customizations": {"javascript": "", "css": ""},
                    "avatars": [],
                    "banners": [],
                },
                "serverVersion": SERVER_VERSION,
                "serverCommit": "shoal",
                "signup": {
                    "allowed": signup.allowed,
                    "allowedForCurrentIP": signup.allowed,
                    "minimumAge": 16,
                    "requiresApproval": signup.requires_approval,
                    "requiresEmailVerification": False,
                },
                "client": {
                    "videos": {
                        "miniature": {
                            "displayAuthorAvatar": False,
                            "preferAuthorDisplayName": False,
                        },
                        "resumableUpload": {"maxChunkSize": 0},
                    },
                    "menu": {"login": {"redirectOnSingleExternalAuth": False}},
                },
                "defaults": {
                    "publish": {
                        "downloadEnabled": True,
                        "commentsPolicy": 1,
                        "commentsEnabled": True,
                        "privacy": 1,
                        "licence": None,
                    },
                    "p2p": {"webapp": {"enabled": sharing}, "embed": {"enabled": sharing}},
                },
                "transcoding": {
                    "remoteRunners": {"enabled": False},
                    "hls": {"enabled": True},
                    "web_videos": {"enabled": False},
                    "enabledResolutions": sorted(s.ladder),
                    "profile": "default",
                    "availableProfiles": ["default"],
                },
                "live": {"enabled": False},
                "import": {"videos": {"http": {"enabled": False}, "torrent": {"enabled": False}}},
                "video": {
                    "image": {
                        "extensions": [".png", ".jpg", ".jpeg", ".webp"],
                        "size": {"max": 409600},
                    },
                    "file": {"extensions": list(VIDEO_EXTENSIONS)},
                },
                "user": {
                    "videoQuota": s.default_video_quota,
                    "videoQuotaDaily": -1,
                },
                "videoChannels": {"maxPerUser": 20},
                "tracker": {"enabled": sharing},
                "search": {
                    "remoteUri": {"users": True, "anonymous": False},
                    "searchIndex": {"enabled": False},
                },
                "email": {"enabled": False},
                "contactForm": {"enabled": False},
                "plugin": {
                    "registered": [],
                    "registeredExternalAuths": [],
                    "registeredIdAndPassAuths": [],
                },
                "theme": {"registered": [], "default": "default"},
                "uploadMaxSize": s.max_upload_size,
            }
        )


class OAuthClientHandler(APIHandler):
    @public
    def get(self) -> None:
        client = auth.local_client()
        self.send({"client_id": client.client_id, "client_secret": client.client_secret})


class TokenHandler(APIHandler):
    """POST /api/v1/users/token: password and refresh_token grants, form-encoded."""

    def check_xsrf_cookie(self) -> None:
        pass  # credentials are in the body; no ambient authority to forge

    @public
    def post(self) -> None:
        self.set_header("Cache-Control", "no-store")
        args = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        if self.request.headers.get("Content-Type", "").startswith("application/json"):
            args = {k: str(v) for k, v in self.json_body().items()}
        grant = args.get("grant_type", "")
        try:
            client = auth.check_client(args.get("client_id", ""), args.get("client_secret", ""))
        except auth.AuthError as err:
            raise Problem(400, str(err), code="invalid_client") from None
        limiter: RateLimiter = self.application.settings["login_limiter"]
        if grant == "password":
            username = args.get("username", "")
            if not limiter.hit(f"{self.client_ip()}:{username.lower()}"):
                raise Problem(
                    429,
                    "Too many sign-in attempts. Try again in a minute.",
                    headers={"Retry-After": "60"},
                )
            try:
                user = auth.authenticate(username, args.get("password", ""))
            except auth.AuthError:
                raise Problem(
                    400, "Invalid grant: user credentials are invalid", code="invalid_grant"
                ) from None
            issued = auth.issue_token(user, client)
        elif grant == "refresh_token":
            try:
                issued = auth.refresh_token(client, args.get("refresh_token", ""))
            except auth.AuthError as err:
                raise Problem(400, str(err), code="invalid_grant") from None
        else:
            raise Problem(
                400, "Unsupported grant type: grant_type is invalid", code="unsupported_grant_type"
            )
        self.send(
            {
                "token_type": "Bearer",
                "access_token": issued.access_token,
                "refresh_token": issued.refresh_token,
                "expires_in": issued.expires_in,
                "refresh_token_expires_in": issued.refresh_token_expires_in,
            }
        )


class RevokeTokenHandler(APIHandler):
    """POST /api/v1/users/revoke-token: sign out the Bearer token (and its refresh token).

    PeerTube answers 200 `{"success": true}`; clients such as pypeertube read `success`.
    A browser session has no token to revoke: `success` is false.
    """

    def post(self) -> None:
        header = self.request.headers.get("Authorization", "")
        revoked = self.token_auth and auth.revoke_token(header[7:].strip())
        self.send({"success": bool(revoked)})


class AboutHandler(APIHandler):
    """GET /api/v1/config/about, PeerTube's shape."""

    @public
    def get(self) -> None:
        values = about.get(self.shoal)
        self.send(
            {
                "instance": {
                    "name": values["name"],
                    "shortDescription": values["shortDescription"],
                    "description": values["description"],
                    "terms": values["terms"],
                    "codeOfConduct": values["codeOfConduct"],
                    "hardwareInformation": "",
                    "creationReason": "",
                    "moderationInformation": values["moderationInformation"],
                    "administrator": values["administrator"],
                    "maintenanceLifetime": "",
                    "businessModel": "",
                    "languages": [],
                    "categories": [],
                    "banners": [],
                    "avatars": [],
                    "contact": values["contact"],
                }
            }
        )


ROUTES = [
    (r"/api/v1/config", ConfigHandler),
    (r"/api/v1/config/about", AboutHandler),
    (r"/api/v1/oauth-clients/local", OAuthClientHandler),
    (r"/api/v1/users/token", TokenHandler),
    (r"/api/v1/users/revoke-token", RevokeTokenHandler),
]
