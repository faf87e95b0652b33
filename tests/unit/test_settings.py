"""Configuration from the environment: defaults, bounds, and clear errors."""

from __future__ import annotations

import pytest

from handlers import settings
from handlers.settings import ConfigError


def test_limit_defaults_are_4_mib_and_256_kib() -> None:
    limits = settings.limits({})
    assert (limits.max_upload_bytes, limits.max_line_bytes) == (4 * 1024 * 1024, 256 * 1024)


def test_limits_from_the_environment() -> None:
    limits = settings.limits({"MAX_UPLOAD_BYTES": "1000", "MAX_LINE_BYTES": "10"})
    assert (limits.max_upload_bytes, limits.max_line_bytes) == (1000, 10)


@pytest.mark.parametrize(
    "env",
    [
        {"MAX_UPLOAD_BYTES": "lots"},
        {"MAX_UPLOAD_BYTES": "0"},
        # base64 of the body must fit Lambda's 6 MB event limit
        {"MAX_UPLOAD_BYTES": str(6 * 1024 * 1024)},
        # a line must fit one DynamoDB item
        {"MAX_LINE_BYTES": str(400 * 1024)},
    ],
)
def test_out_of_range_limits_are_config_errors(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        settings.limits(env)


def test_upload_cap_leaves_room_for_base64_in_a_6_mb_event() -> None:
    assert settings.MAX_UPLOAD_CAP * 4 / 3 < 6 * 1024 * 1024


def test_auth_settings_default_jwks_url_is_the_issuers() -> None:
    config = settings.auth_settings({"COGNITO_ISSUER": "https://i/p", "COGNITO_CLIENT_ID": "c"})
    assert config.jwks_url == "https://i/p/.well-known/jwks.json"
    assert (config.required_group, config.leeway_seconds) == (None, 0)


def test_auth_settings_overrides() -> None:
    config = settings.auth_settings(
        {
            "COGNITO_ISSUER": "https://i/p",
            "COGNITO_CLIENT_ID": "c",
            "JWKS_URL": "http://x/j",
            "REQUIRED_GROUP": "g",
            "CLOCK_LEEWAY_SECONDS": "5",
        }
    )
    assert (config.jwks_url, config.required_group, config.leeway_seconds) == ("http://x/j", "g", 5)


def test_missing_table_name_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="TABLE_NAME"):
        settings.required({}, "TABLE_NAME")
