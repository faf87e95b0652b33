"""README's "Deploy to AWS", run verbatim against the local stack as far as it can be.

The local stack stands in for AWS: the AWS CLI talks to its emulator (AWS_ENDPOINT_URL).
Not run, because the emulator has no CloudFormation of this stack: `aws cloudformation
deploy`, `describe-stacks` (the outputs come from the local stack instead), `delete-stack`
and its `wait`. Everything else runs as written, in order.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess
from tests.e2e.conftest import copy_project
from tests.e2e.stacks import STOPS
from tests.template_model import ROOT

NOT_LOCAL = (
    "aws cloudformation deploy",
    "aws cloudformation delete-stack",
    "aws cloudformation wait",
    "out() {",
    "POOL=$(out",
)


def readme_blocks() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploy to AWS") : readme.index("## Tests")]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def runnable(block: str) -> list[str]:
    return [line for line in block.splitlines() if not line.startswith(NOT_LOCAL)]


def test_the_readme_aws_commands_run_in_order_against_the_local_stack(
    tmp_path: Path, localenv_backend_args: list[str]
) -> None:
    blocks = readme_blocks()
    commands = [line for block in blocks for line in block.splitlines()]
    # Every step a user needs, in order.
    steps = [
        "aws s3 mb",
        "aws cloudformation package",
        "localenv package",
        "aws cloudformation deploy",
        "admin-create-user",
        "initiate-auth",
        "curl -sS -X POST",
        'curl -sS "$API"',
        "aws cloudwatch set-alarm-state",
        "aws cloudformation delete-stack",
        "aws dynamodb delete-table",
        "aws cognito-idp delete-user-pool",
    ]
    positions = [next(i for i, c in enumerate(commands) if step in c) for step in steps]
    assert positions == sorted(positions), steps
    region = re.search(r"^export AWS_DEFAULT_REGION=(\S+)$", blocks[0], re.M)
    assert region

    root = copy_project(tmp_path)
    stack = StackProcess.start(
        root,
        tmp_path / "state",
        "--stack-name",
        "dataproc",
        "--region",
        region.group(1),
        "--alarm-interval",
        "3600",
        *localenv_backend_args,
    )
    try:
        outputs = stack.outputs
        bin_dir = Path(sys.executable).parent
        assert (bin_dir / "aws").exists(), "the AWS CLI (awscli) is needed"
        env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "AWS_ENDPOINT_URL": outputs["AwsEndpointUrl"],
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
        from_stack = (
            f"POOL={outputs['UserPoolId']}; CLIENT={outputs['UserPoolClientId']}; "
            f"API={outputs['ApiEndpoint']}"
        )
        lines = [
            *runnable(blocks[0]),
            from_stack,
            *runnable(blocks[1]),
            *runnable(blocks[2]),
            *runnable(blocks[3]),
            *runnable(blocks[4]),
        ]
        # Each line as written, then a marker: its output is what precedes the marker.
        script = "\n".join(
            ["set -euo pipefail"] + [f"{line}\necho; echo '@@ {i}'" for i, line in enumerate(lines)]
        )
        run = subprocess.run(
            ["/bin/bash", "-c", script],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        said = dict(
            (int(m.group(2)), m.group(1).strip())
            for m in re.finditer(r"(.*?)\n@@ (\d+)\n", run.stdout, re.S)
        )
        post = next(i for i, line in enumerate(lines) if line.startswith("curl -sS -X POST"))
        created = json.loads(said[post])
        assert created["name"] == "notes.txt" and created["uploadId"]
        assert created["lines"] == 2
        listed = json.loads(said[post + 1])
        assert [u["uploadId"] for u in listed["uploads"]] == [created["uploadId"]]

        deployed = (root / "build" / "deploy.yaml").read_text()
        assert re.search(r"^  ApiDeployment[0-9a-f]{10}:$", deployed, re.M)
        session = emulator.session(region.group(1))

        def client(service: str) -> object:
            return session.client(service, endpoint_url=outputs["AwsEndpointUrl"])

        cloudwatch = client("cloudwatch")
        (alarm,) = cloudwatch.describe_alarms(  # type: ignore[attr-defined]
            AlarmNames=["dataproc-authorizer-errors"]
        )["MetricAlarms"]
        assert alarm["StateReason"] == "Testing the alarm route"
        control = json.loads((stack.state_dir / "run.json").read_text())["control_url"]
        evaluated = requests.post(
            f"{control}/alarms/evaluate", params={"next_period": 60}, timeout=60
        ).json()
        assert {"alarm": "dataproc-authorizer-errors", "old": "ALARM", "new": "OK"} in [
            {k: c[k] for k in ("alarm", "old", "new")} for c in evaluated["changes"]
        ]
        tables = client("dynamodb").list_tables()["TableNames"]  # type: ignore[attr-defined]
        assert "dataproc-data" not in tables
        pools = client("cognito-idp").list_user_pools(MaxResults=60)["UserPools"]  # type: ignore[attr-defined]
        assert outputs["UserPoolId"] not in [p["Id"] for p in pools]
    finally:
        STOPS.stop(stack)
