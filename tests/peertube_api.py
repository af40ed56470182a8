"""A client of PeerTube's REST API, signed in as root: OAuth tokens and users.

Shoal speaks the same API, so one client serves a real PeerTube (tests/interop)
and both servers of bench/reads.py.
"""

from __future__ import annotations

import httpx


class APIError(RuntimeError):
    """The server refused a call: what it said."""


class RestClient:
    """A server at `url` through its REST API; `root` is root's auth header."""

    def __init__(self, url: str, root_password: str, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.host = httpx.URL(self.url).netloc.decode()
        self.http = httpx.Client(base_url=self.url, timeout=timeout)
        self.user_id: int | None = None  # the last user create_user made
        self.root = self.token("root", root_password)

    def token(self, username: str, password: str) -> dict[str, str]:
        """An auth header for `username`, by OAuth's password grant with the local client."""
        oauth = self.http.get("/api/v1/oauth-clients/local").json()
        response = self.http.post(
            "/api/v1/users/token",
            data={**oauth, "grant_type": "password", "response_type": "code",
                  "username": username, "password": password},
        )  # fmt: skip
        if response.status_code != 200:
            raise APIError(f"{self.host}: cannot sign in as {username}: {response.text}")
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    def create_user(self, name: str, password: str) -> dict[str, str]:
        """A user `name` with its channel `{name}_channel`, no quota; its auth header."""
        response = self.http.post(
            "/api/v1/users",
            headers=self.root,
            json={"username": name, "password": password, "email": f"{name}@example.org",
                  "videoQuota": -1, "videoQuotaDaily": -1, "role": 2,
                  "channelName": f"{name}_channel"},
        )  # fmt: skip
        if response.status_code != 200:
            raise APIError(f"{self.host}: cannot create user {name}: {response.text}")
        self.user_id = response.json()["user"]["id"]
        return self.token(name, password)
