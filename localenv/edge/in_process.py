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

import logging
from collections.abc import Callable, Iterator
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from localenv.edge.calls import RawRequest
from localenv.edge.errors import EdgeResponse

Handle = Callable[[RawRequest], EdgeResponse]
log = logging.getLogger(__name__)
EDGE_ERROR = EdgeResponse(500, (("Content-Type", "text/plain"),), b"edge error")


def answer(handle: Handle, raw: RawRequest) -> EdgeResponse:
    """The edge's answer to ``raw``; a failure is logged and answered 500, as the edge's
    HTTP server answers it."""
    try:
        return handle(raw)
    except Exception:
        log.exception("edge: %s %s failed", raw.method, raw.target)
        return EDGE_ERROR


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
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        body = b"" if request.method == "HEAD" else response.body
        return AWSResponse(
            request.url, response.status, HTTPHeaders.from_pairs(headers), BodyStream(body)
        )

    def attach(self, client: Any) -> Any:
        """``client``, its calls now sent through this sender; returns it."""
        client.meta.events.register("before-send", self)
        return client


def raw_request(request: AWSPreparedRequest) -> RawRequest:
    """The request as the edge's HTTP server would have read it from ``http.client``,
    which adds Host and Accept-Encoding (botocore's prepared request already carries
    its Content-Length)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    body = body_bytes(request.body)
    sent = [(name, text(value)) for name, value in request.headers.items()]
    names = {name.lower() for name, _ in sent}
    first = [("Host", parts.netloc), ("Accept-Encoding", "identity")]
    headers = [(name, value) for name, value in first if name.lower() not in names] + sent
    return RawRequest(request.method, target, tuple(headers), body)


def body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    return b"".join(chunks(body))


def chunks(body: Any) -> Iterator[bytes]:
    """A file-like body read whole, or an iterable one joined (as ``http.client`` sends)."""
    if hasattr(body, "read"):
        data = body.read()
        yield data.encode("utf-8") if isinstance(data, str) else data
        return
    for chunk in body:
        yield chunk.encode("utf-8") if isinstance(chunk, str) else chunk


def text(value: str | bytes) -> str:
    # http.client sends str header values as latin-1 and bytes as they are.
    return value.decode("latin-1") if isinstance(value, bytes) else value
