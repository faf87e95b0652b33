"""Lambda's Invoke at the edge, without a socket: requests serialized by botocore, answers
parsed by botocore, the runtime an in-memory fake."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser
from requests.structures import CaseInsensitiveDict

from localenv.build import BuildError
from localenv.edge.calls import RawRequest, parse
from localenv.edge.lambda_invoke import DEBUG_PORT_HEADER, InvokeSlot, LambdaInvoke
from localenv.runtime.environment import FunctionConfig, Outcome, OutcomeKind
from localenv.runtime.log_tail import TAIL_BYTES, LogTap, tail
from localenv.runtime.pool import ThrottledError
from tests.aws_requests import sdk_request
from tests.unit.test_iam_edge import ACCOUNT

LAMBDA = botocore.session.get_session().get_service_model("lambda")
REGION = "us-east-1"


def config(name: str, reserved: int | None = None, timeout: float = 3.0) -> FunctionConfig:
    return FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        handler="h.handler",
        runtime="python3.12",
        timeout=timeout,
        memory_mb=128,
        environment={},
        code_dir=Path("."),
        log_group=f"/aws/lambda/{name}",
        reserved_concurrency=reserved,
    )


FUNCTIONS = {c.name: c for c in (config("echo"), config("fail"), config("slow", 1, 1.0))}


class FakeRuntime:
    """Answers like the runtime: logs START/END through the tap, one behaviour per name."""

    def __init__(self) -> None:
        self.logged: list[str] = []
        self.tap = LogTap(lambda _group, _stream, lines: self.logged.extend(m for _, m in lines))
        self.calls: list[tuple[str, bytes, str]] = []
        self.debug_ports: list[int | None] = []
        self.busy = False

    def __call__(
        self,
        function: str,
        payload: bytes,
        request_id: str | None = None,
        debug_port: int | None = None,
    ) -> Outcome:
        self.calls.append((function, payload, request_id or ""))
        self.debug_ports.append(debug_port)
        if self.busy:
            raise ThrottledError(function)
        lines = [f"START RequestId: {request_id} Version: $LATEST", f"END RequestId: {request_id}"]
        self.tap("/aws/lambda/" + function, "s", [(0, line) for line in lines])
        if function == "fail":
            return Outcome(
                OutcomeKind.FUNCTION_ERROR, error={"errorMessage": "boom", "errorType": "E"}
            )
        if function == "slow":
            return Outcome(OutcomeKind.TIMEOUT)
        return Outcome(OutcomeKind.OK, payload=payload)


@pytest.fixture
def runtime() -> FakeRuntime:
    return FakeRuntime()


@pytest.fixture
def api(runtime: FakeRuntime) -> LambdaInvoke:
    return LambdaInvoke(lambda: FUNCTIONS, runtime, runtime.tap, REGION, ACCOUNT)


def invoke(api: Any, **params: Any) -> dict[str, Any]:
    """One Invoke as boto3 sends it and reads the answer."""
    response = api(parse(sdk_request("lambda", "Invoke", params)))
    assert response is not None
    parsed: dict[str, Any] = create_parser(LAMBDA.protocol).parse(
        {
            "status_code": response.status,
            "headers": CaseInsensitiveDict(dict(response.headers)),  # as HTTP headers are
            "body": response.body,
        },
        LAMBDA.operation_model("Invoke").output_shape,
    )
    parsed["status"] = response.status
    parsed["RequestId"] = dict(response.headers).get("x-amzn-RequestId")
    return parsed


def test_request_response_returns_the_payload_and_the_executed_version(
    api: LambdaInvoke, runtime: FakeRuntime
) -> None:
    answer = invoke(api, FunctionName="echo", Payload=b'{"a": 1}')
    assert answer["StatusCode"] == 200
    assert answer["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"]) == {"a": 1}
    assert runtime.calls[0][2] == answer["RequestId"]


def test_a_function_error_is_unhandled_with_the_error_payload(api: LambdaInvoke) -> None:
    answer = invoke(api, FunctionName="fail", Payload=b"{}")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"]) == {"errorMessage": "boom", "errorType": "E"}


def test_a_timeout_is_sandbox_timedout_as_aws_words_it(api: LambdaInvoke) -> None:
    answer = invoke(api, FunctionName="slow", Payload=b"{}")
    error = json.loads(answer["Payload"])
    request_id = answer["RequestId"]
    assert answer["FunctionError"] == "Unhandled"
    assert error == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }


def test_log_type_tail_returns_this_invocations_log_base64(api: LambdaInvoke) -> None:
    answer = invoke(api, FunctionName="echo", Payload=b"{}", LogType="Tail")
    request_id = answer["RequestId"]
    assert base64.b64decode(answer["LogResult"]).decode() == (
        f"START RequestId: {request_id} Version: $LATEST\nEND RequestId: {request_id}\n"
    )
    assert "LogResult" not in invoke(api, FunctionName="echo", Payload=b"{}")


def test_the_tail_is_the_last_4_kb() -> None:
    lines = [f"line {n:05d} " + "x" * 90 for n in range(100)]
    decoded = base64.b64decode(tail(lines))
    assert len(decoded) == TAIL_BYTES
    assert decoded.endswith(lines[-1].encode() + b"\n")


@pytest.mark.parametrize(
    "name",
    [
        "echo",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:echo",
        f"{ACCOUNT}:function:echo",
        "echo:$LATEST",
    ],
)
def test_a_function_is_named_by_name_arn_or_partial_arn(api: LambdaInvoke, name: str) -> None:
    assert invoke(api, FunctionName=name, Payload=b"{}")["StatusCode"] == 200


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"FunctionName": "nope"}, 404, "ResourceNotFoundException"),
        ({"FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:echo"}, 404, None),
        ({"FunctionName": "999999999999:function:echo"}, 404, "ResourceNotFoundException"),
        ({"FunctionName": "echo", "Qualifier": "1"}, 404, "ResourceNotFoundException"),
        ({"FunctionName": "echo:prod"}, 404, "ResourceNotFoundException"),
        ({"FunctionName": "echo:1", "Qualifier": "2"}, 400, "InvalidParameterValueException"),
        ({"FunctionName": "echo", "Payload": b"not json"}, 400, "InvalidRequestContentException"),
        ({"FunctionName": "echo", "InvocationType": "Later"}, 400, "ValidationException"),
        ({"FunctionName": "echo", "Payload": b" " * (6 * 1024 * 1024 + 1)}, 413, None),
        (
            {
                "FunctionName": "echo",
                "InvocationType": "Event",
                "Payload": b" " * (1024 * 1024 + 1),
            },
            413,
            "RequestTooLargeException",
        ),
    ],
)
def test_refusals_are_lambdas_errors(
    api: LambdaInvoke, runtime: FakeRuntime, params: dict[str, Any], status: int, code: str | None
) -> None:
    answer = invoke(api, **params)
    assert answer["status"] == status
    assert answer["Error"]["Code"] == (code or answer["Error"]["Code"])
    assert runtime.calls == []


def test_the_function_not_found_message_names_the_arn_and_why(api: LambdaInvoke) -> None:
    message = invoke(api, FunctionName="nope")["Error"]["Message"]
    assert message.startswith(
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:nope"
    )
    assert "localenv runs only the functions of its stack" in message


def test_throttled_is_too_many_requests_with_the_reserved_reason(
    api: LambdaInvoke, runtime: FakeRuntime
) -> None:
    runtime.busy = True
    reserved = api(parse(sdk_request("lambda", "Invoke", {"FunctionName": "slow"})))
    shared = api(parse(sdk_request("lambda", "Invoke", {"FunctionName": "echo"})))
    assert reserved is not None and shared is not None
    assert (reserved.status, dict(reserved.headers)["x-amzn-ErrorType"]) == (
        429,
        "TooManyRequestsException",
    )
    assert json.loads(reserved.body)["Reason"] == (
        "ReservedFunctionConcurrentInvocationLimitExceeded"
    )
    assert json.loads(shared.body)["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_dry_run_is_204_and_runs_nothing(api: LambdaInvoke, runtime: FakeRuntime) -> None:
    answer = invoke(api, FunctionName="echo", InvocationType="DryRun")
    assert answer["StatusCode"] == 204
    assert runtime.calls == []


def test_event_is_202_at_once_then_retried_twice_with_one_request_id(runtime: FakeRuntime) -> None:
    done = threading.Event()

    def invoke_fn(
        function: str, payload: bytes, request_id: str | None = None, debug_port: int | None = None
    ) -> Outcome:
        outcome = runtime(function, payload, request_id)
        if len(runtime.calls) == 3:
            done.set()
        return outcome

    api = LambdaInvoke(lambda: FUNCTIONS, invoke_fn, runtime.tap, REGION, ACCOUNT)
    api.queue.time_scale = 0.001  # 60 s and 120 s become 60 ms and 120 ms
    api.start()
    try:
        answer = invoke(api, FunctionName="fail", InvocationType="Event", Payload=b'{"n": 1}')
        assert answer["StatusCode"] == 202
        assert done.wait(30)
    finally:
        api.stop()
    assert [c[0] for c in runtime.calls] == ["fail"] * 3
    assert {c[2] for c in runtime.calls} == {answer["RequestId"]}


def test_a_successful_event_runs_once_and_a_throttled_one_is_retried(
    runtime: FakeRuntime,
) -> None:
    ran = threading.Event()

    def invoke_fn(
        function: str, payload: bytes, request_id: str | None = None, debug_port: int | None = None
    ) -> Outcome:
        runtime.busy = len(runtime.calls) == 0  # the first attempt is throttled
        outcome = runtime(function, payload, request_id)
        ran.set()
        return outcome

    api = LambdaInvoke(lambda: FUNCTIONS, invoke_fn, runtime.tap, REGION, ACCOUNT)
    api.queue.time_scale = 0.001
    api.start()
    try:
        invoke(api, FunctionName="echo", InvocationType="Event", Payload=b"{}")
        assert ran.wait(30)
        while api.queue.pending() or len(runtime.calls) < 2:
            threading.Event().wait(0.01)
    finally:
        api.stop()
    assert len(runtime.calls) == 2  # throttled, then run once: no function-error retries


def test_other_lambda_calls_pass_and_unserved_invokes_are_refused(api: LambdaInvoke) -> None:
    assert api(parse(sdk_request("lambda", "GetFunction", {"FunctionName": "echo"}))) is None
    refused = api(
        parse(sdk_request("lambda", "InvokeAsync", {"FunctionName": "echo", "InvokeArgs": b"{}"}))
    )
    assert refused is not None and refused.status == 400
    assert b"not served locally" in refused.body


def test_before_the_runtime_runs_invoke_is_refused_not_forwarded(api: LambdaInvoke) -> None:
    slot = InvokeSlot()
    call = parse(sdk_request("lambda", "Invoke", {"FunctionName": "echo"}))
    waiting = slot(call)
    assert waiting is not None and waiting.status == 500
    assert slot(parse(sdk_request("lambda", "ListFunctions", {}))) is None
    slot.target = api
    served = slot(call)
    assert served is not None and served.status == 200


def with_debug_port(port: str, **params: Any) -> RawRequest:
    """An Invoke as `localenv invoke --debug-port` sends it: the SDK's, plus the header."""
    raw = sdk_request("lambda", "Invoke", params)
    return dataclasses.replace(raw, headers=(*raw.headers, (DEBUG_PORT_HEADER, port)))


def test_the_debug_port_header_reaches_the_runtime_and_plain_invokes_have_none(
    api: LambdaInvoke, runtime: FakeRuntime
) -> None:
    invoke(api, FunctionName="echo", Payload=b"{}")
    answer = api(parse(with_debug_port("5891", FunctionName="echo", Payload=b"{}")))
    assert answer is not None and answer.status == 200
    assert runtime.debug_ports == [None, 5891]


@pytest.mark.parametrize(
    ("port", "invocation_type"),
    [("0", "RequestResponse"), ("65536", "RequestResponse"), ("x", "RequestResponse"),
     ("5891", "Event"), ("5891", "DryRun")],
)  # fmt: skip
def test_a_bad_debug_port_or_an_asynchronous_debug_invoke_is_refused(
    api: LambdaInvoke, runtime: FakeRuntime, port: str, invocation_type: str
) -> None:
    refused = api(parse(with_debug_port(port, FunctionName="echo", InvocationType=invocation_type)))
    assert refused is not None and refused.status == 400
    assert dict(refused.headers)["x-amzn-ErrorType"] == "InvalidParameterValueException"
    assert DEBUG_PORT_HEADER.encode() in refused.body
    assert runtime.calls == []


def test_a_harness_failure_to_run_the_function_is_a_service_exception(
    runtime: FakeRuntime,
) -> None:
    def cannot_run(
        _function: str, _payload: bytes, _request_id: str, _debug_port: int | None = None
    ) -> Outcome:
        raise BuildError("pip could not install debugpy==1.8.22: no network")

    api = LambdaInvoke(lambda: FUNCTIONS, cannot_run, runtime.tap, REGION, ACCOUNT)
    answer = api(parse(with_debug_port("5891", FunctionName="echo", Payload=b"{}")))
    assert answer is not None and answer.status == 500
    assert dict(answer.headers)["x-amzn-ErrorType"] == "ServiceException"
    assert b"echo could not run: pip could not install debugpy" in answer.body
