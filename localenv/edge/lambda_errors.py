"""Lambda's API errors as the edge answers them: REST-JSON, the code in ``x-amzn-ErrorType``.

Lambda's error body is ``{"Type": "User", "message": ...}`` (throttles add
``Reason``); botocore reads the code from the header and the message from the
body. Codes and statuses: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors
"""

from __future__ import annotations

import json
import uuid

from localenv.edge.errors import EdgeResponse


class LambdaApiError(Exception):
    """A refusal of a Lambda API call, answered with the status and code AWS uses."""

    def __init__(self, status: int, code: str, message: str, **fields: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields

    def response(self) -> EdgeResponse:
        kind = "Service" if self.status >= 500 else "User"
        body = {"Type": kind, "message": self.message, **self.fields}
        headers = (
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
            ("x-amzn-ErrorType", self.code),
        )
        return EdgeResponse(self.status, headers, json.dumps(body).encode())


def not_found(arn: str, why: str = "") -> LambdaApiError:
    message = f"Function not found: {arn}" + (f" ({why})" if why else "")
    return LambdaApiError(404, "ResourceNotFoundException", message)


def invalid_value(message: str) -> LambdaApiError:
    return LambdaApiError(400, "InvalidParameterValueException", message)


def validation(value: str, member: str, constraint: str) -> LambdaApiError:
    """AWS's request validation message, as Lambda words it."""
    return LambdaApiError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
        f"constraint: {constraint}",
    )


def too_large(limit: int) -> LambdaApiError:
    return LambdaApiError(
        413,
        "RequestTooLargeException",
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
    )


def not_json(detail: str) -> LambdaApiError:
    return LambdaApiError(
        400,
        "InvalidRequestContentException",
        f"Could not parse request body into json: Could not parse payload into json: {detail}",
    )


def throttled(reserved: bool) -> LambdaApiError:
    # ReservedFunctionConcurrentInvocationLimitExceeded when the function's reserved
    # concurrency is used up; ConcurrentInvocationLimitExceeded for the shared pool.
    # https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
    reason = (
        "ReservedFunctionConcurrentInvocationLimitExceeded"
        if reserved
        else "ConcurrentInvocationLimitExceeded"
    )
    return LambdaApiError(429, "TooManyRequestsException", "Rate Exceeded.", Reason=reason)


def not_running(what: str) -> LambdaApiError:
    return LambdaApiError(500, "ServiceException", f"localenv: {what}")
