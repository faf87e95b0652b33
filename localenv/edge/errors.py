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


def access_denied(call: AwsCall, message: str) -> EdgeResponse:
    service = call.signer.service if call.signer else ""
    status, code = SERVICE_ERRORS.get(service) or PROTOCOL_ERRORS.get(
        call.protocol, (403, "AccessDenied")
    )
    request_id = str(uuid.uuid4())
    common = (("x-amzn-RequestId", request_id), ("x-amzn-ErrorType", code))
    if call.protocol in ("json", "rest-json") and service != "sqs":
        body = json.dumps({"__type": code, "message": message, "Message": message}).encode()
        return EdgeResponse(status, (*common, ("Content-Type", "application/x-amz-json-1.0")), body)
    if call.protocol == "json":  # SQS's JSON protocol keeps its query error code in a header
        body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
        query_error = ("x-amzn-query-error", f"{code};Sender")
        return EdgeResponse(
            status, (*common, query_error, ("Content-Type", "application/x-amz-json-1.0")), body
        )
    if call.protocol == "smithy-rpc-v2-cbor":
        body = cbor_map({"__type": code, "message": message})
        headers = (
            *common,
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", "application/cbor"),
        )
        return EdgeResponse(status, headers, body)
    return EdgeResponse(
        status, (*common, ("Content-Type", "text/xml")), xml_error(call, code, message, request_id)
    )


def xml_error(call: AwsCall, code: str, message: str, request_id: str) -> bytes:
    inner = f"<Code>{code}</Code><Message>{escape(message)}</Message>"
    if call.protocol == "rest-xml":
        return f"<Error>{inner}<RequestId>{request_id}</RequestId></Error>".encode()
    return (
        f"<ErrorResponse><Error><Type>Sender</Type>{inner}</Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()
