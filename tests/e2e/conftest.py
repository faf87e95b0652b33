"""E2E fixtures: an emulator on a free port, and the stack deployed into it."""

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
from tests.template_model import ROOT


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
