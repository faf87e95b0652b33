"""The stack as one object, in this process: start() returns when the API answers,
stop() leaves no port, thread-served worker or run record behind."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from localenv import api_client, emulator
from localenv.local_stack import LocalStack, RunOptions
from localenv.pytest_plugin import free_port
from localenv.stack import StackOptions
from localenv.template_loader import TemplateError
from localenv.workspace import RunRecord, RunStatus, alive
from tests.e2e.conftest import copy_project
from tests.template_model import ROOT


def new_stack(root: Path, state: Path, name: str = "object") -> LocalStack:
    # Embedded moto is this process's: each test's stack has a name of its own.
    options = StackOptions(root=root, stack_name=name, api_port=free_port(), state_dir=state)
    return LocalStack(options, RunOptions(port=free_port()))


def test_start_serves_the_api_and_stop_leaves_nothing(tmp_path: Path) -> None:
    local = new_stack(ROOT, tmp_path)
    with local:
        record = RunRecord.read(local.workspace)
        assert record is not None and record.status == RunStatus.READY
        response = api_client.upload(local.outputs, b"one\ntwo\n", "object.txt")
        assert response.status_code == 201, response.text
        workers = local.api.runtime.pids()
        assert workers
    assert not emulator.port_in_use("127.0.0.1", local.options.api_port)
    assert not emulator.port_in_use("127.0.0.1", local.run.port)
    assert not any(alive(pid) for pid in workers if not zombie(pid))
    assert not local.workspace.run_file.exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(local.outputs["ApiEndpoint"], timeout=5)


def test_the_stack_s_own_calls_reach_its_edge_without_a_socket(tmp_path: Path) -> None:
    local = new_stack(ROOT, tmp_path, "own-calls")
    with local:
        table = local.outputs["TableName"]
        edge = local.emulator.edge
        assert edge is not None
        edge.stop()  # its HTTP server (connections already open would still be served)
        dynamodb = local.context().client("dynamodb")
        assert dynamodb.describe_table(TableName=table)["Table"]["TableName"] == table
        # A client the stack had not made: over HTTP it would need a new connection.
        assert local.context().client("kinesis").list_streams()["StreamNames"] == []
    # A thread of the stack still flushing while it stops is answered, as its open
    # keep-alive connection to the edge's HTTP server was, not refused.
    assert dynamodb.describe_table(TableName=table)["Table"]["TableStatus"] == "ACTIVE"


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def test_a_failed_start_stops_what_it_started(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    template = root / "cloudformation" / "template.yaml"
    template.write_text(template.read_text().replace("Resources:", "Resources:\n  - not a map", 1))
    local = new_stack(root, tmp_path / "state")
    with pytest.raises(TemplateError):
        local.start()
    assert not emulator.port_in_use("127.0.0.1", local.run.port)
    assert not local.workspace.run_file.exists()
