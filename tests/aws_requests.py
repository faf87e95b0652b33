"""AWS requests as an SDK sends them, for socket-free tests of the edge: botocore's own
serializer, a SigV4 credential scope naming the caller (the signature is not checked)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import botocore.session
from botocore.serialize import create_serializer

from localenv.edge.calls import RawRequest

BOTOCORE = botocore.session.get_session()
SIGNING = {"cloudwatch": "monitoring"}
# What botocore sends where a service model lists several protocols: CloudWatch as JSON.
PROTOCOL = {"cloudwatch": "json"}


def protocol_of(service: str) -> str:
    return PROTOCOL.get(service, BOTOCORE.get_service_model(service).protocol)


def sdk_request(
    service: str, operation: str, params: dict[str, Any], key: str = "test"
) -> RawRequest:
    model = BOTOCORE.get_service_model(service)
    serialized = create_serializer(protocol_of(service)).serialize_to_request(
        params, model.operation_model(operation)
    )
    query = urlencode(serialized["query_string"], doseq=True)
    scope = f"{key}/20260101/us-east-1/{SIGNING.get(service, service)}/aws4_request"
    headers = {
        **serialized["headers"],
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0",
    }
    body = serialized["body"]
    if isinstance(body, dict):  # query protocol: form fields
        body = urlencode(body, doseq=True)
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    target = serialized["url_path"] + (f"?{query}" if query else "")
    encoded = body.encode() if isinstance(body, str) else body
    return RawRequest(serialized["method"], target, tuple(headers.items()), encoded)
