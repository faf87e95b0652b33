"""Configuration from the environment: defaults, bounds, and clear errors."""

from __future__ import annotations

import pytest

from handlers import settings
from handlers.records import MAX_LINE_BYTES_CAP
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


def test_limits_accept_each_bound_and_refuse_one_past_it() -> None:
    at_low = settings.limits({"MAX_UPLOAD_BYTES": "1", "MAX_LINE_BYTES": "1"})
    assert (at_low.max_upload_bytes, at_low.max_line_bytes) == (1, 1)
    at_high = settings.limits(
        {
            "MAX_UPLOAD_BYTES": str(settings.MAX_UPLOAD_CAP),
            "MAX_LINE_BYTES": str(MAX_LINE_BYTES_CAP),
        }
    )
    assert at_high.max_upload_bytes == settings.MAX_UPLOAD_CAP
    assert at_high.max_line_bytes == MAX_LINE_BYTES_CAP
    for env in (
        {"MAX_LINE_BYTES": "0"},
        {"MAX_UPLOAD_BYTES": str(settings.MAX_UPLOAD_CAP + 1)},
        {"MAX_LINE_BYTES": str(MAX_LINE_BYTES_CAP + 1)},
    ):
        with pytest.raises(ConfigError, match=next(iter(env))):
            settings.limits(env)


def test_an_empty_variable_means_the_default() -> None:
    limits = settings.limits({"MAX_UPLOAD_BYTES": "", "MAX_LINE_BYTES": ""})
    assert limits == settings.limits({})


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("300", 300), ("", 0)])
def test_clock_leeway_is_0_to_300_seconds(raw: str, expected: int) -> None:
    env = {"COGNITO_ISSUER": "https://i/p", "COGNITO_CLIENT_ID": "c", "CLOCK_LEEWAY_SECONDS": raw}
    assert settings.auth_settings(env).leeway_seconds == expected


@pytest.mark.parametrize("raw", ["-1", "301", "1.5"])
def test_clock_leeway_outside_0_to_300_is_a_config_error(raw: str) -> None:
    env = {"COGNITO_ISSUER": "https://i/p", "COGNITO_CLIENT_ID": "c", "CLOCK_LEEWAY_SECONDS": raw}
    with pytest.raises(ConfigError, match="CLOCK_LEEWAY_SECONDS"):
        settings.auth_settings(env)


def test_the_default_jwks_url_drops_the_issuers_trailing_slashes() -> None:
    config = settings.auth_settings({"COGNITO_ISSUER": "https://i/p//", "COGNITO_CLIENT_ID": "c"})
    assert config.jwks_url == "https://i/p/.well-known/jwks.json"
    assert config.issuer == "https://i/p//"  # the issuer itself is compared as given
    assert config.client_id == "c"


def test_empty_optional_auth_variables_mean_their_defaults() -> None:
    env = {"COGNITO_ISSUER": "https://i/p", "COGNITO_CLIENT_ID": "c"}
    config = settings.auth_settings({**env, "JWKS_URL": "", "REQUIRED_GROUP": ""})
    assert config == settings.auth_settings(env)
    assert config.required_group is None


@pytest.mark.parametrize("missing", ["COGNITO_ISSUER", "COGNITO_CLIENT_ID"])
def test_auth_settings_without_issuer_or_client_are_config_errors(missing: str) -> None:
    env = {"COGNITO_ISSUER": "https://i/p", "COGNITO_CLIENT_ID": "c", missing: ""}
    with pytest.raises(ConfigError, match=missing):
        settings.auth_settings(env)


def test_required_returns_the_value() -> None:
    assert settings.required({"TABLE_NAME": "t"}, "TABLE_NAME") == "t"


def test_the_default_jwks_url_keeps_a_pool_id_that_ends_in_x() -> None:
    # Only slashes are stripped: a user pool id is a region, "_" and letters and digits.
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdX/"
    config = settings.auth_settings({"COGNITO_ISSUER": issuer, "COGNITO_CLIENT_ID": "c"})
    assert config.jwks_url == issuer + ".well-known/jwks.json"
