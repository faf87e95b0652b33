"""What sits behind the edge: embedded moto's WSGI app in this process (no second
HTTP hop), or an external emulator reached over pooled keep-alive HTTP."""

from __future__ import annotations

import contextlib
import http.client
import io
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol
from urllib.parse import unquote_to_bytes, urlsplit

from localenv.edge.calls import RawRequest
from localenv.edge.errors import EdgeResponse

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class Backend(Protocol):
    def start(self) -> None: ...

    def forward(self, raw: RawRequest) -> EdgeResponse: ...


@contextlib.contextmanager
def no_offer(_body: bytes, _document: Any) -> Iterator[None]:
    yield


class MotoBackend:
    """moto's server application, called in-process as a WSGI app (``Dispatcher``)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.app: Any = None
        self.offered: Callable[[bytes, Any], AbstractContextManager[None]] = no_offer

    def start(self) -> None:
        from localenv import moto_query_index, moto_speedups  # noqa: PLC0415 - patch moto
        from localenv.moto_dispatch import Dispatcher  # noqa: PLC0415 - loads moto
        from localenv.moto_json_body import offered  # noqa: PLC0415 - loads moto

        moto_query_index.apply()  # a query reads one partition, not the whole table
        moto_speedups.apply()  # per-call costs that change no answer

        self.app = Dispatcher()
        self.offered = offered

    def environ(self, raw: RawRequest) -> dict[str, Any]:
        parts = urlsplit(raw.target)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": raw.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(parts.path).decode("latin-1"),
            "QUERY_STRING": parts.query,
            "RAW_URI": raw.target,
            "REQUEST_URI": raw.target,
            "SERVER_NAME": self.host,
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(raw.body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(raw.body),
            # The stream holds exactly the body, so werkzeug may read it in one call
            # rather than through a LimitedStream in 64 KiB chunks (~1 ms per MiB).
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in raw.headers:
            key = name.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ[key] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        if "HTTP_TRANSFER_ENCODING" in environ:  # werkzeug reads a chunked body as
            del environ["wsgi.input_terminated"]  # empty without it: kept as it was
        return environ

    def offer(self, raw: RawRequest) -> AbstractContextManager[None]:
        """The edge's reading of a JSON body, offered to moto's parser for this call."""
        document = raw.decoded_json()
        if document is None or not document.valid:
            return contextlib.nullcontext()
        return self.offered(raw.body, document.value)

    def forward(self, raw: RawRequest) -> EdgeResponse:
        answer: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], *_: Any
        ) -> Callable[[bytes], None]:
            answer["status"], answer["headers"] = int(status.split(maxsplit=1)[0]), headers
            return lambda _data: None

        with self.offer(raw):
            chunks: Iterable[bytes] = self.app(self.environ(raw), start_response)
            try:
                body = b"".join(chunks)
            finally:
                getattr(chunks, "close", lambda: None)()
        headers = tuple((k, v) for k, v in answer["headers"] if k.lower() not in HOP_BY_HOP)
        return EdgeResponse(answer["status"], headers, body)


class HttpBackend:
    """An emulator someone else runs: one keep-alive connection per calling thread
    (an edge server thread, or a thread of the stack making its own calls)."""

    def __init__(self, endpoint_url: str):
        parts = urlsplit(endpoint_url)
        self.https = parts.scheme == "https"
        self.netloc = parts.netloc
        self.local = threading.local()

    def start(self) -> None:
        pass

    def connection(self) -> http.client.HTTPConnection:
        existing: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if existing is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            existing = kind(self.netloc, timeout=120)
            self.local.connection = existing
        return existing

    def forward(self, raw: RawRequest) -> EdgeResponse:
        headers = {k: v for k, v in raw.headers if k.lower() not in HOP_BY_HOP}
        for attempt in (1, 2):  # a pooled connection the emulator closed is retried once
            connection = self.connection()
            try:
                connection.request(raw.method, raw.target, raw.body, headers)
                response = connection.getresponse()
                body = response.read()
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self.local.connection = None
                if attempt == 2:
                    raise
                continue
            kept = tuple((k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP)
            return EdgeResponse(response.status, kept, body)
        raise AssertionError("unreachable")
