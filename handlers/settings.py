"""Configuration from environment variables, read from a mapping passed in.

Every variable a handler reads is named here (the template tests check that the
template sets each required one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.text_rules import Limits

# API Gateway hands Lambda at most 6 MB of event, and a text/plain body arrives
# base64-encoded (4/3 larger), so the upload limit must stay below ~4.4 MiB.
LAMBDA_EVENT_LIMIT = 6 * 1024 * 1024
MAX_UPLOAD_CAP = LAMBDA_EVENT_LIMIT * 3 // 4 - 64 * 1024

TABLE_NAME = "TABLE_NAME"
MAX_UPLOAD_BYTES = "MAX_UPLOAD_BYTES"
MAX_LINE_BYTES = "MAX_LINE_BYTES"
COGNITO_ISSUER = "COGNITO_ISSUER"
COGNITO_CLIENT_ID = "COGNITO_CLIENT_ID"
JWKS_URL = "JWKS_URL"
REQUIRED_GROUP = "REQUIRED_GROUP"
CLOCK_LEEWAY_SECONDS = "CLOCK_LEEWAY_SECONDS"

REQUIRED = {
    "processor": (TABLE_NAME,),
    "reader": (TABLE_NAME,),
    "authorizer": (COGNITO_ISSUER, COGNITO_CLIENT_ID),
}
OPTIONAL = {
    "processor": (MAX_UPLOAD_BYTES, MAX_LINE_BYTES),
    "reader": (),
    "authorizer": (JWKS_URL, REQUIRED_GROUP, CLOCK_LEEWAY_SECONDS),
}


class ConfigError(Exception):
    """A required variable is missing or a value is out of range."""


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not an integer") from exc
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is outside {low}..{high}")
    return value


def limits(env: Mapping[str, str]) -> Limits:
    # The upload rules are imported here, by the processor's first call, not at import:
    # the authorizer reads its settings from this module too and needs none of them
    # (~3 ms of every authorizer cold start, measured).
    from handlers.records import MAX_LINE_BYTES_CAP  # noqa: PLC0415
    from handlers.text_rules import Limits  # noqa: PLC0415

    default = Limits()
    return Limits(
        max_upload_bytes=integer(
            env, MAX_UPLOAD_BYTES, default.max_upload_bytes, 1, MAX_UPLOAD_CAP
        ),
        max_line_bytes=integer(env, MAX_LINE_BYTES, default.max_line_bytes, 1, MAX_LINE_BYTES_CAP),
    )


@dataclass(frozen=True)
class AuthSettings:
    issuer: str
    client_id: str
    jwks_url: str
    required_group: str | None
    leeway_seconds: int


def auth_settings(env: Mapping[str, str]) -> AuthSettings:
    issuer = required(env, COGNITO_ISSUER)
    return AuthSettings(
        issuer=issuer,
        client_id=required(env, COGNITO_CLIENT_ID),
        jwks_url=env.get(JWKS_URL) or issuer.rstrip("/") + "/.well-known/jwks.json",
        required_group=env.get(REQUIRED_GROUP) or None,
        leeway_seconds=integer(env, CLOCK_LEEWAY_SECONDS, 0, 0, 300),
    )
