"""The gateway on a socket: a thin HTTP/1.1 wrapper around ``Gateway.answer``; the
request's observation (metrics, the access log line) runs once the response is sent.

http.server keeps header names exactly as the client sent them (ASGI servers
lowercase them), and API Gateway passes the client's case through to the
proxy event, so the raw names are what the core receives. The path is passed on
percent-encoded, as API Gateway keeps it (see routing.py).

Every method reaches the core, so one the API does not define (TRACE, QUERY,
FOO) gets API Gateway's 403 Missing Authentication Token in JSON, not
http.server's 501 page. A body over the limit is read to its end and discarded
before the 413 is sent: a client that writes the whole body before reading
(Python's ``requests``, ``urllib``) then reads the 413 instead of a broken pipe.
"""

from __future__ import annotations

from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any

from localenv.gateway.core import MAX_REQUEST_BYTES
from localenv.gateway.requests import Request, Response
from localenv.http_servers import ServedHTTPServer

# The response, and what to do once it is sent (the request's metrics and access log).
Handle = Callable[[Request], tuple[Response, Callable[[], None]]]
DRAIN_CHUNK_BYTES = 1024 * 1024


class GatewayHttpServer(ServedHTTPServer):
    """Stores the address and the gateway; ``start()`` binds the API's port and serves."""

    allow_reuse_address = True

    def __init__(self, host: str, port: int, handle: Handle):
        self.handle_request_object = handle
        super().__init__((host, port), GatewayRequestHandler)


class GatewayRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "localenv"
    sys_version = ""
    server: GatewayHttpServer

    def log_message(self, *args: Any) -> None:
        pass

    def read_body(self) -> bytes | None:
        """The body, or None when it is over the limit (the connection is then closed)."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self.discard(length)
            return None
        return self.rfile.read(length) if length else b""

    def discard(self, length: int) -> None:
        while length > 0:
            read = len(self.rfile.read(min(length, DRAIN_CHUNK_BYTES)))
            if not read:
                break
            length -= read

    def read_chunked(self) -> bytes | None:
        body, total = bytearray(), 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return bytes(body) if total <= MAX_REQUEST_BYTES else None
            chunk = self.rfile.read(size)
            self.rfile.readline()
            total += len(chunk)
            if total <= MAX_REQUEST_BYTES:
                body += chunk
            else:
                body.clear()  # over the limit: read on to the end, keep nothing

    def send_response(self, code: int, message: str | None = None) -> None:
        """Status line and Date, without http.server's Server header: API Gateway sends none."""
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self.handle_any  # any method: the core answers what the API lacks
        raise AttributeError(name)

    def handle_any(self) -> None:
        body = self.read_body()
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers=list(self.headers.items()),
            body=body or b"",
            source_ip=self.client_address[0],
            oversize=body is None,
            server_port=self.server.server_port,
            scheme="http",
        )
        response, after = self.server.handle_request_object(request)
        try:
            self.send(response)
        finally:
            after()  # also when the client has gone: its request is still logged and counted

    def send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
