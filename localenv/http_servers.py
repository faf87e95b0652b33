"""The HTTP server base the harness's servers share."""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer
from typing import Any


class NoDelayHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that disables Nagle's algorithm on every connection.

    Without TCP_NODELAY, delayed ACKs cost ~40 ms per small request/response
    exchange (DESIGN.md §6): the Runtime API and the gateway both need it.
    """

    daemon_threads = True

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
