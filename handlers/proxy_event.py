"""Reading the API Gateway REST (v1) proxy event: headers, query, body, caller.

Pure functions over the event dict. API Gateway passes header names with the
client's case, so every header lookup here is case-insensitive.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from handlers.problems import Rejection, RejectionKind

ProxyEvent = Mapping[str, Any]


class MissingCallerError(Exception):
    """The event carries no authorizer identity: the API is deployed without its authorizer."""


def header(event: ProxyEvent, name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return str(value) if value is not None else None
    return None


def query_param(event: ProxyEvent, name: str) -> str | None:
    value = (event.get("queryStringParameters") or {}).get(name)
    return str(value) if value is not None else None


def path_param(event: ProxyEvent, name: str) -> str | None:
    value = (event.get("pathParameters") or {}).get(name)
    return str(value) if value is not None else None


def request_id(event: ProxyEvent, fallback: str) -> str:
    """The API request id the client sees in ``x-amzn-RequestId``."""
    value = (event.get("requestContext") or {}).get("requestId")
    return str(value) if value else fallback


def caller(event: ProxyEvent) -> str:
    """The uploader: the token's ``sub``, passed on by the authorizer."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    owner = authorizer.get("sub") or authorizer.get("principalId")
    if not isinstance(owner, str) or not owner:
        raise MissingCallerError("requestContext.authorizer carries no sub")
    return owner


def body_bytes(event: ProxyEvent) -> bytes:
    """The raw body: base64-decoded when API Gateway marked it so (binary media types)."""
    body = event.get("body")
    if body is None:
        return b""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise Rejection(RejectionKind.BAD_REQUEST, "The body is not valid base64.") from exc
    return str(body).encode("utf-8", errors="surrogatepass")
