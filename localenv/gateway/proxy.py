"""A Lambda proxy result turned into the HTTP response API Gateway sends (REST, AWS_PROXY).

What AWS recorded (LocalStack's AWS-validated snapshots, repository
localstack/localstack, tests/aws/services/apigateway/):

- no ``statusCode`` is a 200 and ``"201"`` is a 201, but ``{}`` is a 502
  (test_apigateway_lambda.snapshot.json: ``invoke-api-only-headers``,
  ``invoke-api-status-code-str``, ``invoke-api-empty-response``);
- ``headers`` and ``multiValueHeaders`` of one name are merged, the multi
  values first (``invoke-api-multi-headers-overwrite``);
- ``isBase64Encoded`` is decoded only when the request's *first* ``Accept``
  value matches a binary media type, otherwise the base64 text is the body;
  invalid base64 that must be decoded is a 500 (test_apigateway_lambda.py::
  test_aws_proxy_binary_response);
- ``Connection``, ``Content-Length``, ``Date`` and ``Server`` from the function
  come back as ``x-amzn-Remapped-<name>``; ``Transfer-Encoding`` is dropped
  (API Gateway's header remapping for proxy integrations,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-known-issues.html#api-gateway-known-issues-rest-apis).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from localenv.gateway.requests import Response

PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}
REMAPPED_RESPONSE_HEADERS = frozenset({"connection", "content-length", "date", "server"})
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})


class MalformedProxyResponseError(ValueError):
    """The function's answer is not a valid Lambda proxy response (502)."""


class UndecodableBodyError(ValueError):
    """``isBase64Encoded`` with a body that is not base64, when it must be decoded (500)."""


def malformed(why: str) -> MalformedProxyResponseError:
    return MalformedProxyResponseError(f"Malformed Lambda proxy response: {why}")


def proxy_response(payload: bytes, decode_base64: bool = True) -> Response:
    """The HTTP response a Lambda proxy result describes; anything else is malformed.

    ``decode_base64``: whether the request's Accept asked for binary (see module doc).
    """
    try:
        result = json.loads(payload)
    except ValueError as exc:
        raise malformed("not JSON") from exc
    if not isinstance(result, dict) or not result or set(result) - PROXY_RESPONSE_KEYS:
        raise malformed("not a non-empty object with only the proxy keys")
    status = status_code(result.get("statusCode"))
    headers = remapped(header_pairs(result.get("headers"), result.get("multiValueHeaders")))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Response(status, headers, response_body(result, decode_base64))


def status_code(value: Any) -> int:
    if value is None:
        return 200  # invoke-api-only-headers: no statusCode is a 200
    if isinstance(value, str) and value.isdigit():
        value = int(value)  # invoke-api-status-code-str: "201" is a 201
    if not isinstance(value, int) or isinstance(value, bool) or not 100 <= value <= 599:
        raise malformed("statusCode")
    return value


def header_pairs(single: Any, multi: Any) -> list[tuple[str, str]]:
    if single is not None and not isinstance(single, dict):
        raise malformed("headers")
    if multi is not None and not isinstance(multi, dict):
        raise malformed("multiValueHeaders")
    pairs: dict[str, tuple[str, list[str]]] = {}
    for name, values in (multi or {}).items():
        if not isinstance(values, list):
            raise malformed("multiValueHeaders values")
        pairs.setdefault(name.lower(), (name, []))[1].extend(scalar(v) for v in values)
    for name, value in (single or {}).items():
        pairs.setdefault(name.lower(), (name, []))[1].append(scalar(value))
    return [(name, value) for name, values in pairs.values() for value in values]


def remapped(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (f"x-amzn-Remapped-{name}" if name.lower() in REMAPPED_RESPONSE_HEADERS else name, value)
        for name, value in pairs
        if name.lower() not in DROPPED_RESPONSE_HEADERS
    ]


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise malformed("a header value that is not a string, number or boolean")


def response_body(result: dict[str, Any], decode_base64: bool) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise malformed("body is not a string")
    encoded = result.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise malformed("isBase64Encoded")
    if encoded and decode_base64:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UndecodableBodyError("body is not base64") from exc
    return body.encode("utf-8")


def accepts_binary(accept: str | None, binary_media_types: tuple[str, ...]) -> bool:
    """Whether the first Accept value matches a binary media type (test_aws_proxy_binary_response:
    ``*/*`` and ``image/*`` sent by the client match nothing; ``application/*`` configured
    matches ``application/whatever``; a left-hand wildcard like ``*/test`` matches nothing)."""
    if not accept:
        return False
    first = accept.split(",")[0].split(";")[0].strip().lower()
    return any(media_type_matches(first, t.lower()) for t in binary_media_types)


def media_type_matches(accept: str, binary_type: str) -> bool:
    if binary_type in ("*/*", accept):
        return True
    kind, _, sub = binary_type.partition("/")
    return sub == "*" and kind != "*" and accept.startswith(kind + "/")
