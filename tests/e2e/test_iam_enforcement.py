"""IAM at the stack's AWS endpoint: a function's calls are evaluated against its role.

Each test deploys a copy of the real template with the processor's role narrowed
(``dynamodb:BatchWriteItem`` removed), as a user would with ``localenv up --template``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from localenv import api_client, emulator
from localenv.pytest_plugin import StackProcess
from tests.e2e.conftest import copy_project
from tests.e2e.stacks import STOPS

GRANT = "Action: [dynamodb:PutItem, dynamodb:BatchWriteItem]"
# Over the one-write range (a few KB): stored PENDING -> chunks -> COMPLETE, so the
# upload needs BatchWriteItem, the grant the narrowed template takes away.
TEXT = "".join(f"line {n:05d} {'x' * 40}\n" for n in range(60)).encode()
LOG_WAIT_SECONDS = 20


def narrowed_project(tmp_path: Path) -> Path:
    root = copy_project(tmp_path)
    template = root / "cloudformation" / "template.yaml"
    text = template.read_text()
    assert text.count(GRANT) == 1, "the processor's write grant moved: update this test"
    template.write_text(text.replace(GRANT, "Action: [dynamodb:PutItem]"))
    return root


def start(tmp_path: Path, *extra: str) -> StackProcess:
    root = narrowed_project(tmp_path)
    return StackProcess.start(root, tmp_path / "state", "--stack-name", "iam", *extra)


@pytest.fixture
def enforced(tmp_path: Path) -> Iterator[StackProcess]:
    stack = start(tmp_path)
    try:
        yield stack
    finally:
        STOPS.stop(stack)


@pytest.fixture
def warned(tmp_path: Path) -> Iterator[StackProcess]:
    stack = start(tmp_path, "--iam", "warn")
    try:
        yield stack
    finally:
        STOPS.stop(stack)


def cli(stack: StackProcess, *args: str) -> str:
    result = StackProcess.run(stack.root, stack.state_dir, *args)
    return result.stdout


def logs_until(stack: StackProcess, wanted: str) -> str:
    """`localenv logs processor` once it shows ``wanted`` (log delivery is batched)."""
    deadline = time.monotonic() + LOG_WAIT_SECONDS
    output = cli(stack, "logs", "processor")
    while wanted not in output and time.monotonic() < deadline:
        time.sleep(0.25)
        output = cli(stack, "logs", "processor")
    return output


def table_arn(stack: StackProcess) -> str:
    return f"arn:aws:dynamodb:us-east-1:123456789012:table/{stack.outputs['TableName']}"


def test_a_write_the_role_does_not_grant_fails_the_upload_as_on_aws(
    enforced: StackProcess,
) -> None:
    response = api_client.upload(enforced.outputs, TEXT, "denied.txt")
    assert response.status_code == 502
    output = logs_until(enforced, "AccessDeniedException")
    assert "dynamodb:BatchWriteItem" in output
    assert table_arn(enforced) in output
    assert "assumed-role/" in output and "/iam-processor" in output
    listed = api_client.get(enforced.outputs)
    assert listed.status_code == 200
    assert listed.json()["uploads"] == []


def test_warn_mode_uploads_and_the_report_lists_the_missing_action(warned: StackProcess) -> None:
    response = api_client.upload(warned.outputs, TEXT, "warned.txt")
    assert response.status_code == 201
    assert api_client.get(warned.outputs, response.json()["uploadId"]).status_code == 200
    warning = logs_until(warned, "denied on AWS")
    assert "localenv iam (warn)" in warning and "dynamodb:BatchWriteItem" in warning
    result = StackProcess.run(warned.root, warned.state_dir, "iam", "report", "--json")
    assert result.returncode == 1, result.stderr
    report = {f["function"]: f for f in json.loads(result.stdout)["functions"]}
    missing = report["iam-processor"]["missing"]
    assert {"action": "dynamodb:BatchWriteItem", "resource": table_arn(warned)} in missing
    assert report["iam-reader"]["missing"] == []
    text = StackProcess.run(warned.root, warned.state_dir, "iam", "report").stdout
    assert f"missing  dynamodb:BatchWriteItem on {table_arn(warned)}" in text
    warned.stop()
    after = StackProcess.run(warned.root, warned.state_dir, "iam", "report")
    assert "the report of its last run" in after.stderr
    assert f"missing  dynamodb:BatchWriteItem on {table_arn(warned)}" in after.stdout


def test_the_stacks_own_credentials_pass_as_an_administrator(enforced: StackProcess) -> None:
    dynamodb = emulator.session("us-east-1").client(
        "dynamodb", endpoint_url=enforced.outputs["AwsEndpointUrl"]
    )
    table = enforced.outputs["TableName"]
    dynamodb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"S": "b"}}}}]}
    )
    assert dynamodb.scan(TableName=table)["Count"] == 1
    jwks = requests.get(enforced.outputs["JwksUrl"], timeout=10)
    assert jwks.status_code == 200 and jwks.json()["keys"]


@pytest.fixture
def real(tmp_path: Path) -> Iterator[StackProcess]:
    stack = StackProcess.start(copy_project(tmp_path), tmp_path / "state", "--stack-name", "real")
    try:
        yield stack
    finally:
        STOPS.stop(stack)


def test_the_real_template_grants_everything_its_functions_use(real: StackProcess) -> None:
    """Upload, replay, list, paginate, read: enforced, nothing missing in the report."""
    body = "".join(f"line {n:05d} {'x' * 200}\n" for n in range(3000)).encode()
    first = api_client.upload(real.outputs, body, "big.txt")
    assert first.status_code == 201, first.text
    assert api_client.upload(real.outputs, body, "big.txt").status_code == 200
    upload_id = first.json()["uploadId"]
    page = api_client.get(real.outputs, upload_id, limit=100)
    assert page.status_code == 200 and page.json()["nextCursor"]
    assert api_client.get(real.outputs, upload_id, page.json()["nextCursor"]).status_code == 200
    assert api_client.get(real.outputs, "0" * 32).status_code == 404
    assert api_client.get(real.outputs).json()["uploads"][0]["uploadId"] == upload_id
    result = StackProcess.run(real.root, real.state_dir, "iam", "report", "--json")
    assert result.returncode == 0, result.stdout
    report = {f["function"]: f for f in json.loads(result.stdout)["functions"]}
    assert all(entry["missing"] == [] for entry in report.values())
    used = {
        (u["action"], u["resource"].rsplit(":", 1)[-1]) for u in report["real-processor"]["used"]
    }
    assert ("dynamodb:BatchWriteItem", "table/real-data") in used
    assert ("dynamodb:PutItem", "table/real-data") in used
    reader = {u["action"] for u in report["real-reader"]["used"]}
    assert {"dynamodb:GetItem", "dynamodb:Query"} <= reader
    # Least privilege shown by running: every data grant was used by this session (the
    # byOwner index by the list); only X-Ray's, which Lambda uses on AWS, stays unused.
    for entry in report.values():
        assert all(u["action"].startswith("xray:") for u in entry["unused"]), entry["unused"]
