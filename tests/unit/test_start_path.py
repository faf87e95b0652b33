"""What the start path keeps instead of redoing: the detached start's own reading of
the command line, the process's SDK sessions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from localenv import detach, emulator
from localenv.edge.operations import data_loader


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["up", "--detach"], {}),
        (["--root", "r", "up", "--port", "1", "--detach"], {"--root": "r"}),
        (["--state-dir=s", "--root=r", "up", "--detach"], {"--state-dir": "s", "--root": "r"}),
    ],
)
def test_the_plain_detached_up_is_read_without_the_full_parser(
    argv: list[str], expected: dict[str, str]
) -> None:
    assert detach.top_options(argv) == expected


@pytest.mark.parametrize(
    "argv",
    [
        ["up"],  # foreground
        ["down", "--detach"],  # not `up`
        ["--sta", "s", "up", "--detach"],  # an abbreviation: the full parser decides
        ["--root"],  # no value
        ["up", "--detach", "--help"],
        ["status"],
    ],
)
def test_every_other_command_line_goes_to_the_full_parser(argv: list[str]) -> None:
    assert detach.top_options(argv) is None


def test_a_stack_already_running_gets_the_full_command(tmp_path: Path) -> None:
    # Nothing runs in an empty state directory: only then does the fast path start one,
    # so with a live run record (this process) it declines and `up` applies the template.
    state = tmp_path / "state"
    record = detach.RunRecord(
        os.getpid(), "http://x", "id", True, "s", "us-east-1", detach.RunStatus.READY
    )
    record.write(detach.Workspace(tmp_path, state))
    argv = ["--root", str(tmp_path), "--state-dir", str(state), "up", "--detach"]
    assert detach.fast_path(argv) is None


def test_one_session_per_region_sharing_one_loader() -> None:
    east, west = emulator.session("us-east-1"), emulator.session("eu-west-1")
    assert emulator.session("us-east-1") is east
    assert east is not west
    assert east._session.get_component("data_loader") is data_loader()
    assert west._session.get_component("data_loader") is data_loader()
    client = west.client("dynamodb", endpoint_url="http://127.0.0.1:9")
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.service_model.service_name == "dynamodb"
