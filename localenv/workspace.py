"""The files of a local stack under ``.localenv/``: run record, state, outputs, log."""

from __future__ import annotations

import enum
import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from localenv.errors import LocalenvError

DIRECTORY = ".localenv"


class OutputsMissingError(LocalenvError, FileNotFoundError):
    """No stack has written its outputs here yet."""


@dataclass(frozen=True)
class Workspace:
    """The project ``root`` (template, handlers) and the ``state`` directory of one stack."""

    root: Path
    state: Path | None = None

    @property
    def directory(self) -> Path:
        return self.state or self.root / DIRECTORY

    @property
    def run_file(self) -> Path:
        return self.directory / "run.json"

    @property
    def state_file(self) -> Path:
        return self.directory / "state.json"

    @property
    def outputs_file(self) -> Path:
        return self.directory / "outputs.json"

    @property
    def log_file(self) -> Path:
        return self.directory / "up.log"

    @property
    def iam_report_file(self) -> Path:
        """The IAM usage report a stopped stack leaves (`localenv iam report`)."""
        return self.directory / "iam-report.json"

    @property
    def template(self) -> Path:
        return self.root / "cloudformation" / "template.yaml"


class RunStatus(enum.StrEnum):
    STARTING = "starting"
    READY = "ready"


@dataclass
class RunRecord:
    """What a running ``localenv up`` publishes about itself."""

    pid: int
    endpoint_url: str
    emulator_id: str
    embedded: bool
    stack_name: str
    region: str
    status: RunStatus
    api_url: str = ""
    control_url: str = ""
    host: str = field(default_factory=socket.gethostname)

    def __post_init__(self) -> None:
        self.status = RunStatus(self.status)  # read back from JSON as its value

    def write(self, workspace: Workspace) -> None:
        workspace.directory.mkdir(parents=True, exist_ok=True)
        temporary = workspace.run_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=1))
        temporary.replace(workspace.run_file)

    @classmethod
    def read(cls, workspace: Workspace) -> RunRecord | None:
        try:
            return cls(**json.loads(workspace.run_file.read_text()))
        except (OSError, ValueError, TypeError):  # absent, half-written, or another version
            return None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running(workspace: Workspace) -> RunRecord | None:
    """The record of a live ``localenv up`` in this workspace, if any."""
    record = RunRecord.read(workspace)
    # A record written in a container (a mounted .localenv) names another host's pid.
    if record is None or record.host != socket.gethostname() or not alive(record.pid):
        return None
    return record


def read_outputs(workspace: Workspace) -> dict[str, Any]:
    try:
        outputs: dict[str, Any] = json.loads(workspace.outputs_file.read_text())
    except (OSError, ValueError) as exc:
        raise OutputsMissingError(
            f"{workspace.outputs_file} not found: run `localenv up` first"
        ) from exc
    return outputs
