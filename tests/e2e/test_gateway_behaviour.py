"""Every API Gateway and Lambda behaviour of localenv/ARCHITECTURE.md through real HTTP,
with test functions deployed from
tests/e2e/stack/template.yaml (the real handlers are never weakened for this)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess
from localenv.workspace import alive
from tests.e2e.stacks import children_of, running
from tests.template_model import ROOT

TEMPLATE = Path(__file__).parent / "stack" / "template.yaml"


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    with running(
        tmp_path_factory.mktemp("gw"),
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "gw",
        *localenv_backend_args,
    ) as process:
        yield process


@pytest.fixture(scope="module")
def url(stack: StackProcess) -> str:
    return str(stack.outputs["ApiEndpoint"])


def log_messages(stack: StackProcess, function: str, stack_name: str = "gw") -> list[str]:
    logs = emulator.session("us-east-1").client(
        "logs", endpoint_url=stack.outputs["AwsEndpointUrl"]
    )
    try:
        group = f"/aws/lambda/{stack_name}-{function}"
        events = logs.filter_log_events(logGroupName=group)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in events]


def starts(stack: StackProcess, function: str) -> int:
    """START lines of a function so far, once log delivery (batched) has settled."""
    count = -1
    while True:
        latest = sum(m.startswith("START RequestId") for m in log_messages(stack, function))
        if latest == count:
            return count
        count = latest
        time.sleep(0.5)


def eventually(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_proxy_event_has_the_rest_v1_shape_and_the_clients_header_case(url: str) -> None:
    response = requests.get(
        f"{url}/items/42?a=1&a=2&b=x",
        timeout=30,
        headers={"Authorization": "alice", "X-MiXeD-CaSe": "kept"},
    )
    assert response.status_code == 200
    assert response.headers["X-Multi"] == "a, b"
    event = response.json()["event"]
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["X-MiXeD-CaSe"] == "kept"
    assert "x-mixed-case" not in event["headers"]
    assert event["multiValueHeaders"]["X-MiXeD-CaSe"] == ["kept"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] is None
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "test"
    assert context["resourcePath"] == "/items/{id}"
    assert context["httpMethod"] == "GET"
    assert context["path"] == "/test/items/42"
    assert context["requestId"] == response.headers["x-amzn-RequestId"]
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    authorizer = context["authorizer"]
    assert authorizer["principalId"] == "user-alice"
    assert (authorizer["token"], authorizer["count"], authorizer["flag"]) == ("alice", 7, True)
    assert isinstance(authorizer["integrationLatency"], int)


def test_functions_talk_to_the_emulator(url: str, stack: StackProcess) -> None:
    body = requests.get(f"{url}/open", timeout=30).json()
    assert body["endpoint"] == stack.outputs["AwsEndpointUrl"]


def test_binary_media_types_arrive_base64_and_return_as_bytes(url: str) -> None:
    payload = bytes(range(256)) * 4
    response = requests.post(
        f"{url}/binary",
        data=payload,
        timeout=30,
        # AWS decodes isBase64Encoded only when the first Accept is a binary media type
        # (localstack/localstack test_apigateway_lambda.py::test_aws_proxy_binary_response).
        headers={"Content-Type": "application/octet-stream", "Accept": "application/octet-stream"},
    )
    assert response.status_code == 200
    assert response.content == payload


def test_text_bodies_arrive_as_text(url: str) -> None:
    response = requests.post(
        f"{url}/echo",
        data="héllo".encode(),
        timeout=30,
        headers={"Authorization": "t", "Content-Type": "text/plain"},
    )
    event = response.json()["event"]
    assert (event["body"], event["isBase64Encoded"]) == ("héllo", False)


def test_environments_are_reused_warm_also_after_a_handled_error(
    url: str, stack: StackProcess
) -> None:
    first = requests.get(f"{url}/open", timeout=30).json()
    second = requests.get(f"{url}/open", timeout=30).json()
    assert first["pid"] == second["pid"]
    assert second["invocations"] == first["invocations"] + 1
    for _ in range(2):
        failed = requests.get(f"{url}/fail", headers={"Authorization": "t"}, timeout=30)
        assert failed.status_code == 502
        assert failed.text == '{"message": "Internal server error"}'
        assert "secret" not in failed.text
    reports = eventually(
        lambda: (
            [m for m in log_messages(stack, "fail") if m.startswith("REPORT")]
            if len([m for m in log_messages(stack, "fail") if m.startswith("REPORT")]) >= 2
            else None
        )
    )
    assert reports and sum("Init Duration" in r for r in reports) == 1  # one cold start only


def test_lambda_logs_start_output_end_report(url: str, stack: StackProcess) -> None:
    requests.get(f"{url}/open", timeout=30)
    messages = eventually(lambda: log_messages(stack, "echo"))
    # Lambda's events end with a newline, REPORT with a tab and a newline; a cold start
    # begins with INIT_START (AWS-recorded by LocalStack, test_lambda_runtimes.snapshot.json).
    assert any(
        m.startswith("START RequestId: ") and m.endswith("Version: $LATEST\n") for m in messages
    )
    assert "echo invoked\n" in messages
    assert any(m.startswith("END RequestId: ") and m.endswith("\n") for m in messages)
    assert any(m.startswith("INIT_START Runtime Version: python:3.12.") for m in messages)
    report = next(m for m in messages if m.startswith("REPORT RequestId: "))
    assert report.endswith("\t\n")
    for field in (
        "Duration: ",
        "Billed Duration: ",
        "Memory Size: 256 MB",
        "Max Memory Used: ",
        "Init Duration: ",
    ):
        assert field in report


def test_function_timeout_kills_the_worker_and_logs_it(url: str, stack: StackProcess) -> None:
    response = requests.get(f"{url}/timeout", timeout=30)
    assert response.status_code == 502
    assert response.text == '{"message": "Internal server error"}'
    messages = eventually(
        lambda: [
            m for m in log_messages(stack, "timeout") if "Task timed out after 1.00 seconds" in m
        ]
    )
    assert messages
    # The killed worker's peak memory is reported, not 0 (read before the kill).
    reports = [m for m in log_messages(stack, "timeout") if m.startswith("REPORT ")]
    assert reports
    assert all(" Max Memory Used: 0 MB" not in r for r in reports)


def test_integration_over_its_timeout_is_504(url: str) -> None:
    started = time.monotonic()
    response = requests.get(f"{url}/hang", timeout=30)
    assert response.status_code == 504
    assert response.text == '{"message": "Endpoint request timed out"}'
    assert time.monotonic() - started < 5  # the integration gave up after 1 s, not 3 s


def test_malformed_proxy_response_is_502(url: str) -> None:
    response = requests.get(f"{url}/malformed", timeout=30)
    assert (response.status_code, response.text) == (502, '{"message": "Internal server error"}')


def test_crashed_worker_is_502_and_replaced(url: str) -> None:
    for _ in range(2):
        response = requests.get(f"{url}/crash", timeout=30)
        assert (response.status_code, response.text) == (
            502,
            '{"message": "Internal server error"}',
        )


def test_missing_identity_source_with_caching_is_401_without_invoking(
    url: str, stack: StackProcess
) -> None:
    before = starts(stack, "allow")
    response = requests.get(f"{url}/echo", timeout=30)
    assert (response.status_code, response.text) == (401, '{"message":"Unauthorized"}')
    empty = requests.get(f"{url}/echo", headers={"Authorization": ""}, timeout=30)
    assert empty.status_code == 401
    time.sleep(0.5)
    assert starts(stack, "allow") == before


def test_missing_identity_source_without_caching_runs_the_authorizer(
    url: str, stack: StackProcess
) -> None:
    before = starts(stack, "allow")
    response = requests.get(f"{url}/uncached", timeout=30)
    assert (response.status_code, response.text) == (401, '{"message":"Unauthorized"}')
    assert eventually(lambda: starts(stack, "allow") == before + 1)


@pytest.mark.parametrize(
    ("token", "status", "body"),
    [
        ("unauthorized", 401, '{"message":"Unauthorized"}'),
        (
            "deny",
            403,
            '{"Message":"User is not authorized to access this resource with an explicit deny"}',
        ),
        ("other-resource", 403, '{"message":"User is not authorized to access this resource"}'),
        ("crash", 500, '{"message": null}'),
        ("nested-context", 500, '{"message": null}'),
    ],
)
def test_authorizer_outcomes(url: str, token: str, status: int, body: str) -> None:
    response = requests.get(f"{url}/uncached", headers={"Authorization": token}, timeout=30)
    assert (response.status_code, response.text) == (status, body)


def test_authorizer_result_is_cached_by_identity_value_across_routes(
    url: str, stack: StackProcess
) -> None:
    token = f"cache-{time.monotonic_ns()}"
    before = starts(stack, "allow")
    for path in ("/echo", "/echo", "/items/1"):
        assert requests.get(url + path, headers={"Authorization": token}, timeout=30).ok
    time.sleep(0.5)
    assert eventually(lambda: starts(stack, "allow") == before + 1)
    assert starts(stack, "allow") == before + 1


def test_lambda_event_over_6_mb_is_500(url: str) -> None:
    payload = b"\x00" * (5 * 1024 * 1024)  # 5 MiB, ~6.7 MB once base64-encoded in the event
    response = requests.post(
        f"{url}/binary",
        data=payload,
        timeout=60,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert (response.status_code, response.text) == (500, '{"message": "Internal server error"}')


def test_reserved_concurrency_throttles_the_invocation(url: str) -> None:
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(requests.get, f"{url}/limited", timeout=30)
        time.sleep(0.3)
        second = pool.submit(requests.get, f"{url}/limited", timeout=30)
        statuses = sorted([first.result().status_code, second.result().status_code])
    assert statuses == [200, 500]


def test_stage_throttling_answers_429(url: str) -> None:
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda _: requests.get(f"{url}/open", timeout=30), range(120)))
    throttled = [r for r in responses if r.status_code == 429]
    assert throttled
    assert throttled[0].text == '{"message":"Too Many Requests"}'
    admitted = [r.status_code for r in responses if r.status_code != 429]
    assert len(admitted) >= 40  # the bucket admits at least its burst
    # Admitted requests reach Lambda; 16 at once may exceed the function's concurrency
    # (a cold start takes a while), which API Gateway answers with 500.
    assert set(admitted) <= {200, 500}
    time.sleep(1.5)  # let the bucket refill for the tests after this one


def test_down_leaves_no_worker(tmp_path: Path, localenv_backend_args: list[str]) -> None:
    process = StackProcess.start(
        ROOT,
        tmp_path / "s",
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "gwdown",
        *localenv_backend_args,
    )
    url = process.outputs["ApiEndpoint"]
    requests.get(f"{url}/open", timeout=30)
    requests.get(f"{url}/echo", headers={"Authorization": "x"}, timeout=30)
    pid = process.pid
    workers = children_of(pid)
    assert len(workers) >= 2
    process.stop()
    assert not alive(pid)
    assert not [w for w in workers if alive(w)]
