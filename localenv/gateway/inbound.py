"""The request as API Gateway hands it on: headers dropped, added and renamed.

From LocalStack's AWS-validated recordings (repository localstack/localstack,
tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json,
``test_lambda_aws_proxy_integration`` and ``…request_data_mapping``;
test_apigateway_integrations.snapshot.json, ``header_remapping_aws[AWS_PROXY]``):

- hop-by-hop and similar headers never reach the integration (DROPPED);
- ``X-Forwarded-For`` (the client's own value extended with the source IP),
  ``X-Forwarded-Port``, ``X-Forwarded-Proto`` and ``X-Amzn-Trace-Id`` (the
  client's trace id when it sent one) are added;
- ``Authorization`` and ``User-Agent`` arrive in that case whatever case the
  client used; every other name keeps the client's case.
"""

from __future__ import annotations

import dataclasses
import secrets

from localenv.gateway.requests import Request

DROPPED = frozenset(
    {"connection", "content-length", "content-md5", "expect", "max-forwards"}
    | {"proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade"}
    | {"www-authenticate"}
)
ADDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id"})
NORMALISED = {"authorization": "Authorization", "user-agent": "User-Agent"}
# API Gateway quota: "Total combined size of request line and header values" 10,240 bytes.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
MAX_HEADER_BYTES = 10_240
# "Length, in characters, of the URL for an edge-optimized API": 8,192 (same page).
MAX_URL_CHARACTERS = 8_192


def trace_id(request: Request, now: float) -> str:
    """The client's X-Amzn-Trace-Id, or a new X-Ray root id."""
    sent = request.header("X-Amzn-Trace-Id")
    if sent and sent.startswith("Root="):
        return sent
    return f"Root=1-{int(now):08x}-{secrets.token_hex(12)}"


def overridden(request: Request) -> Request:
    """X-HTTP-Method-Override replaces the method (routing, authorizer and event see it)."""
    override = request.header("X-HTTP-Method-Override")
    return dataclasses.replace(request, method=override.upper()) if override else request


def header_bytes(request: Request) -> int:
    line = len(request.method) + len(request.path) + len(request.query) + len("  HTTP/1.1")
    return line + sum(len(value.encode("utf-8", "replace")) for _, value in request.headers)


def integration_request(request: Request, trace: str) -> Request:
    kept = [
        (NORMALISED.get(name.lower(), name), value)
        for name, value in request.headers
        if name.lower() not in DROPPED and name.lower() not in ADDED
    ]
    return dataclasses.replace(request, headers=kept + forwarded(request, trace))


def forwarded(request: Request, trace: str) -> list[tuple[str, str]]:
    chain = request.header("X-Forwarded-For")
    return [
        ("X-Forwarded-For", f"{chain}, {request.source_ip}" if chain else request.source_ip),
        ("X-Forwarded-Port", str(request.server_port)),
        ("X-Forwarded-Proto", request.scheme),
        ("X-Amzn-Trace-Id", trace),
    ]
