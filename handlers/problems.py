"""Every refusal the API gives, as RFC 9457 problem details.

One table of kinds (status, type, title), one exception carrying a kind and a
detail, and one function that turns it into an API Gateway proxy response.
"""

from __future__ import annotations

import enum
import json
from typing import Any

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:dataproc:problem:"


class RejectionKind(enum.Enum):
    """(status, slug, title) of each problem the API can answer."""

    EMPTY_BODY = (400, "empty-body", "Empty body")
    BAD_REQUEST = (400, "bad-request", "Bad request")
    BAD_CURSOR = (400, "bad-cursor", "Invalid pagination cursor")
    BAD_LIMIT = (400, "bad-limit", "Invalid page size")
    NOT_FOUND = (404, "not-found", "Upload not found")
    TOO_LARGE = (413, "too-large", "Upload too large")
    LINE_TOO_LONG = (413, "line-too-long", "Line too long")
    UNSUPPORTED_MEDIA = (415, "unsupported-media-type", "Unsupported media type")
    INVALID_TEXT = (422, "invalid-text", "Invalid text")
    NO_CONTENT = (422, "no-content", "No content")
    STORAGE_THROTTLED = (503, "storage-throttled", "Storage busy")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def type_uri(self) -> str:
        return TYPE_PREFIX + self.value[1]

    @property
    def title(self) -> str:
        return self.value[2]


class Rejection(Exception):  # noqa: N818 - a rejection is an outcome, not a fault
    """A request the API refuses, with the detail the client sees."""

    def __init__(self, kind: RejectionKind, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after


def problem_response(rejection: Rejection, request_id: str) -> dict[str, Any]:
    """The proxy response for a rejection: problem+json with the request id."""
    kind = rejection.kind
    body = {
        "type": kind.type_uri,
        "title": kind.title,
        "status": kind.status,
        "detail": rejection.detail,
        "requestId": request_id,
    }
    headers = {"Content-Type": PROBLEM_CONTENT_TYPE}
    if rejection.retry_after is not None:
        headers["Retry-After"] = str(rejection.retry_after)
    return {
        "statusCode": kind.status,
        "headers": headers,
        "body": json.dumps(body, ensure_ascii=False),
    }


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body, separators=(",", ":"), ensure_ascii=False),
    }
