"""The HTTP request and response the gateway core works on: no sockets, raw header names."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, including the stage: /prod/dataproc/abc
    query: str
    headers: list[tuple[str, str]]  # names exactly as the client sent them
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    oversize: bool = False  # the body was over the limit (and was discarded)
    server_port: int = 443  # the port and scheme the client connected to
    scheme: str = "https"

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        found = [v for k, v in self.headers if k.lower() == wanted]
        return found[-1] if found else None

    def query_pairs(self) -> list[tuple[str, str]]:
        # ";" separates parameters as "&" does on API Gateway.
        return parse_qsl(self.query.replace(";", "&"), keep_blank_values=True)


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)
