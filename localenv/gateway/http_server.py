"""The gateway on a socket: a thin HTTP/1.1 wrapper around ``Gateway.handle``.

http.server keeps header names exactly as the client sent them (ASGI servers
lowercase them), and API Gateway passes the client's case through to the
proxy event, so the raw names are what the core receives.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from localenv.gateway.core import MAX_REQUEST_BYTES
from localenv.gateway.requests import Request, Response
from localenv.http_servers import NoDelayHTTPServer

Handle = Callable[[Request], Response]


class GatewayHttpServer(NoDelayHTTPServer):
    allow_reuse_address = True

    def __init__(self, host: str, port: int, handle: Handle):
        self.handle_request_object = handle
        super().__init__((host, port), GatewayRequestHandler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits forever for a loop that never ran
            self.shutdown()
        self.server_close()


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
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def read_chunked(self) -> bytes | None:
        body = bytearray()
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return bytes(body)
            body += self.rfile.read(size)
            self.rfile.readline()
            if len(body) > MAX_REQUEST_BYTES:
                self.close_connection = True
                return None

    def handle_any(self) -> None:
        body = self.read_body()
        path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=unquote(path),
            query=query,
            headers=[
                (k, v)
                for k, v in self.headers.items()
                if k.lower() not in {"content-length", "transfer-encoding"}
            ],
            body=body or b"",
            source_ip=self.client_address[0],
            oversize=body is None,
        )
        response = self.server.handle_request_object(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = handle_any  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # Every method reaches API Gateway's router: one the API does not define (TRACE,
        # QUERY, FOO) gets its 403 Missing Authentication Token, never http.server's 501.
        # https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)
