"""pytest plugin: test your changes against the local stack, the way this project does.

Fixtures:

- ``localenv_stack`` (session): brings the stack up (``localenv up --detach`` on
  free ports, its own state directory) and down again; yields its outputs.
  ``--localenv-endpoint URL`` runs it against an emulator someone else runs;
  ``--localenv-outputs PATH`` attaches to a stack already running (nothing is
  started or stopped).
- ``localenv_user``: a fresh Cognito user with an access token.
- ``localenv_token``: that user's access token.
- ``api_client``: an HTTP client bound to ``ApiEndpoint``, sending the token.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import cognito_users, emulator

START_TIMEOUT_SECONDS = 300


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("localenv", "the local stack")
    group.addoption(
        "--localenv-endpoint",
        default=None,
        help="AWS endpoint URL of an emulator to deploy into (default: embedded moto)",
    )
    group.addoption(
        "--localenv-outputs",
        default=None,
        help="outputs.json of a running stack to attach to instead of starting one",
    )


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

    def stop(self) -> None:
        self.run(self.root, self.state_dir, "down")


@pytest.fixture(scope="session")
def localenv_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    attach = request.config.getoption("--localenv-outputs")
    if attach:
        yield json.loads(Path(attach).read_text())
        return
    extra = []
    endpoint = request.config.getoption("--localenv-endpoint")
    if endpoint:
        extra = ["--endpoint-url", endpoint]
    stack = StackProcess.start(
        Path(request.config.rootpath),
        tmp_path_factory.mktemp("localenv"),
        "--stack-name",
        f"t{uuid.uuid4().hex[:8]}",
        *extra,
    )
    try:
        yield stack.outputs
    finally:
        stack.stop()


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
