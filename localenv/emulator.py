"""The stack's AWS endpoint: the service edge, with the AWS emulator behind it —
moto embedded in this process, or any emulator someone else runs
(``--endpoint-url``), reached only through public AWS APIs."""

from __future__ import annotations

import functools
import logging
import socket
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

from localenv.edge.backends import Backend, HttpBackend, MotoBackend
from localenv.edge.operations import new_botocore_session
from localenv.edge.server import Edge, EdgeError, Interceptor, Observer
from localenv.errors import LocalenvError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4566  # LocalStack's port, so the usual --endpoint-url lines work unchanged
CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class EmulatorError(LocalenvError):
    """The emulator cannot be started or reached; the message says what to do."""


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class Emulator:
    """The stack's AWS endpoint: the edge, with embedded moto (in this process, no
    second HTTP hop) or an external emulator (``backend_url``) behind it.
    ``start`` returns once the edge answers."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    backend_url: str | None = None  # an emulator someone else runs; None: embedded moto
    interceptors: list[Interceptor] = field(default_factory=list)
    observers: list[Observer] = field(default_factory=list)
    emulator_id: str = ""
    edge: Edge | None = None

    def __post_init__(self) -> None:
        if not self.emulator_id:
            self.emulator_id = (
                f"external-{self.backend_url}" if self.backend_url else f"embedded-{uuid.uuid4()}"
            )

    @property
    def embedded(self) -> bool:
        return self.backend_url is None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        if port_in_use(self.host, self.port):
            raise EmulatorError(
                f"port {self.port} on {self.host} is in use: stop what runs there "
                "(`localenv down`?) or pick another with --port"
            )
        if self.backend_url is not None:
            wait_reachable(self.backend_url)
        # moto logs every request; the harness reports progress itself.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        backend: Backend = (
            HttpBackend(self.backend_url) if self.backend_url else MotoBackend(self.host, self.port)
        )
        self.edge = Edge(self.host, self.port, backend, self.interceptors, self.observers)
        try:
            self.edge.start()
        except EdgeError as exc:
            raise EmulatorError(str(exc)) from exc
        # The edge listens once start() returns (connections wait in its backlog); only an
        # external emulator behind it can still fail to answer. Probing the embedded one
        # would cost moto a whole backend (an unsigned GET / is routed to S3) for nothing.
        if self.backend_url is not None:
            wait_reachable(self.endpoint_url)

    def stop(self) -> None:
        if self.edge is not None:
            self.edge.stop()
            self.edge = None

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def wait_reachable(endpoint_url: str) -> None:
    """Raise a clear error unless something answers HTTP at ``endpoint_url``."""
    try:
        with urllib.request.urlopen(endpoint_url, timeout=5):  # noqa: S310 - http(s) only
            pass
    except urllib.error.HTTPError:
        pass  # an HTTP answer of any status means an emulator is there
    except (urllib.error.URLError, OSError) as exc:
        raise EmulatorError(
            f"no AWS emulator answers at {endpoint_url} ({exc}); start one or drop --endpoint-url"
        ) from exc


class SharedSession(boto3.Session):
    """A session several threads create clients from: botocore's sessions are not
    thread-safe while they create a client (its clients are), so creation is serialised."""

    lock = threading.Lock()

    def client(self, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return super().client(*args, **kwargs)


@functools.cache
def session(region: str) -> boto3.Session:
    """The process's session for ``region`` with the emulator's credentials. One per
    region, kept: a new session costs 100-500 ms of JSON parsing and setup for its
    first client of each service, a kept one ~3-20 ms."""
    return SharedSession(
        region_name=region,
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        botocore_session=new_botocore_session(),
    )


def account_id(endpoint_url: str, region: str, attach: Callable[[Any], Any] | None = None) -> str:
    sts = session(region).client("sts", endpoint_url=endpoint_url)
    sts = attach(sts) if attach else sts
    return str(sts.get_caller_identity()["Account"])
