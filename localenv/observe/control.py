"""A control endpoint for the running stack (loopback only): drive the clock, evaluate
alarms now, read recent metric datapoints. The CLI and tests call it."""

from __future__ import annotations

import json
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlparse

from localenv.http_servers import ServedHTTPServer

Route = Callable[[dict[str, str]], Any]


class ControlServer(ServedHTTPServer):
    """Stores its routes; ``start()`` binds a free loopback port and serves."""

    def __init__(self, routes: dict[tuple[str, str], Route]):
        self.routes = routes
        super().__init__(("127.0.0.1", 0), ControlHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class ControlHandler(BaseHTTPRequestHandler):
    server: ControlServer

    def log_message(self, *args: Any) -> None:
        pass

    def answer(self) -> None:
        parsed = urlparse(self.path)
        route = self.server.routes.get((self.command, parsed.path))
        if route is None:
            status, body = 404, {"error": f"no {self.command} {parsed.path}"}
        else:
            query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
            try:
                status, body = 200, route(query)
            except Exception as exc:
                status, body = 500, {"error": str(exc)}
        payload = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = answer  # noqa: N815
