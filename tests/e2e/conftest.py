"""E2E fixtures: an emulator on a free port, and the stack deployed into it; the stacks
stopped in the background waited for; on an --endpoint-url backend, only the tests whose
stack that backend carries."""

from __future__ import annotations

import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from localenv import emulator, stack
from localenv.build import build
from localenv.pytest_plugin import backend
from tests.e2e.stacks import STOPS
from tests.template_model import ROOT

# The backends that put a stack on an emulator of their own (`--endpoint-url`).
ENDPOINT_BACKENDS = frozenset({"moto-process", "external"})
# A test that requests neither deploys onto the chosen backend: it would run exactly as in
# the default (embedded) run.
BACKEND_FIXTURES = frozenset({"localenv_backend_args", "localenv_stack"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an --endpoint-url backend, deselect (reported as deselected) the tests whose stacks
    ignore it: their own emulators, in-process stacks, the runtime alone. The default run
    (tox's e2e) runs them; running them again here would test nothing new."""
    if backend(config) not in ENDPOINT_BACKENDS:
        return
    same = [item for item in items if not BACKEND_FIXTURES & set(fixtures_of(item))]
    if same:
        config.hook.pytest_deselected(items=same)
        items[:] = [item for item in items if item not in same]


def fixtures_of(item: pytest.Item) -> list[str]:
    """Every fixture the test requests, directly or through other fixtures."""
    return list(getattr(item, "fixturenames", []))


@pytest.fixture(scope="session", autouse=True)
def stacks_stopped(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every stack stopped in the background is down before the session ends, and before
    the session's shared emulator (moto-process) stops: it is requested first, so it is torn
    down after this fixture."""
    if backend(request.config) in ENDPOINT_BACKENDS:
        request.getfixturevalue("localenv_backend_args")
    yield
    STOPS.wait()


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A fresh moto server (its own state) on a free loopback port."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps one state per process: start every test from an empty emulator.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    yield endpoint
    server.stop()


@pytest.fixture
def stack_options(tmp_path: Path) -> stack.StackOptions:
    return stack.StackOptions(root=ROOT, stack_name="e2e", state_dir=tmp_path / "state")


def client(endpoint: str, service: str) -> Any:
    return emulator.session("us-east-1").client(service, endpoint_url=endpoint)


def copy_project(tmp_path: Path) -> Path:
    """A copy of the project (template, handlers, built artifact, cache) a test may edit."""
    build(ROOT)  # the artifact and its cache, copied below
    root = tmp_path / "project"
    shutil.copytree(ROOT / "cloudformation", root / "cloudformation")
    shutil.copytree(
        ROOT / "handlers", root / "handlers", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "build" / "lambda").mkdir(parents=True)
    shutil.copy(ROOT / "build" / "lambda" / "functions.zip", root / "build" / "lambda")
    shutil.copytree(ROOT / ".localenv" / "cache", root / ".localenv" / "cache")
    return root
