"""The HTTP server base the harness's servers share."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

# How often a serving loop checks whether it was asked to stop. socketserver's default,
# 0.5 s, made every stop wait up to half a second, once per server: a stack runs one per
# function environment besides its own (`localenv down` took 4-9 s, mostly this wait).
POLL_SECONDS = 0.05


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


class ServedHTTPServer(NoDelayHTTPServer):
    """A server in moto's ThreadedMotoServer shape: the constructor stores its address and
    handler (binds nothing); ``start()`` binds, listens and serves on a thread, returning
    once it accepts connections; ``stop()`` stops serving and closes; a context manager."""

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        super().__init__(address, handler, bind_and_activate=False)
        self.thread: threading.Thread | None = None
        self.listening = False

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def listen(self) -> None:
        super().listen()
        self.listening = True

    def start(self) -> None:
        if not self.listening:  # a server may bind its port early (listen) and serve later
            self.listen()  # connections queue from here on, before the loop runs
        self.thread = threading.Thread(
            target=self.serve_forever, args=(POLL_SECONDS,), daemon=True, name=type(self).__name__
        )
        self.thread.start()

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.shutdown()  # waits for a serve_forever loop, so only for a running one
        self.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
