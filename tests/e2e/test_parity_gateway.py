"""The gateway refuses what API Gateway refuses: invoke permissions, undeployed changes,
oversize responses. Each stack runs a copy of the real template changed one way."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess, new_user
from tests.e2e import template_edits
from tests.e2e.conftest import copy_project
from tests.e2e.stacks import STOPS


def start(
    tmp_path: Path, backend: list[str], edit: Callable[[str], str] = lambda text: text
) -> StackProcess:
    root = copy_project(tmp_path)
    path = root / "cloudformation" / "template.yaml"
    text = template_edits.with_logging_account_role(path.read_text())
    template_edits.write(path, edit(text))
    # A name of its own: with a shared emulator (--endpoint-url) another test's table of the
    # same name already exists, and AWS refuses to create it twice.
    name = f"parity-{uuid.uuid4().hex[:6]}"
    return StackProcess.start(
        root, tmp_path / "state", "--template", str(path), "--stack-name", name, *backend
    )


@pytest.fixture
def running(
    request: pytest.FixtureRequest, tmp_path: Path, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    process = start(tmp_path, localenv_backend_args, getattr(request, "param", lambda t: t))
    try:
        yield process
    finally:
        STOPS.stop(process)


def aws(process: StackProcess, service: str) -> Any:
    outputs = process.outputs
    return emulator.session(outputs["Region"]).client(
        service, endpoint_url=outputs["AwsEndpointUrl"]
    )


def stack_name(process: StackProcess) -> str:
    return str(process.outputs["TableName"]).removesuffix("-data")


def access_log(process: StackProcess, count: int) -> list[dict[str, Any]]:
    """The access log lines, once at least ``count`` are delivered (delivery is batched)."""
    logs = aws(process, "logs")
    group = f"/aws/apigateway/{stack_name(process)}-access"
    lines: list[dict[str, Any]] = []
    for _ in range(100):
        events = logs.filter_log_events(logGroupName=group)["events"]
        lines = [json.loads(e["message"]) for e in events]
        if len(lines) >= count:
            break
        time.sleep(0.1)
    return lines


def upload(process: StackProcess) -> requests.Response:
    token = new_user(process.outputs).token
    return requests.post(
        process.outputs["ApiEndpoint"],
        params={"name": "a.txt"},
        data=b"hello\nworld\n",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
        timeout=30,
    )


@pytest.mark.parametrize(
    "running", [lambda t: template_edits.without(t, "ProcessorInvokePermission")], indirect=True
)
def test_without_the_processors_invoke_permission_post_is_a_500_and_the_log_says_why(
    running: StackProcess,
) -> None:
    response = upload(running)
    assert (response.status_code, response.text) == (500, '{"message": "Internal server error"}')
    [line] = [entry for entry in access_log(running, 1) if entry["httpMethod"] == "POST"]
    assert line["status"] == "500"
    function = f"{stack_name(running)}-processor"
    assert f"Invalid permissions on Lambda function {function}" in line["errorMessage"]
    assert "lambda:InvokeFunction" in line["errorMessage"]
    assert "/POST/dataproc" in line["errorMessage"]


@pytest.mark.parametrize(
    "running", [lambda t: template_edits.without(t, "AuthorizerInvokePermission")], indirect=True
)
def test_without_the_authorizers_invoke_permission_every_request_is_a_500(
    running: StackProcess,
) -> None:
    response = upload(running)
    assert (response.status_code, response.text) == (500, '{"message": null}')
    [line] = access_log(running, 1)
    assert f"{stack_name(running)}-authorizer" in line["errorMessage"]
    assert "/authorizers/" in line["errorMessage"]


def served(process: StackProcess, method: str) -> int:
    return requests.request(method, process.outputs["ApiEndpoint"], timeout=30).status_code


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def test_api_changes_are_served_only_after_a_new_deployment(running: StackProcess) -> None:
    apigateway = aws(running, "apigateway")
    apis = apigateway.get_rest_apis()["items"]  # other stacks' too, with a shared emulator
    api_id = next(a["id"] for a in apis if a["name"] == f"{stack_name(running)}-api")
    resources = apigateway.get_resources(restApiId=api_id)["items"]
    dataproc = next(r["id"] for r in resources if r["path"] == "/dataproc")
    assert (served(running, "GET"), served(running, "PUT")) == (401, 403)
    apigateway.delete_method(restApiId=api_id, resourceId=dataproc, httpMethod="GET")
    apigateway.put_method(
        restApiId=api_id, resourceId=dataproc, httpMethod="PUT", authorizationType="NONE"
    )
    apigateway.put_integration(restApiId=api_id, resourceId=dataproc, httpMethod="PUT", type="MOCK")
    time.sleep(2.5)  # two rounds of the deployment watcher: nothing new is deployed
    assert (served(running, "GET"), served(running, "PUT")) == (401, 403)
    status = StackProcess.run(running.root, running.state_dir, "status").stdout
    assert "undeployed: stage prod serves deployment" in status
    assert "2 change(s) not deployed" in status
    apigateway.create_deployment(restApiId=api_id, stageName="prod")
    assert eventually(lambda: served(running, "PUT") == 200)
    assert served(running, "GET") == 403  # the deleted method is gone too
    status = StackProcess.run(running.root, running.state_dir, "status").stdout
    assert "undeployed" not in status


# Every local caller is 127.0.0.1: a policy denying it uploads on AWS from that address.
DENY_LOCAL_UPLOADS = """\
      Policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
            Resource: execute-api:/*
          - Effect: Deny
            Principal: "*"
            Action: execute-api:Invoke
            Resource: execute-api:/*/POST/*
            Condition: {IpAddress: {aws:SourceIp: 127.0.0.1/32}}
"""


def with_api_policy(text: str) -> str:
    media_types = "      BinaryMediaTypes: [text/plain]\n"
    assert text.count(media_types) == 1
    return text.replace(media_types, media_types + DENY_LOCAL_UPLOADS)


@pytest.mark.parametrize("running", [with_api_policy], indirect=True)
def test_the_apis_resource_policy_denies_before_the_authorizer(running: StackProcess) -> None:
    response = upload(running)
    assert response.status_code == 403
    message = response.json()["Message"]
    assert message.startswith(
        "User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:"
    )
    assert message.endswith("/prod/POST/dataproc with an explicit deny in a resource-based policy")
    token = new_user(running.outputs).token
    listing = requests.get(
        running.outputs["ApiEndpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert listing.status_code == 200  # GET: allowed, then decided by the authorizer
    [line] = [entry for entry in access_log(running, 2) if entry["httpMethod"] == "POST"]
    assert line["status"] == "403"
