"""Outgoing fetches never reach private or loopback addresses unless allowed."""

from __future__ import annotations

import pytest

from app.federation.fetch import FetchError, check_url
from app.settings import Settings


@pytest.fixture
def strict(tmp_path) -> Settings:
    return Settings.from_env({"SHOAL_DATA": str(tmp_path), "SHOAL_SECRET": "x"})


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/inbox",
        "https://localhost/inbox",
        "https://[::1]/inbox",
        "https://10.1.2.3/users/x",
        "https://192.168.0.10/x",
        "https://172.16.5.5/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://0.0.0.0/x",
        "http://example.org/inbox",  # plain http only for local development
        "file:///etc/passwd",
        "gopher://example.org/",
        "https:///nohost",
    ],
)
def test_private_loopback_and_non_https_targets_are_refused(strict, url):
    with pytest.raises(FetchError):
        check_url(strict, url)


def test_loopback_is_allowed_only_when_configured(strict):
    relaxed = strict.with_(allow_loopback=True)
    check_url(relaxed, "http://127.0.0.1:9000/inbox")
    with pytest.raises(FetchError):
        check_url(relaxed, "file:///etc/passwd")


def test_an_unresolvable_host_is_an_error_not_a_crash(strict):
    with pytest.raises(FetchError, match="cannot resolve"):
        check_url(strict, "https://no-such-host.invalid/inbox")
