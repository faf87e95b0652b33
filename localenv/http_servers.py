"""The HTTP server base the harness's servers share."""

from __future__ import annotations

import socket
from http.server import ThreadingHTTPServer
from typing import Any


class NoDelayHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that disables Nagle's algorithm on every connection.

    Without TCP_NODELAY, delayed ACKs cost ~40 ms per small request/response
    exchange (measured here): the Runtime API, the gateway and the edge all need it.
    """

    daemon_threads = True

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def listen(self) -> None:
        """Bind and listen now: servers built with ``bind_and_activate=False`` do it in
        ``start()``, so constructing one binds nothing."""
        try:
            self.server_bind()
            self.server_activate()
        except OSError:
            self.server_close()
            raise
