"""Settings come from environment variables, with clear errors."""

from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError


def test_defaults_suit_a_laptop(tmp_path):
    s = Settings.from_env({"SHOAL_DATA": str(tmp_path)})
    assert s.port == 9000 and s.host == "127.0.0.1:9000"
    assert s.base_url == "http://127.0.0.1:9000"  # loopback: plain http
    assert s.database_url == f"sqlite:///{tmp_path / 'shoal.db'}"
    assert s.ladder == (1080, 720, 480, 360, 240)
    # the secret is generated once and kept
    assert s.secret == Settings.from_env({"SHOAL_DATA": str(tmp_path)}).secret
    assert (tmp_path / "secret").stat().st_mode & 0o777 == 0o600


def test_public_hosts_default_to_https(tmp_path):
    s = Settings.from_env({"SHOAL_DATA": str(tmp_path), "SHOAL_HOST": "video.example.org"})
    assert s.base_url == "https://video.example.org" and s.ws_scheme == "wss"
    plain = Settings.from_env(
        {"SHOAL_DATA": str(tmp_path), "SHOAL_HOST": "video.example.org", "SHOAL_HTTPS": "0"}
    )
    assert plain.base_url == "http://video.example.org"


def test_values_are_parsed(tmp_path):
    s = Settings.from_env(
        {
            "SHOAL_DATA": str(tmp_path),
            "SHOAL_LADDER": "360, 720,360",
            "SHOAL_MAX_UPLOAD_SIZE": "2G",
            "SHOAL_SECRET": "s3cret",
            "DATABASE_URL": "postgresql://u@db:5432/shoal",
            "SHOAL_REGISTRATION": "0",
            "SHOAL_FEDERATION_THREADS": "3",
            "SHOAL_ACCEL_REDIRECT": "/internal-media/",
        }
    )
    assert s.ladder == (720, 360)
    assert s.federation_threads == 3
    assert s.max_upload_size == 2 * 1024**3
    assert s.secret == "s3cret" and not s.registration_open
    assert s.database_url.startswith("postgresql://")
    assert s.accel_redirect == "/internal-media/"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOAL_PORT", "http", "SHOAL_PORT must be a whole number"),
        ("SHOAL_LADDER", "720,big", "SHOAL_LADDER is comma-separated heights"),
        ("SHOAL_LADDER", "5", "between 16 and 4320"),
        ("SHOAL_MAX_UPLOAD_SIZE", "lots", "SHOAL_MAX_UPLOAD_SIZE must be a size"),
        ("SHOAL_HTTPS", "maybe", "SHOAL_HTTPS must be 1 or 0"),
        ("SHOAL_HOST", "https://x.org/", "SHOAL_HOST is a host[:port]"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL must start with"),
        ("SHOAL_FEDERATION_THREADS", "-1", "SHOAL_FEDERATION_THREADS must be at least 0"),
        ("SHOAL_ACCEL_REDIRECT", "/internal", "SHOAL_ACCEL_REDIRECT is a path that starts and"),
    ],
)
def test_bad_values_are_named_in_the_error(tmp_path, name, value, message):
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Settings.from_env({"SHOAL_DATA": str(tmp_path), name: value})
