"""Lambda's Invoke at the stack's AWS endpoint, `localenv invoke` and `localenv events`:
the real AWS CLI and boto3 against the running stack, compared with the API."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.config import Config

from localenv import emulator
from localenv.pytest_plugin import StackProcess, User, new_user
from tests.e2e.stacks import running
from tests.e2e.test_gateway_behaviour import TEMPLATE, log_messages
from tests.e2e.test_upload_api import table_items

AWS = Path(sys.executable).parent / "aws"


@pytest.fixture(scope="module")
def real(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    """The project's own stack: the reader and the processor behind the API."""
    with running(
        tmp_path_factory.mktemp("inv"), "--stack-name", "inv", *localenv_backend_args
    ) as process:
        yield process


@pytest.fixture(scope="module")
def gw(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    """The test functions (tests/e2e/stack): fail, echo, limited."""
    with running(
        tmp_path_factory.mktemp("gwinv"),
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "gw",
        *localenv_backend_args,
    ) as process:
        yield process


def aws_invoke(stack: StackProcess, out: Path, *args: str) -> dict[str, Any]:
    """`aws lambda invoke`, the real CLI; its JSON answer (the payload goes to ``out``)."""
    assert AWS.exists(), "the AWS CLI (awscli) is needed"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    endpoint = stack.outputs["AwsEndpointUrl"]
    command = [str(AWS), "--endpoint-url", endpoint, "lambda", "invoke", *args, str(out)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def localenv(stack: StackProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return StackProcess.run(stack.root, stack.state_dir, *args)


def generated_event(stack: StackProcess, user: User, *args: str) -> dict[str, Any]:
    done = localenv(
        stack, "events", "apigateway", "--user", user.username, "--password", user.password, *args
    )
    assert done.returncode == 0, done.stderr
    event: dict[str, Any] = json.loads(done.stdout)
    return event


def api(stack: StackProcess, user: User, method: str, path: str = "", **kw: Any) -> Any:
    url = stack.outputs["ApiEndpoint"] + path
    headers = {"Authorization": f"Bearer {user.token}", "Content-Type": "text/plain"}
    return requests.request(method, url, headers=headers, timeout=60, **kw)


def proxy_answer(out: Path) -> tuple[int, Any]:
    response = json.loads(out.read_text())
    return response["statusCode"], json.loads(response["body"])


def test_aws_cli_invoke_of_processor_and_reader_answers_as_the_api(
    real: StackProcess, tmp_path: Path
) -> None:
    user = new_user(real.outputs)
    body = tmp_path / "a.txt"
    body.write_bytes(b"alpha\nbeta\n")
    post = tmp_path / "post.json"
    post.write_text(
        json.dumps(
            generated_event(
                real, user, "--method", "POST", "--body-file", str(body), "--query", "name=a.txt"
            )
        )
    )
    out = tmp_path / "out.json"
    answer = aws_invoke(
        real, out, "--function-name", "inv-processor", "--payload", f"fileb://{post}"
    )
    assert (answer["StatusCode"], answer["ExecutedVersion"]) == (200, "$LATEST")
    assert "FunctionError" not in answer
    status, summary = proxy_answer(out)
    assert status == 201
    # The same request through the API finds that very upload (a replay: 200, same body).
    through_api = api(real, user, "POST", params={"name": "a.txt"}, data=body.read_bytes())
    assert (through_api.status_code, through_api.json()) == (200, summary)
    get = tmp_path / "get.json"
    get.write_text(
        json.dumps(generated_event(real, user, "--path", f"/dataproc/{summary['uploadId']}"))
    )
    aws_invoke(real, out, "--function-name", "inv-reader", "--payload", f"fileb://{get}")
    read = api(real, user, "GET", f"/{summary['uploadId']}")
    assert proxy_answer(out) == (read.status_code, read.json()) == (200, read.json())
    assert read.json()["data"] == ["alpha", "beta"]


def test_localenv_invoke_with_a_generated_post_stores_what_the_api_stores(
    real: StackProcess, tmp_path: Path
) -> None:
    user = new_user(real.outputs)
    body = tmp_path / "b.txt"
    body.write_bytes("one\ntwo\nthree ünï\n".encode())
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            generated_event(
                real, user, "--method", "POST", "--body-file", str(body), "--query", "name=b.txt"
            )
        )
    )
    invoked = localenv(real, "invoke", "ProcessorFunction", "--event", str(event))
    assert invoked.returncode == 0, invoked.stderr
    assert "START RequestId:" in invoked.stderr
    assert "END RequestId:" in invoked.stderr and "REPORT RequestId:" in invoked.stderr
    response = json.loads(invoked.stdout)
    assert response["statusCode"] == 201
    summary = json.loads(response["body"])
    stored = table_items(real.outputs, summary["uploadId"])
    through_api = api(real, user, "POST", params={"name": "b.txt"}, data=body.read_bytes())
    assert (through_api.status_code, through_api.json()) == (200, summary)
    assert table_items(real.outputs, summary["uploadId"]) == stored  # the same upload, once


def test_localenv_invoke_exits_non_zero_on_a_function_error(real: StackProcess) -> None:
    invoked = localenv(real, "invoke", "inv-reader")  # the event {} has no caller
    assert invoked.returncode == 1
    assert json.loads(invoked.stdout)["errorType"] == "MissingCallerError"
    assert "START RequestId:" in invoked.stderr


def test_events_authorizer_prints_the_request_authorizer_event(real: StackProcess) -> None:
    done = localenv(real, "events", "authorizer", "--method", "GET", "--path", "/dataproc")
    assert done.returncode == 0, done.stderr
    event = json.loads(done.stdout)
    assert event["type"] == "REQUEST"
    assert event["methodArn"].endswith("/prod/GET/dataproc")
    assert event["headers"]["Authorization"].startswith("Bearer ")


def test_a_function_error_is_unhandled_with_the_error_payload(
    gw: StackProcess, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    answer = aws_invoke(gw, out, "--function-name", "gw-fail")
    assert (answer["StatusCode"], answer["FunctionError"]) == (200, "Unhandled")
    error = json.loads(out.read_text())
    assert error["errorType"] == "RuntimeError"
    assert "secret failure detail" in error["errorMessage"]


def test_log_type_tail_returns_the_invocations_log(gw: StackProcess, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    answer = aws_invoke(gw, out, "--function-name", "gw-echo", "--log-type", "Tail")
    log = base64.b64decode(answer["LogResult"]).decode()
    lines = log.splitlines()
    # A cold start's tail begins with Lambda's INIT_START line, then the invocation's START.
    if lines[0].startswith("INIT_START "):
        lines = lines[1:]
    assert lines[0].startswith("START RequestId:")
    assert "echo invoked" in lines
    assert lines[-2].startswith("END RequestId:") and lines[-1].startswith("REPORT RequestId:")
    assert json.loads(json.loads(out.read_text())["body"])["event"] == {}


def starts_of(stack: StackProcess, function: str, request_id: str) -> int:
    line = f"START RequestId: {request_id} Version: $LATEST"
    return sum(m.strip() == line for m in log_messages(stack, function))


def test_event_is_202_and_a_failing_function_runs_three_times(
    gw: StackProcess, tmp_path: Path
) -> None:
    lam = emulator.session("us-east-1").client("lambda", endpoint_url=gw.outputs["AwsEndpointUrl"])
    answer = aws_invoke(
        gw, tmp_path / "out.json", "--function-name", "gw-fail", "--invocation-type", "Event"
    )
    assert answer["StatusCode"] == 202
    accepted = lam.invoke(FunctionName="gw-fail", InvocationType="Event", Payload=b"{}")
    request_id = accepted["ResponseMetadata"]["RequestId"]
    # Retries come 1 s and 2 s after the first attempt (Lambda's 1 and 2 minutes, scaled);
    # log delivery is batched: wait for the three attempts to show, up to a minute.
    deadline = time.monotonic() + 60
    while starts_of(gw, "fail", request_id) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert starts_of(gw, "fail", request_id) == 3


def test_reserved_concurrency_exceeded_is_too_many_requests(gw: StackProcess) -> None:
    lam = emulator.session("us-east-1").client(
        "lambda",
        endpoint_url=gw.outputs["AwsEndpointUrl"],
        config=Config(retries={"total_max_attempts": 1}, read_timeout=60),
    )
    start = threading.Barrier(4)
    answers: list[Any] = []

    def call() -> None:
        start.wait()
        try:
            answers.append(lam.invoke(FunctionName="gw-limited", Payload=b"{}")["StatusCode"])
        except lam.exceptions.TooManyRequestsException as exc:
            answers.append(exc.response)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [a for a in answers if isinstance(a, dict)]
    assert 200 in answers  # one environment (ReservedConcurrentExecutions: 1) ran
    assert refused, answers
    assert refused[0]["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert refused[0]["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def invocations(stack: StackProcess, function: str) -> float:
    """AWS/Lambda Invocations of a function so far, from the stack's metric store."""
    control = json.loads((stack.state_dir / "run.json").read_text())["control_url"]
    found = requests.get(f"{control}/metrics", params={"name": "Invocations"}, timeout=30).json()
    return sum(
        value
        for series in found["series"]
        if series["dimensions"] == {"FunctionName": function}
        for _, value in series["datapoints"]
    )


def test_invocations_through_invoke_count_in_lambda_metrics(gw: StackProcess) -> None:
    lam = emulator.session("us-east-1").client("lambda", endpoint_url=gw.outputs["AwsEndpointUrl"])
    for _ in range(3):
        lam.invoke(
            FunctionName="gw-binary", Payload=json.dumps({"body": "", "isBase64Encoded": False})
        )
    assert invocations(gw, "gw-binary") == 3


def test_a_function_the_stack_does_not_run_is_refused(gw: StackProcess) -> None:
    lam = emulator.session("us-east-1").client("lambda", endpoint_url=gw.outputs["AwsEndpointUrl"])
    with pytest.raises(lam.exceptions.ResourceNotFoundException, match="functions of its stack"):
        lam.invoke(FunctionName="made-by-hand", Payload=b"{}")


def test_a_timeout_is_sandbox_timedout_and_dry_run_runs_nothing(
    gw: StackProcess, tmp_path: Path
) -> None:
    out = tmp_path / "out.json"
    answer = aws_invoke(gw, out, "--function-name", "gw-timeout")
    assert answer["FunctionError"] == "Unhandled"
    error = json.loads(out.read_text())
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Error: Task timed out after 1.00 seconds")
    assert invocations(gw, "gw-timeout") == 1
    dry = aws_invoke(gw, out, "--function-name", "gw-allow", "--invocation-type", "DryRun")
    assert dry["StatusCode"] == 204
    assert invocations(gw, "gw-allow") == 0  # metrics count synchronously: nothing ran
