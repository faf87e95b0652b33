"""CloudWatch calls as botocore sends them over the JSON protocol, answered by the
harness's edge interceptor and parsed back by botocore (no socket, no emulator)."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
from botocore.parsers import create_parser

from localenv.edge.calls import RawRequest, parse
from localenv.observe.cloudwatch_api import CloudWatchApi

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/us-east-1/monitoring/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0"
)


def raw_call(operation: str, params: dict[str, Any]) -> RawRequest:
    headers = (
        ("X-Amz-Target", f"GraniteServiceVersion20100801.{operation}"),
        ("Content-Type", "application/x-amz-json-1.0"),
        ("Authorization", AUTH),
    )
    return RawRequest("POST", "/", headers, json.dumps(params).encode())


def cloudwatch(api: CloudWatchApi, operation: str, **params: Any) -> dict[str, Any]:
    """What boto3's ``cloudwatch.<operation>(**params)`` returns from the interceptor."""
    response = api(parse(raw_call(operation, params)))
    assert response is not None, f"{operation} was not answered by the harness"
    model = botocore.session.get_session().get_service_model("cloudwatch")
    shape = model.operation_model(operation).output_shape
    assert shape is not None
    parsed: dict[str, Any] = create_parser("json").parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body},
        shape,
    )
    parsed.pop("ResponseMetadata", None)
    return parsed
