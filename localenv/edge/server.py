"""The edge: the stack's AWS endpoint. Every call is parsed once into an
``AwsCall``, offered to the interceptors in order (the first that answers ends
it: IAM denials today, faults and locally served calls later), forwarded to the
emulator otherwise, and shown to the observers with the response."""

from __future__ import annotations

import logging
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any

from localenv.edge.backends import Backend
from localenv.edge.calls import AwsCall, RawRequest, parse
from localenv.edge.errors import EdgeResponse
from localenv.errors import LocalenvError
from localenv.http_servers import ServedHTTPServer

Interceptor = Callable[[AwsCall], EdgeResponse | None]
Observer = Callable[[AwsCall, EdgeResponse], None]
log = logging.getLogger(__name__)
EDGE_ERROR = EdgeResponse(500, (("Content-Type", "text/plain"),), b"edge error")


class EdgeError(LocalenvError):
    """The edge cannot start (its port is taken) or was used before start()."""


class Edge:
    def __init__(
        self,
        host: str,
        port: int,
        backend: Backend,
        interceptors: list[Interceptor] | None = None,
        observers: list[Observer] | None = None,
    ):
        self.host, self.port = host, port
        self.backend = backend
        self.interceptors = interceptors if interceptors is not None else []
        self.observers = observers if observers is not None else []
        self.server: EdgeHttpServer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def handle(self, raw: RawRequest) -> EdgeResponse:
        """One call through the chain, without a socket (what tests and the server call)."""
        call = parse(raw)
        response = next((r for r in (i(call) for i in self.interceptors) if r is not None), None)
        if response is None:
            response = self.backend.forward(raw)
        for observe in self.observers:
            observe(call, response)
        return response

    def start(self) -> None:
        self.backend.start()
        server = EdgeHttpServer((self.host, self.port), self)
        try:
            server.start()
        except OSError as exc:
            raise EdgeError(
                f"port {self.port} on {self.host} is in use ({exc.strerror}): stop what runs "
                "there (`localenv down`?) or pick another with --port"
            ) from exc
        self.server, self.port = server, server.port

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def __enter__(self) -> Edge:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def answer(handle: Callable[[RawRequest], EdgeResponse], raw: RawRequest) -> EdgeResponse:
    """The edge's answer to ``raw``: a failure is logged and answered 500, whether the
    call came over HTTP or from this process (localenv/edge/in_process.py)."""
    try:
        return handle(raw)
    except Exception:
        log.exception("edge: %s %s failed", raw.method, raw.target)
        return EDGE_ERROR


class EdgeHttpServer(ServedHTTPServer):
    def __init__(self, address: tuple[str, int], edge: Edge):
        self.edge = edge
        super().__init__(address, EdgeRequestHandler)


class EdgeRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: SDK clients reuse their connections
    server: EdgeHttpServer

    def log_message(self, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            return self.read_chunked()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass  # trailers
        return b"".join(chunks)

    def answer(self) -> None:
        raw = RawRequest(self.command, self.path, tuple(self.headers.items()), self.read_body())
        response = answer(self.server.edge.handle, raw)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = answer  # noqa: N815
