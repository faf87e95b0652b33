"""Every canned response API Gateway answers itself, in one table.

Bodies are byte-exact, spacing included: API Gateway's own errors are compact,
the integration errors have a space after the colon. Real responses capitalise
``Message`` for an explicit deny and answer ``{"message": null}`` for an
authorizer failure (DESIGN.md §5).
"""

from __future__ import annotations

import enum
import json


class GatewayError(enum.Enum):
    """(gateway response type, status, body, x-amzn-ErrorType)."""

    MISSING_AUTHENTICATION_TOKEN = (
        "MISSING_AUTHENTICATION_TOKEN",
        403,
        '{"message":"Missing Authentication Token"}',
        "MissingAuthenticationTokenException",
    )
    UNAUTHORIZED = ("UNAUTHORIZED", 401, '{"message":"Unauthorized"}', "UnauthorizedException")
    EXPLICIT_DENY = (
        "ACCESS_DENIED",
        403,
        '{"Message":"User is not authorized to access this resource with an explicit deny"}',
        "AccessDeniedException",
    )
    IMPLICIT_DENY = (
        "ACCESS_DENIED",
        403,
        '{"message":"User is not authorized to access this resource"}',
        "AccessDeniedException",
    )
    AUTHORIZER_FAILURE = (
        "AUTHORIZER_CONFIGURATION_ERROR",
        500,
        '{"message": null}',
        "AuthorizerConfigurationException",
    )
    THROTTLED = ("THROTTLED", 429, '{"message":"Too Many Requests"}', "TooManyRequestsException")
    REQUEST_TOO_LARGE = (
        "REQUEST_TOO_LARGE",
        413,
        '{"message":"Request Too Long"}',
        "RequestTooLargeException",
    )
    INTEGRATION_FAILURE = (
        "INTEGRATION_FAILURE",
        500,
        '{"message": "Internal server error"}',
        "InternalServerErrorException",
    )
    BAD_INTEGRATION_RESPONSE = (
        "DEFAULT_5XX",
        502,
        '{"message": "Internal server error"}',
        "InternalServerErrorException",
    )
    INTEGRATION_TIMEOUT = (
        "INTEGRATION_TIMEOUT",
        504,
        '{"message": "Endpoint request timed out"}',
        "InternalServerErrorException",
    )

    @property
    def response_type(self) -> str:
        return str(self.value[0])

    @property
    def status(self) -> int:
        return int(self.value[1])

    @property
    def body(self) -> bytes:
        return str(self.value[2]).encode()

    @property
    def message(self) -> str:
        """The text the body carries (``$context.error.message`` of access logs)."""
        return str(json.loads(self.body).get("message") or "")

    @property
    def error_type(self) -> str:
        return str(self.value[3])

    @property
    def default_type(self) -> str:
        return "DEFAULT_4XX" if self.status < 500 else "DEFAULT_5XX"
