"""A server may bind its port early and serve it later: the port is held meanwhile (no
other bind gets it) and a request sent then is answered once it serves."""

from __future__ import annotations

import http.client
import socket
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from localenv.http_servers import ServedHTTPServer


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()
        self.wfile.write(b"hello")


def test_a_port_bound_early_is_held_and_served_later() -> None:
    server = ServedHTTPServer(("127.0.0.1", 0), Hello)
    server.listen()
    try:
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", server.port))
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        client.request("GET", "/")  # waits in the backlog until the server serves
        server.start()  # serves the port it holds: no second bind
        response = client.getresponse()
        assert (response.status, response.read()) == (200, b"hello")
        client.close()
    finally:
        server.stop()
