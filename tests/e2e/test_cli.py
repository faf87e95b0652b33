"""The localenv command line, run as a user runs it, in its own processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from localenv.workspace import alive
from tests.e2e.conftest import copy_project
from tests.e2e.stacks import children_of
from tests.template_model import ROOT


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def localenv(state: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "localenv", "--root", str(ROOT), "--state-dir", str(state), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=180,
    )


def test_up_detach_token_outputs_down_leaves_no_process(tmp_path: Path) -> None:
    state = tmp_path / "state"
    port, api_port = free_port(), free_port()
    up = localenv(
        state,
        "up",
        "--detach",
        "--port",
        str(port),
        "--api-port",
        str(api_port),
        "--stack-name",
        "clitest",
    )
    assert "ready" in up.stdout
    record = json.loads((state / "run.json").read_text())
    pid = record["pid"]
    assert alive(pid)
    try:
        outputs = json.loads(localenv(state, "outputs", "--json").stdout)
        assert outputs["AwsEndpointUrl"] == f"http://127.0.0.1:{port}"
        assert outputs["ApiEndpoint"] == f"http://127.0.0.1:{api_port}/prod/dataproc"
        for key in (
            "UserPoolId",
            "UserPoolClientId",
            "Region",
            "TableName",
            "AlarmTopicArn",
            "DemoUsername",
            "DemoPassword",
        ):
            assert outputs[key], key
        token = localenv(state, "token").stdout.strip()
        assert token.count(".") == 2
        assert "ready" in localenv(state, "status").stdout
        # The real AWS CLI against the local stack.
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        aws = Path(sys.executable).parent / "aws"
        if aws.exists():
            scan = subprocess.run(
                [
                    str(aws),
                    "--endpoint-url",
                    outputs["AwsEndpointUrl"],
                    "dynamodb",
                    "scan",
                    "--table-name",
                    outputs["TableName"],
                ],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            )
            assert json.loads(scan.stdout)["Count"] == 0
        # `reset` empties the data and keeps the stack.
        upload = tmp_path / "a.txt"
        upload.write_text("one\ntwo\n")
        assert localenv(state, "upload", str(upload), "--name", "a.txt").stdout.startswith("201")
        assert json.loads(localenv(state, "get").stdout)["uploads"][0]["name"] == "a.txt"
        assert "items deleted" in localenv(state, "reset").stdout
        assert json.loads(localenv(state, "get").stdout)["uploads"] == []
        workers = children_of(pid)
    finally:
        down = localenv(state, "down")
    assert "stopped" in down.stdout
    assert not alive(pid)
    assert not any(alive(child) for child in workers)
    assert not (state / "run.json").exists()
    assert localenv(state, "status", check=False).returncode == 3


def test_up_on_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = localenv(tmp_path / "s", "up", "--port", str(port), check=False)
    assert result.returncode == 1
    assert f"port {port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_endpoint_is_a_one_line_error(tmp_path: Path) -> None:
    result = localenv(
        tmp_path / "s", "up", "--endpoint-url", f"http://127.0.0.1:{free_port()}", check=False
    )
    assert result.returncode == 1
    assert "no AWS emulator answers" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_template_is_one_line_with_cfn_lint_and_line(tmp_path: Path) -> None:
    template = tmp_path / "bad.yaml"
    template.write_text(
        "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicNam: x\n"
    )
    result = localenv(
        tmp_path / "s",
        "up",
        "--template",
        str(template),
        "--port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        check=False,
    )
    assert result.returncode == 1
    error = result.stderr.strip().splitlines()[-1]
    assert "AWS::SNS::Topic.TopicNam" in error
    assert "cfn-lint E3002 line 5" in error
    assert "Traceback" not in result.stderr


def test_build_failure_is_a_one_line_error(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    (root / "handlers" / "requirements.txt").write_text("no-such-package-for-lambda==0.0.0\n")
    result = subprocess.run(
        [sys.executable, "-m", "localenv", "--root", str(root), "build"],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "could not install requirements.txt" in result.stderr
    assert "pip: ERROR: No matching distribution found" in result.stderr


def test_watch_rebuilds_and_recycles_when_handlers_change(tmp_path: Path) -> None:
    import time

    import requests

    from localenv.api_client import token

    root = copy_project(tmp_path)
    state = tmp_path / "state"
    run = [sys.executable, "-m", "localenv", "--root", str(root), "--state-dir", str(state)]
    subprocess.run(
        [
            *run,
            "up",
            "--detach",
            "--watch",
            "--port",
            str(free_port()),
            "--api-port",
            str(free_port()),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    try:
        outputs = json.loads((state / "outputs.json").read_text())
        headers = {"Authorization": f"Bearer {token(outputs)}", "Content-Type": "text/plain"}

        def title() -> str:
            response = requests.post(outputs["ApiEndpoint"], data=b"", headers=headers, timeout=30)
            return str(response.json()["title"])

        assert title() == "Empty body"
        problems = root / "handlers" / "problems.py"
        problems.write_text(problems.read_text().replace('"Empty body")', '"Empty body, edited")'))
        deadline = time.monotonic() + 60
        while title() != "Empty body, edited" and time.monotonic() < deadline:
            time.sleep(0.5)
        assert title() == "Empty body, edited"
    finally:
        subprocess.run([*run, "down"], check=True, capture_output=True, timeout=60)
