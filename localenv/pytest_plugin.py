"""pytest plugin: test your changes against the local stack, the way this project does.

Fixtures:

- ``localenv_stack`` (session): brings the stack up (``localenv up --detach`` on
  free ports, its own state directory) and down again; yields its outputs.
  ``--localenv-in-process`` runs that same default stack inside the test process
  instead, through ``LocalStack`` (no second interpreter; moto's state is this
  process's, so do not combine it with tests that reset an in-process moto).
  ``--localenv-endpoint URL`` runs it against an emulator someone else runs;
  ``--localenv-outputs PATH`` attaches to a stack already running (nothing is
  started or stopped).
- ``localenv_user``: a fresh Cognito user with an access token.
- ``localenv_token``: that user's access token.
- ``api_client``: an HTTP client bound to ``ApiEndpoint``, sending the token.
- ``localenv_faults``: the stack's fault rules (``localenv faults``):
  ``localenv_faults.add("dynamodb", error="ProvisionedThroughputExceededException",
  rate=0.3)``; cleared after the test. Needs a stack this session started.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import cognito_users, emulator
from localenv.fault_client import Faults

START_TIMEOUT_SECONDS = 300
CONTROL_URL = pytest.StashKey[str]()  # the started stack's control server


BACKENDS = ("embedded", "moto-process", "external", "attach", "compose", "localstack")
# Stacks someone else runs, attached by the outputs file they write (docker-compose.yml).
ATTACHED_OUTPUTS = {
    "compose": ".localenv/outputs.json",
    "localstack": ".localenv/localstack-outputs.json",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localenv", "the local stack")
    group.addoption(
        "--localenv-backend",
        choices=BACKENDS,
        default=None,
        help="embedded moto (default); moto-process: a moto server in its own "
        "process, attached with --endpoint-url; external: the emulator at "
        "--localenv-endpoint; attach: a running stack's --localenv-outputs; "
        "compose / localstack: the docker compose stacks, by their outputs files",
    )
    group.addoption(
        "--localenv-in-process",
        action="store_true",
        help="embedded backend: run the stack in the test process (LocalStack) instead of "
        "a `localenv up --detach` process",
    )
    group.addoption(
        "--localenv-endpoint",
        default=None,
        help="AWS endpoint URL of an emulator to deploy into (backend external)",
    )
    group.addoption(
        "--localenv-outputs",
        default=None,
        help="outputs.json of a running stack to attach to (backend attach)",
    )


def backend(config: pytest.Config) -> str:
    chosen = config.getoption("--localenv-backend")
    if chosen:
        return str(chosen)
    if config.getoption("--localenv-outputs"):
        return "attach"
    return "external" if config.getoption("--localenv-endpoint") else "embedded"


class MotoProcess:
    """moto's server in a process of its own: the wiring any external emulator uses.
    The constructor stores nothing yet; ``start()`` picks a free port, spawns it and returns
    once it answers at ``url``."""

    def __init__(self) -> None:
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter running moto
            [sys.executable, "-m", "localenv.moto_server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                emulator.wait_reachable(self.url)
            except emulator.EmulatorError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)
            else:
                return

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


@pytest.fixture(scope="session")
def localenv_backend_args(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Extra `localenv up` arguments that put a stack on the selected backend."""
    chosen = backend(request.config)
    if chosen in {"attach", *ATTACHED_OUTPUTS}:
        pytest.fail(f"this test deploys its own stack; it cannot run on the {chosen} backend")
    if chosen == "external":
        yield ["--endpoint-url", str(request.config.getoption("--localenv-endpoint"))]
    elif chosen == "moto-process":
        server = MotoProcess()
        server.start()
        try:
            yield ["--endpoint-url", server.url]
        finally:
            server.stop()
    else:
        yield []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class StackProcess:
    """A ``localenv up --detach`` started by a test session."""

    root: Path
    state_dir: Path
    outputs: dict[str, Any]

    @classmethod
    def start(cls, root: Path, state_dir: Path, *extra: str) -> StackProcess:
        result = cls.run(
            root,
            state_dir,
            "up",
            "--detach",
            "--port",
            str(free_port()),
            "--api-port",
            str(free_port()),
            *extra,
        )
        if result.returncode != 0:
            raise RuntimeError(f"localenv up failed:\n{result.stdout}\n{result.stderr}")
        outputs = json.loads((state_dir / "outputs.json").read_text())
        return cls(root, state_dir, outputs)

    @staticmethod
    def run(root: Path, state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "localenv",
            "--root",
            str(root),
            "--state-dir",
            str(state_dir),
            *args,
        ]
        return subprocess.run(  # noqa: S603 - this interpreter running localenv
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=START_TIMEOUT_SECONDS,
        )

    @property
    def pid(self) -> int:
        return int(json.loads((self.state_dir / "run.json").read_text())["pid"])

    @property
    def control_url(self) -> str:
        return str(json.loads((self.state_dir / "run.json").read_text())["control_url"])

    def stop(self) -> None:
        self.run(self.root, self.state_dir, "down")


@pytest.fixture(scope="session")
def localenv_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    chosen = backend(request.config)
    if chosen in {"attach", *ATTACHED_OUTPUTS}:
        path = request.config.getoption("--localenv-outputs") or ATTACHED_OUTPUTS[chosen]
        yield json.loads((Path(request.config.rootpath) / path).read_text())
        return
    if chosen == "embedded" and request.config.getoption("--localenv-in-process"):
        yield from in_process_stack(request, tmp_path_factory)
        return
    extra = request.getfixturevalue("localenv_backend_args")
    stack = StackProcess.start(
        Path(request.config.rootpath),
        tmp_path_factory.mktemp("localenv"),
        "--stack-name",
        f"t{uuid.uuid4().hex[:8]}",
        *extra,
    )
    request.config.stash[CONTROL_URL] = stack.control_url
    try:
        yield stack.outputs
    finally:
        stack.stop()


def in_process_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """The default stack, run by ``LocalStack`` in this process on free ports."""
    from localenv.local_stack import LocalStack, RunOptions  # noqa: PLC0415 - only when chosen
    from localenv.stack import StackOptions  # noqa: PLC0415

    options = StackOptions(
        root=Path(request.config.rootpath),
        stack_name=f"t{uuid.uuid4().hex[:8]}",
        api_port=free_port(),
        state_dir=tmp_path_factory.mktemp("localenv"),
    )
    with LocalStack(options, RunOptions(port=free_port())) as stack:
        request.config.stash[CONTROL_URL] = stack.record.control_url
        yield stack.outputs


def cognito(outputs: dict[str, Any]) -> Any:
    return emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )


@dataclass(frozen=True)
class User:
    username: str
    password: str
    token: str


def new_user(outputs: dict[str, Any]) -> User:
    username = f"user-{uuid.uuid4().hex[:12]}@example.com"
    password = f"Pw-{uuid.uuid4().hex[:12]}!9A"
    client = cognito(outputs)
    cognito_users.add_user(client, outputs["UserPoolId"], username, password)
    token = cognito_users.access_token(client, outputs["UserPoolClientId"], username, password)
    return User(username, password, token)


@pytest.fixture
def localenv_user(localenv_stack: dict[str, Any]) -> User:
    return new_user(localenv_stack)


@pytest.fixture
def localenv_token(localenv_user: User) -> str:
    return localenv_user.token


class ApiClient(requests.Session):
    """requests bound to the stack's ApiEndpoint: ``api_client.get("")``, ``.post("", ...)``."""

    def __init__(self, base_url: str, token: str | None):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        target = url
        if not target.startswith("http"):
            target = self.base_url + (f"/{target.lstrip('/')}" if target else "")
        return super().request(method, target, *args, **kwargs)


@pytest.fixture
def api_client(localenv_stack: dict[str, Any], localenv_token: str) -> Iterator[ApiClient]:
    with ApiClient(localenv_stack["ApiEndpoint"], localenv_token) as client:
        yield client


@pytest.fixture
def localenv_faults(
    request: pytest.FixtureRequest, localenv_stack: dict[str, Any]
) -> Iterator[Faults]:
    url = request.config.stash.get(CONTROL_URL, "")
    if not url:
        raise pytest.UsageError("localenv_faults needs a stack this session started, not attached")
    faults = Faults(url)
    faults.clear()
    yield faults
    faults.clear()
