"""The execution environment as AWS builds it, probed by an introspection function.

Expected values: AWS's python3.12 runtime as LocalStack's AWS-validated snapshots record
it (tests/aws/services/lambda_/test_lambda.snapshot.json: test_runtime_introspection_x86,
test_runtime_ulimits, test_lambda_too_large_response, test_assume_role) and
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess, free_port
from localenv.runtime import sandbox
from localenv.runtime.sandbox import namespaces_available
from tests.e2e.stacks import STOPS
from tests.template_model import ROOT

TEMPLATE = Path(__file__).parent / "stack" / "sandbox.yaml"
# A host clock in UTC+14: its local date is a day ahead of UTC for ten hours of each day.
HOST_TZ = "Pacific/Kiritimati"


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    previous = os.environ.get("TZ")
    os.environ["TZ"] = HOST_TZ  # the harness runs in a far time zone; Lambda names in UTC
    try:
        process = StackProcess.start(
            ROOT,
            tmp_path_factory.mktemp("sbx"),
            "--template",
            str(TEMPLATE),
            "--stack-name",
            "sbx",
            *localenv_backend_args,
        )
    finally:
        restore_tz(previous)
    try:
        yield process
    finally:
        STOPS.stop(process)


def restore_tz(previous: str | None) -> None:
    if previous is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = previous


@pytest.fixture(scope="module")
def facts(stack: StackProcess) -> dict[str, Any]:
    response = requests.get(f"{stack.outputs['ApiEndpoint']}/introspect", timeout=60)
    assert response.status_code == 200, response.text
    return dict(response.json())


def log_messages(stack: StackProcess) -> list[str]:
    logs = emulator.session("us-east-1").client(
        "logs", endpoint_url=stack.outputs["AwsEndpointUrl"]
    )
    try:
        events = logs.filter_log_events(logGroupName="/aws/lambda/sbx-introspect")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def test_namespaces_are_available_on_this_machine() -> None:
    # These machines (and CI) run as root in a VM: the sandbox, not the fallback, is tested.
    assert namespaces_available()


def test_only_the_runtimes_packages_import(facts: dict[str, Any]) -> None:
    assert facts["python"] == "3.12"
    assert facts["executable"] == "/var/lang/bin/python3.12"
    assert not any(facts["importable"].values()), facts["importable"]
    assert facts["boto3"] == "/var/runtime/boto3/__init__.py"
    assert facts["sys_path"][:2] == ["/var/task", "/var/runtime"]
    assert all(p.startswith("/var/") for p in facts["sys_path"]), facts["sys_path"]


def test_code_is_at_var_task_read_only_owned_by_root(facts: dict[str, Any]) -> None:
    assert facts["cwd"] == "/var/task"
    assert "introspect.py" in facts["task_files"]
    assert facts["task_write"] == "Read-only file system"
    assert facts["task_owner"] == 0
    assert facts["uid"] == 993  # Lambda's sandbox user, not root


def test_tmp_is_private_empty_and_sized_by_ephemeral_storage(facts: dict[str, Any]) -> None:
    assert facts["tmp_at_init"] == []
    assert facts["tmp_write"] is None
    assert facts["tmp_mb"] == 600  # EphemeralStorage.Size in the template


def test_path_holds_lambdas_directories_and_no_host_tools(facts: dict[str, Any]) -> None:
    env = facts["env"]
    assert env["PATH"] == "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
    assert env["LD_LIBRARY_PATH"] == (
        "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:"
        "/var/task:/var/task/lib:/opt/lib"
    )
    assert facts["which"]["python3"] == "/var/lang/bin/python3"
    assert facts["which"]["gcc"] is None
    assert facts["which"]["aws"] is None
    assert facts["which"]["sh"] is not None
    assert env["PWD"] == "/var/task"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["PYTHONPATH"] == "/var/runtime"
    assert facts["nofile"] == [1024, 1024]


def test_tz_is_not_reserved_so_the_functions_value_is_kept(facts: dict[str, Any]) -> None:
    assert facts["env"]["TZ"] == "Pacific/Kiritimati"


def test_calls_are_made_as_the_roles_session(facts: dict[str, Any]) -> None:
    assert re.fullmatch(
        r"arn:aws:sts::\d{12}:assumed-role/sbx-introspect/sbx-introspect", facts["caller"]
    )


def test_the_log_stream_is_dated_in_utc(facts: dict[str, Any]) -> None:
    now = datetime.datetime.now(datetime.UTC)
    dates = {(now + datetime.timedelta(minutes=d)).strftime("%Y/%m/%d") for d in (-5, 0)}
    assert facts["log_stream"][:10] in dates


def test_a_7_mib_response_is_502_and_the_log_says_why(stack: StackProcess) -> None:
    url = f"{stack.outputs['ApiEndpoint']}/introspect?bytes={7 * 1024 * 1024}"
    response = requests.get(url, timeout=60)
    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}
    why = "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    assert any(why in m for m in eventually(lambda: log_messages(stack), why))


def eventually(read: Any, needle: str) -> list[str]:
    deadline = time.monotonic() + 30  # log delivery is batched; the machine may be busy
    while True:
        messages: list[str] = read()
        if any(needle in m for m in messages) or time.monotonic() > deadline:
            return messages
        time.sleep(0.2)


def test_a_reserved_variable_in_the_template_fails_the_deploy(
    tmp_path: Path, localenv_backend_args: list[str]
) -> None:
    text = TEMPLATE.read_text().replace(
        "          TZ: Pacific/Kiritimati\n",
        "          TZ: Pacific/Kiritimati\n          AWS_REGION: eu-west-1\n",
    )
    (tmp_path / "functions").symlink_to(TEMPLATE.parent / "functions")
    (tmp_path / "sandbox.yaml").write_text(text)
    lines = text.splitlines()
    line = lines.index("  IntrospectFunction:") + 2  # the resource's first line (Type:)
    key_line = lines.index("          AWS_REGION: eu-west-1") + 1
    with pytest.raises(RuntimeError) as failed:
        StackProcess.start(
            ROOT,
            tmp_path / "state",
            "--template",
            str(tmp_path / "sandbox.yaml"),
            "--stack-name",
            "reserved",
            *localenv_backend_args,
        )
    message = str(failed.value)
    assert f"IntrospectFunction (AWS::Lambda::Function, line {line})" in message
    assert f"Environment.Variables.AWS_REGION (line {key_line})" in message
    assert "Reserved keys used in this request: AWS_REGION" in message


def test_a_missing_interpreter_is_said_on_the_console_and_in_status(
    tmp_path: Path, localenv_backend_args: list[str]
) -> None:
    # No python3.14 on these machines: the function runs on another Python, said loudly,
    # and still sees only the runtime's packages (never the harness's site-packages).
    text = TEMPLATE.read_text().replace("Runtime: python3.12", "Runtime: python3.14")
    (tmp_path / "functions").symlink_to(TEMPLATE.parent / "functions")
    (tmp_path / "sandbox.yaml").write_text(text)
    state = tmp_path / "state"
    up = StackProcess.run(
        ROOT, state, "up", "--detach", "--port", str(free_port()), "--api-port",
        str(free_port()), "--template", str(tmp_path / "sandbox.yaml"),
        "--stack-name", "py314", *localenv_backend_args,
    )  # fmt: skip
    stack = StackProcess(ROOT, state, {})
    try:
        assert up.returncode == 0, up.stderr
        assert "WARNING: no python3.14" in up.stdout
        assert "pyenv install 3.14" in up.stdout
        status = StackProcess.run(ROOT, state, "status")
        assert "WARNING: no python3.14" in status.stdout
        url = json.loads((state / "outputs.json").read_text())["ApiEndpoint"]
        facts = requests.get(f"{url}/introspect", timeout=60).json()
        assert not any(facts["importable"].values()), facts["importable"]
        assert facts["executable"].startswith("/var/lang/bin/python3.")
    finally:
        STOPS.stop(stack)


def test_an_unhandled_error_is_one_event_with_newlines_and_lambdas_paths(
    stack: StackProcess,
) -> None:
    response = requests.get(f"{stack.outputs['ApiEndpoint']}/introspect?fail=1", timeout=60)
    assert response.status_code == 502
    needle = "[ERROR] ValueError: introspection failed on purpose"
    record = next(m for m in eventually(lambda: log_messages(stack), needle) if needle in m)
    assert "\r" not in record
    assert "\nTraceback (most recent call last):\n" in record
    assert 'File "/var/task/introspect.py"' in record
    files = re.findall(r'File "([^"]+)"', record)
    assert files and all(f.startswith(("/var/task/", "/var/runtime/")) for f in files), files
    assert record.endswith("\n")


def test_max_memory_used_is_measured_after_a_crash(stack: StackProcess) -> None:
    response = requests.get(f"{stack.outputs['ApiEndpoint']}/introspect?crash=1", timeout=60)
    assert response.status_code == 502
    # The crashed worker touched 96 MiB; no other invocation of the stack comes near that.
    assert max(eventually_peaks(stack)) >= 96


def eventually_peaks(stack: StackProcess) -> list[int]:
    """Max Memory Used of every REPORT, once one of 96 MB or more has arrived."""
    deadline = time.monotonic() + 30  # log delivery is batched; the machine may be busy
    while True:
        found = [re.search(r"Max Memory Used: (\d+) MB", m) for m in log_messages(stack)]
        peaks = [int(f.group(1)) for f in found if f is not None] or [0]
        if max(peaks) >= 96 or time.monotonic() > deadline:
            return peaks
        time.sleep(0.2)


def test_a_cold_start_logs_init_start_and_every_event_ends_with_a_newline(
    stack: StackProcess, facts: dict[str, Any]
) -> None:
    messages = eventually(lambda: log_messages(stack), "REPORT ")
    assert messages[0].startswith("INIT_START Runtime Version: python:3.12.")
    assert "\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:" in messages[0]
    assert all(m.endswith("\n") for m in messages)
    assert all(m.endswith("\t\n") for m in messages if m.startswith("REPORT "))


def test_the_fallback_hides_the_harness_packages_and_copies_the_code_read_only(
    tmp_path: Path,
) -> None:
    # Where no namespaces exist: a read-only copy, a private TMPDIR, no site-packages.
    code = tmp_path / "code"
    code.mkdir()
    (code / "m.py").write_text("VALUE = 1\n")
    root = tmp_path / "root"
    root.mkdir()
    layout = sandbox.layout_of(sys.executable)
    box = sandbox.FallbackSandbox(sandbox.SandboxSpec(root, code, code, layout, 512))
    box.prepare()
    probe = (
        "import importlib.util, os, m; print(importlib.util.find_spec('requests') is None, "
        "os.stat(os.environ['LAMBDA_TASK_ROOT'] + '/m.py').st_mode & 0o222, os.environ['TMPDIR'])"
    )
    done = subprocess.run(
        box.command([sys.executable, "-c", probe]),
        cwd=box.cwd,
        env={"PATH": os.environ["PATH"], **box.environment()},
        capture_output=True,
        text=True,
        check=True,
    )
    # no write bits (root ignores them: the fallback says so)
    assert done.stdout.split() == ["True", "0", str(root / "tmp")]
    sandbox.make_writable(root)
