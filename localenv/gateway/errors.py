"""Every canned response API Gateway answers itself, in one table.

Bodies are byte-exact, spacing included: API Gateway's own errors are compact,
the integration errors have a space after the colon. Real responses capitalise
``Message`` for an explicit deny and answer ``{"message": null}`` for an
authorizer failure (LocalStack's AWS-validated recordings,
tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json).
"""

from __future__ import annotations

import enum
import json
import re
from typing import TYPE_CHECKING

from localenv.gateway.requests import Response

if TYPE_CHECKING:
    from localenv.gateway.api_model import ApiModel


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
    # API Gateway's quotas: header values 10,240 bytes in total, URLs 8,192 characters;
    # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
    # The message is the one clients report; the statuses are HTTP's own for each case
    # (no AWS recording of either: see ARCHITECTURE.md, "Not reproduced").
    HEADERS_TOO_LARGE = (
        "DEFAULT_4XX",
        431,
        '{"message":"HTTP header is larger than 10240 bytes."}',
        "BadRequestException",
    )
    URI_TOO_LONG = (
        "DEFAULT_4XX",
        414,
        '{"message":"Request-URI Too Long"}',
        "BadRequestException",
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


class GatewayFailure(Exception):  # noqa: N818 - carries a canned response, like AWS's
    """``message``: the text of a refusal whose body names the request (an IAM-style
    denial), instead of the error's fixed one."""

    def __init__(
        self,
        error: GatewayError,
        integration_ms: float | None = None,
        reason: str = "",
        message: str | None = None,
    ):
        super().__init__(error.name)
        self.error = error
        self.integration_ms = integration_ms
        self.reason = reason
        self.message = message


# The $context variables a gateway response template may use (see api_model.custom_response).
TEMPLATE_VARIABLE = re.compile(
    r"\$context\.(error\.messageString|error\.message|error\.responseType|requestId)"
)


def error_response(
    model: ApiModel, error: GatewayError, request_id: str, message: str | None = None
) -> Response:
    """The canned response, with the API's GatewayResponse (status, headers, template) for
    its type, else for DEFAULT_4XX/5XX, as API Gateway picks them.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    """
    custom = model.gateway_responses.get(error.response_type)
    if custom is None:
        custom = model.gateway_responses.get(error.default_type)
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)]
    body = error.body if message is None else denial_body(message)
    if custom is None:
        return Response(error.status, headers, body)
    if custom.template is not None:
        body = render(custom.template, error, request_id, message).encode()
    return Response(custom.status or error.status, headers + list(custom.headers.items()), body)


def denial_body(message: str) -> bytes:
    """An IAM-style denial: ``Message`` capitalised, as the explicit deny above."""
    return json.dumps({"Message": message}, separators=(",", ":")).encode()


def render(template: str, error: GatewayError, request_id: str, message: str | None) -> str:
    text = error.message if message is None else message
    values = {
        "error.messageString": json.dumps(text),
        "error.message": text,
        "error.responseType": error.response_type,
        "requestId": request_id,
    }
    return TEMPLATE_VARIABLE.sub(lambda m: values[m.group(1)], template)
