"""The stack's own AWS calls (its deploy, its log shipper, its metric publisher, the
API's reloads) handed to its edge in this process, without a socket.

On AWS, CloudFormation and Lambda's log delivery call the services from inside
AWS, not through the caller's network; here they are calls of the stack process
to its own edge. Sending them over localhost HTTP cost each call a request written
and parsed twice and two thread hand-offs (~1-3 ms, 138 calls per deploy). The call
still takes the edge's whole path: the request is signed by botocore as it would
be sent, carries the headers ``http.client`` would add, and meets every
interceptor (IAM, limits, faults) and observer before the emulator behind it.
Worker processes, user SDKs and other ``localenv`` commands keep using HTTP.

botocore lets a ``before-send`` handler answer a call instead of sending it:
https://botocore.amazonaws.com/v1/documentation/api/latest/topics/events.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from urllib3 import HTTPHeaderDict

from localenv.edge.calls import RawRequest
from localenv.edge.errors import EdgeResponse
from localenv.edge.server import answer

Handle = Callable[[RawRequest], EdgeResponse]
# Answers an HTTP client reads no body of: to HEAD, and 1xx, 204 and 304.
# https://www.rfc-editor.org/rfc/rfc9110#section-6.4.1
BODILESS_STATUSES = frozenset({204, 304})
DEFAULT_PORTS = {"http": 80, "https": 443}


class BodyStream(BytesIO):
    """A response body as botocore reads one: whole (``stream``) or in parts (``read``,
    through its ``StreamingBody``)."""

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self.read()


class InProcessSender:
    """A ``before-send`` handler: the prepared request goes to the edge's ``handle``,
    and its answer comes back as the HTTP response botocore would have read."""

    def __init__(self, handle: Handle):
        self.handle = handle

    def __call__(self, request: AWSPreparedRequest, **_kwargs: Any) -> AWSResponse:
        response = answer(self.handle, raw_request(request))
        # urllib3 joins a repeated header's values with ", ", and botocore reads that.
        headers = HTTPHeaderDict()
        for name, value in [*response.headers, ("Content-Length", str(len(response.body)))]:
            headers.add(name, value)
        body = b"" if bodiless(request.method, response.status) else response.body
        return AWSResponse(request.url, response.status, headers, BodyStream(body))  # type: ignore[arg-type]

    def attach(self, client: Any) -> Any:
        """``client``, its calls now sent through this sender; returns it."""
        client.meta.events.register("before-send", self)
        return client


def bodiless(method: str, status: int) -> bool:
    return method == "HEAD" or status < 200 or status in BODILESS_STATUSES


def host_header(scheme: str, host: str, port: int | None) -> str:
    """Host as ``http.client`` sends it: urllib3 lowercases the name, a default port is
    left out, an IPv6 address is bracketed."""
    name = f"[{host}]" if ":" in host else host
    return name if port in (None, DEFAULT_PORTS.get(scheme)) else f"{name}:{port}"


def raw_request(request: AWSPreparedRequest) -> RawRequest:
    """The request as the edge's HTTP server would have read it from ``http.client``,
    which adds Host and Accept-Encoding (botocore's prepared request already carries
    its Content-Length)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = body_bytes(request.body)
    sent = [(name, text(value)) for name, value in request.headers.items()]
    names = {name.lower() for name, _ in sent}
    host = host_header(parts.scheme, parts.hostname or "", parts.port)
    first = [("Host", host), ("Accept-Encoding", "identity")]
    headers = [(name, value) for name, value in first if name.lower() not in names] + sent
    return RawRequest(request.method, target, tuple(headers), body)


def body_bytes(body: Any) -> bytes:
    """The body as ``http.client`` sends botocore's: a file-like one read whole, text as
    UTF-8. Anything else botocore never sends fails here, loudly."""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body or b"")


def text(value: str | bytes) -> str:
    # http.client sends str header values as latin-1 and bytes as they are.
    return value.decode("latin-1") if isinstance(value, bytes) else value
