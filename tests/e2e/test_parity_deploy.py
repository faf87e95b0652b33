"""Deploy-time checks AWS makes: each on a copy of the real template changed one way,
run with ``localenv up --template``; the deploy fails before anything is created."""

from __future__ import annotations

import subprocess
from pathlib import Path

from localenv.pytest_plugin import StackProcess, free_port
from tests.e2e import template_edits
from tests.e2e.conftest import client, copy_project


def up(
    root: Path, state: Path, template: Path, endpoint: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    return StackProcess.run(
        root,
        state,
        "up",
        "--endpoint-url",
        endpoint,
        "--api-port",
        str(free_port()),
        "--template",
        str(template),
        "--stack-name",
        "parity",
        *extra,
    )


def nothing_created(endpoint: str) -> bool:
    return (
        client(endpoint, "lambda").list_functions()["Functions"] == []
        and client(endpoint, "dynamodb").list_tables()["TableNames"] == []
        and client(endpoint, "iam").list_roles()["Roles"] == []
    )


def test_a_narrow_api_gateway_account_role_fails_the_deploy(
    moto_endpoint: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    path = root / "cloudformation" / "template.yaml"
    text = path.read_text()
    narrowed = template_edits.with_body(
        text, template_edits.account_role(text), template_edits.NARROW_ACCOUNT_ROLE
    )
    result = up(root, tmp_path / "state", template_edits.write(path, narrowed), moto_endpoint)
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("localenv: ApiGatewayAccount (AWS::ApiGateway::Account, line ")
    assert "does not have required permissions set to API Gateway" in error
    assert "logs:CreateLogGroup" in error
    assert nothing_created(moto_endpoint)


def test_an_account_role_allowing_what_the_managed_logging_policy_allows_passes(
    moto_endpoint: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    path = root / "cloudformation" / "template.yaml"
    text = path.read_text()
    fixed = template_edits.with_body(
        text, template_edits.account_role(text), template_edits.PUSH_TO_LOGS_ACCOUNT_ROLE
    )
    template_edits.write(path, fixed)
    process = StackProcess.start(
        root, tmp_path / "state", "--template", str(path), "--endpoint-url", moto_endpoint
    )
    try:
        assert client(moto_endpoint, "apigateway").get_account()["cloudwatchRoleArn"]
    finally:
        process.stop()


def test_reserved_concurrency_leaving_under_100_unreserved_fails_naming_the_function(
    moto_endpoint: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    path = root / "cloudformation" / "template.yaml"
    text = template_edits.with_logging_account_role(path.read_text())
    changed = template_edits.with_reserved_concurrency(text, "ProcessorFunction", 950)
    result = up(
        root,
        tmp_path / "state",
        template_edits.write(path, changed),
        moto_endpoint,
        "--account-concurrency",
        "1000",
    )
    assert result.returncode != 0
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("localenv: ProcessorFunction (AWS::Lambda::Function, line ")
    assert "UnreservedConcurrentExecution below its minimum value of [100]" in error
    assert nothing_created(moto_endpoint)
