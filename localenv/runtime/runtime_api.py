"""A Lambda Runtime API server for one execution environment.

awslambdaric (the bootstrap AWS itself uses) long-polls ``GET /invocation/next``
and posts the outcome to ``/invocation/{id}/response`` or ``/error``. One server
per environment keeps routing trivial and mirrors Lambda, where each sandbox
has its own Runtime API endpoint.
"""

from __future__ import annotations

import json
import math
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from localenv.http_servers import ServedHTTPServer

PREFIX = "/2018-06-01/runtime"
# Lambda caps a synchronous response at 6 MB, counted as 6,291,556 bytes; over it the
# invocation is a function error with this type and message (recorded from AWS by
# LocalStack: tests/aws/services/lambda_/test_lambda.snapshot.json,
# "test_lambda_too_large_response"). https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
RESPONSE_LIMIT_BYTES = 6_291_556
RESPONSE_TOO_LARGE = {
    "errorMessage": "Response payload size exceeded maximum allowed payload size "
    f"({RESPONSE_LIMIT_BYTES} bytes).",
    "errorType": "Function.ResponseSizeTooLarge",
}


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    deadline_ms: int
    function_arn: str
    trace_id: str
    done: threading.Event = field(default_factory=threading.Event)
    response: bytes | None = None
    error: dict[str, Any] | None = None
    error_type: str = ""
    answered_at: float = math.inf  # time.monotonic() when the runtime posted the outcome

    def answered_by(self, deadline: float) -> bool:
        """Whether the outcome was posted before ``deadline`` (monotonic seconds). Lambda
        stops a function at its timeout: an answer posted later is a timeout, even when
        the caller's wait notices it first.
        https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html"""
        return self.answered_at < deadline


class RuntimeApiServer(ServedHTTPServer):
    """Stores its state; ``start()`` binds a free loopback port and serves."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RuntimeApiHandler)
        self.pending: queue.Queue[Invocation | None] = queue.Queue(maxsize=1)
        self.current: Invocation | None = None
        self.first_poll = threading.Event()
        self.init_error: dict[str, Any] | None = None

    @property
    def address(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port}"

    def stop(self) -> None:
        # Release a /next long poll still waiting, then stop serving.
        if self.pending.empty():
            self.pending.put_nowait(None)
        super().stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A worker that is gone (stopped, timed out, crashed) closed its connection:
        that is how an environment ends, not an error worth a traceback."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RuntimeApiServer

    def log_message(self, *args: Any) -> None:
        pass

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(
        self, status: int, payload: bytes = b"{}", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            self.reply(404)
            return
        self.server.first_poll.set()
        invocation = self.server.pending.get()
        if invocation is None:  # the environment is shutting down
            self.reply(500)
            return
        self.server.current = invocation
        self.reply(
            200,
            invocation.payload,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": invocation.function_arn,
                # awslambdaric crashes without a trace id header (see localenv/ARCHITECTURE.md).
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
            },
        )

    def do_POST(self) -> None:
        body = self.body()
        if self.path == f"{PREFIX}/init/error":
            self.server.init_error = parse_error(body)
            self.server.first_poll.set()
            self.reply(202)
            return
        invocation = self.server.current
        parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
        if invocation is None or len(parts) != 2 or parts[0] != invocation.request_id:
            self.reply(400)
            return
        if parts[1] == "response":
            record_response(invocation, body)
        elif parts[1] == "error":
            invocation.error = parse_error(body)
            invocation.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
        else:
            self.reply(404)
            return
        invocation.answered_at = time.monotonic()
        self.server.current = None
        self.reply(202)
        invocation.done.set()


def record_response(invocation: Invocation, body: bytes) -> None:
    """The function's result, or Lambda's function error when it is over the 6 MB limit."""
    if len(body) > RESPONSE_LIMIT_BYTES:
        invocation.error = dict(RESPONSE_TOO_LARGE)
        invocation.error_type = RESPONSE_TOO_LARGE["errorType"]
    else:
        invocation.response = body


def parse_error(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        return {"errorMessage": body.decode("utf-8", "replace"), "errorType": "Unknown"}
    return parsed if isinstance(parsed, dict) else {"errorMessage": str(parsed)}
