"""What a real boto3 DynamoDB client sends, recorded through botocore's own events.

``provide-client-params`` sees each API call's parameters as the handler passed
them; ``before-send`` sees each HTTP request, retries included, and may answer in
DynamoDB's place (a fault) before moto does. No patching: the hooks are
botocore's public extension points.
https://boto3.amazonaws.com/v1/documentation/api/latest/guide/events.html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse


@dataclass
class Call:
    operation: str
    params: dict[str, Any]


class RawBody:
    """The ``raw`` of an AWSResponse: a stream of one body."""

    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.data


def error_response(url: str, status: int, code: str, message: str) -> AWSResponse:
    """An error answer shaped as DynamoDB's (JSON 1.0 protocol, ``__type``)."""
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "fault"}
    return AWSResponse(url, status, headers, RawBody(json.dumps(body).encode()))


THROTTLED = (
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded.",
)


@dataclass
class Recorder:
    """Calls (parameters) and HTTP sends of one client; an optional fault per send."""

    calls: list[Call] = field(default_factory=list)
    sends: list[dict[str, str]] = field(default_factory=list)
    fault: Callable[[str, dict[str, str]], AWSResponse | None] | None = None

    def attach(self, client: Any) -> Recorder:
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self.on_params)
        events.register_first("before-send.dynamodb.*", self.on_send)
        return self

    def on_params(self, params: dict[str, Any], model: Any, **_kwargs: Any) -> None:
        self.calls.append(Call(model.name, json.loads(json.dumps(params))))

    def on_send(self, request: Any, **_kwargs: Any) -> AWSResponse | None:
        headers = {
            k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()
        }
        self.sends.append(headers)
        target = headers.get("x-amz-target", "").rsplit(".", 1)[-1]
        return self.fault(target, headers) if self.fault else None

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [call.params for call in self.calls if call.operation == operation]


def throttle(operation: str, url: str = "http://dynamodb") -> Callable[..., AWSResponse | None]:
    """A fault that answers every ``operation`` with DynamoDB's throttling error."""

    def fault(target: str, _headers: dict[str, str]) -> AWSResponse | None:
        return error_response(url, 400, *THROTTLED) if target == operation else None

    return fault
