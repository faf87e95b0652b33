"""API Gateway access logs: the stage's AccessLogSetting format with $context variables."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

VARIABLE = re.compile(r"\$context\.([A-Za-z0-9_.]+)")
LOG_GROUP_ARN = re.compile(r"arn:[\w-]+:logs:[\w-]+:\d+:log-group:(.+?)(?::\*)?")


def group_of(destination_arn: str) -> str | None:
    match = LOG_GROUP_ARN.fullmatch(destination_arn)
    return match.group(1) if match else None


def context_values(record: Mapping[str, Any]) -> dict[str, str]:
    """The $context variables of one request, as strings ("-" when not applicable, as AWS)."""
    now = record["time"]
    values = {
        "requestId": record["request_id"],
        # The x-amz-apigw-id response header's value, as on AWS.
        "extendedRequestId": record["extended_request_id"],
        "identity.sourceIp": record["source_ip"],
        "identity.userAgent": record["user_agent"],
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": str(int(now * 1000)),
        "httpMethod": record["method"],
        "resourcePath": record["resource_path"],
        "path": record["path"],
        "status": str(record["status"]),
        "protocol": "HTTP/1.1",
        "responseLength": str(record["response_length"]),
        "stage": record["stage"],
        "apiId": record["api_id"],
        "authorizer.principalId": record["principal_id"],
        "integrationLatency": record["integration_latency"],
        "responseLatency": str(int(record["latency_ms"])),
        "error.message": record["error"],
        "integration.status": record["integration_status"],
    }
    return {k: ("-" if v in (None, "") else str(v)) for k, v in values.items()}


def format_line(template: str, record: Mapping[str, Any]) -> str:
    values = context_values(record)
    return VARIABLE.sub(lambda m: values.get(m.group(1), "-"), template.replace("\n", " "))
