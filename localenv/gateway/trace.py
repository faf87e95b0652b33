"""What the gateway learnt about one request, for metrics and access logs.

The gateway builds one immutable ``Trace`` per request and hands it to its
observers; nothing of it is sent to the client. ``TraceNotes`` is the mutable
notebook the request's steps write into on the way (resource, principal,
integration latency, error), frozen into the trace once the response exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from localenv.gateway.requests import Request, Response


@dataclass
class TraceNotes:
    resource_path: str = ""
    principal_id: str = ""
    integration_ms: float | None = None
    error_message: str = ""


@dataclass(frozen=True)
class Trace:
    """One request through the gateway, as metrics and access logs see it."""

    request: Request
    status: int
    response_length: int
    request_id: str
    extended_request_id: str  # also the x-amz-apigw-id response header
    time: float  # wall-clock seconds when the request arrived
    latency_ms: float
    api_id: str
    api_name: str
    stage: str
    resource_path: str
    principal_id: str
    integration_ms: float | None
    error_message: str

    def access_record(self) -> dict[str, object]:
        """The fields localenv.observe.access_logs formats into a line."""
        return {
            "time": self.time,
            "request_id": self.request_id,
            "extended_request_id": self.extended_request_id,
            "source_ip": self.request.source_ip,
            "user_agent": self.request.header("User-Agent"),
            "method": self.request.method,
            "resource_path": self.resource_path,
            "path": self.request.path,
            "status": self.status,
            "response_length": self.response_length,
            "stage": self.stage,
            "api_id": self.api_id,
            "principal_id": self.principal_id,
            "integration_latency": (
                int(self.integration_ms) if self.integration_ms is not None else None
            ),
            "latency_ms": self.latency_ms,
            "error": self.error_message,
            "integration_status": None,
        }


@dataclass(frozen=True)
class RequestIds:
    request_id: str
    extended_request_id: str
    time: float


def freeze(
    ids: RequestIds,
    request: Request,
    response: Response,
    notes: TraceNotes,
    latency_ms: float,
    api: tuple[str, str, str],
) -> Trace:
    api_id, api_name, stage = api
    return Trace(
        request=request,
        status=response.status,
        response_length=len(response.body),
        request_id=ids.request_id,
        extended_request_id=ids.extended_request_id,
        time=ids.time,
        latency_ms=latency_ms,
        api_id=api_id,
        api_name=api_name,
        stage=stage,
        resource_path=notes.resource_path,
        principal_id=notes.principal_id,
        integration_ms=notes.integration_ms,
        error_message=notes.error_message,
    )


Observer = Callable[[Trace], None]
