"""Answers the edge gives itself, in each AWS protocol's own error shape.

A denied call gets the service's own access-denied error so the SDK raises what
it raises on AWS: JSON protocols carry ``__type`` (HTTP 400), query protocols an
``<ErrorResponse>`` document, REST-XML an ``<Error>`` document (HTTP 403),
REST-JSON the ``x-amzn-ErrorType`` header, Smithy RPC v2 a CBOR map.
https://smithy.io/2.0/aws/protocols/index.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from localenv.edge.calls import AwsCall


@dataclass(frozen=True)
class EdgeResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


# (HTTP status, error code) where a service differs from its protocol's default.
# DynamoDB, CloudWatch Logs and KMS answer 400 AccessDeniedException; SNS 403
# AuthorizationError; SQS 403 AccessDenied; S3 403 AccessDenied.
SERVICE_ERRORS = {
    "sns": (403, "AuthorizationError"),
    "sqs": (403, "AccessDenied"),
    "s3": (403, "AccessDenied"),
}
PROTOCOL_ERRORS = {
    "json": (400, "AccessDeniedException"),
    "smithy-rpc-v2-cbor": (400, "AccessDeniedException"),
    "query": (403, "AccessDenied"),
    "ec2": (403, "UnauthorizedOperation"),
    "rest-json": (403, "AccessDeniedException"),
    "rest-xml": (403, "AccessDenied"),
}


def cbor_text(value: str) -> bytes:
    data = value.encode()
    size = len(data)
    if size < 24:
        head = bytes([0x60 | size])
    elif size < 0x100:
        head = bytes([0x78, size])
    else:
        head = bytes([0x79]) + size.to_bytes(2, "big")
    return head + data


def cbor_map(fields: dict[str, str]) -> bytes:
    """A CBOR map of text to text (RFC 8949 major types 3 and 5): all an error needs."""
    body = b"".join(cbor_text(k) + cbor_text(v) for k, v in fields.items())
    return bytes([0xA0 | len(fields)]) + body


@dataclass(frozen=True)
class ErrorParts:
    status: int
    code: str
    message: str
    request_id: str
    service: str


Shape = Callable[[ErrorParts], tuple[tuple[tuple[str, str], ...], bytes]]
JSON_TYPE = ("Content-Type", "application/x-amz-json-1.0")


def json_shape(e: ErrorParts) -> tuple[tuple[tuple[str, str], ...], bytes]:
    if e.service == "sqs":  # SQS's JSON protocol keeps its query error code in a header
        body = {"__type": f"com.amazonaws.sqs#{e.code}", "message": e.message}
        return (JSON_TYPE, ("x-amzn-query-error", f"{e.code};Sender")), json.dumps(body).encode()
    body = {"__type": e.code, "message": e.message, "Message": e.message}
    return (JSON_TYPE,), json.dumps(body).encode()


def cbor_shape(e: ErrorParts) -> tuple[tuple[tuple[str, str], ...], bytes]:
    headers = (("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor"))
    return headers, cbor_map({"__type": e.code, "message": e.message})


def rest_xml_shape(e: ErrorParts) -> tuple[tuple[tuple[str, str], ...], bytes]:
    inner = f"<Code>{e.code}</Code><Message>{escape(e.message)}</Message>"
    body = f"<Error>{inner}<RequestId>{e.request_id}</RequestId></Error>"
    return (("Content-Type", "application/xml"),), body.encode()


def query_shape(e: ErrorParts) -> tuple[tuple[tuple[str, str], ...], bytes]:
    inner = f"<Code>{e.code}</Code><Message>{escape(e.message)}</Message>"
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error>"
        f"<RequestId>{e.request_id}</RequestId></ErrorResponse>"
    )
    return (("Content-Type", "text/xml"),), body.encode()


SHAPES: dict[str, Shape] = {
    "json": json_shape,
    "rest-json": json_shape,
    "smithy-rpc-v2-cbor": cbor_shape,
    "rest-xml": rest_xml_shape,
    "query": query_shape,
    "ec2": query_shape,
}


def access_denied(call: AwsCall, message: str) -> EdgeResponse:
    service = call.signer.service if call.signer else ""
    status, code = SERVICE_ERRORS.get(service) or PROTOCOL_ERRORS.get(
        call.protocol, (403, "AccessDenied")
    )
    parts = ErrorParts(status, code, message, str(uuid.uuid4()), service)
    headers, body = SHAPES.get(call.protocol, query_shape)(parts)
    common = (("x-amzn-RequestId", parts.request_id), ("x-amzn-ErrorType", code))
    return EdgeResponse(status, (*common, *headers), body)
