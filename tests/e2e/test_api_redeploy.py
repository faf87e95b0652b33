"""`localenv up` on a running stack: a changed method gets a new deployment, an unchanged API
keeps its own (the Deployment's logical id carries a hash of the API, as `localenv package`
writes it for AWS)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess
from tests.e2e.conftest import copy_project
from tests.e2e.stacks import STOPS

STACK = "rd"


def stage_deployment(stack: StackProcess) -> str:
    apigateway = emulator.session("us-east-1").client(
        "apigateway", endpoint_url=stack.outputs["AwsEndpointUrl"]
    )
    (api,) = [a for a in apigateway.get_rest_apis()["items"] if a["name"] == f"{STACK}-api"]
    return str(apigateway.get_stage(restApiId=api["id"], stageName="prod")["deploymentId"])


def deployment_ids(stack: StackProcess) -> list[str]:
    state = json.loads((stack.state_dir / "state.json").read_text())
    return [
        name
        for name, resource in state["resources"].items()
        if resource["type"] == "AWS::ApiGateway::Deployment"
    ]


def preflight_methods(stack: StackProcess) -> str:
    response = requests.options(stack.outputs["ApiEndpoint"], timeout=30)
    assert response.status_code == 204
    return response.headers["Access-Control-Allow-Methods"]


def served_methods(stack: StackProcess, expected: str) -> str:
    """The preflight's methods once the running stack has reloaded (SIGHUP, within a second)."""
    deadline = time.monotonic() + 30
    while (methods := preflight_methods(stack)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return methods


def up_again(stack: StackProcess, *extra: str) -> str:
    result = StackProcess.run(stack.root, stack.state_dir, "up", "--stack-name", STACK, *extra)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_changed_method_is_served_and_an_unchanged_api_keeps_its_deployment(
    tmp_path: Path, localenv_backend_args: list[str]
) -> None:
    root = copy_project(tmp_path)
    stack = StackProcess.start(
        root, tmp_path / "state", "--stack-name", STACK, *localenv_backend_args
    )
    try:
        (first_id,) = deployment_ids(stack)
        first = stage_deployment(stack)
        assert preflight_methods(stack) == "GET,POST,OPTIONS"
        template = root / "cloudformation" / "template.yaml"
        text = template.read_text()
        assert text.count("\"'GET,POST,OPTIONS'\"") == 1
        template.write_text(text.replace("\"'GET,POST,OPTIONS'\"", "\"'GET,POST,OPTIONS,HEAD'\""))

        up_again(stack, *localenv_backend_args)
        assert served_methods(stack, "GET,POST,OPTIONS,HEAD") == "GET,POST,OPTIONS,HEAD"
        (second_id,) = deployment_ids(stack)
        second = stage_deployment(stack)
        assert second_id != first_id and second_id.startswith("ApiDeployment")
        assert second != first  # the stage serves a new deployment

        output = up_again(stack, *localenv_backend_args)
        assert deployment_ids(stack) == [second_id]
        assert stage_deployment(stack) == second  # unchanged API: the same deployment
        assert "0 created" in output and "0 replaced" in output, output
    finally:
        STOPS.stop(stack)
