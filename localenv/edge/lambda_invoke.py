"""Lambda's ``Invoke`` at the stack's AWS endpoint, served by the stack's own runtime.

The emulator behind the edge would hand an invocation to a Docker path that
cannot run here; the functions the stack deploys already run in the local
runtime (the one the gateway uses), so the edge answers ``Invoke`` for them
itself: same environments, same concurrency limits, same logs and metrics.
A function the stack does not run is refused loudly, never forwarded.
https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html

One header is the harness's own, not AWS's: ``X-Localenv-Debug-Port: PORT`` (sent by
``localenv invoke --debug-port``) runs a ``RequestResponse`` invocation in a one-off
environment under debugpy listening on 127.0.0.1:PORT (see runtime/debugger.py).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from localenv.edge import lambda_errors as errors
from localenv.edge.calls import AwsCall
from localenv.edge.errors import EdgeResponse
from localenv.errors import LocalenvError
from localenv.runtime.async_invoke import AsyncQueue
from localenv.runtime.environment import FunctionConfig, Outcome, OutcomeKind
from localenv.runtime.log_tail import LogTap, tail
from localenv.runtime.pool import PAYLOAD_LIMIT_BYTES, RequestTooLargeError, ThrottledError

# Lambda's payload limits: 6 MB for a synchronous invocation (pool.PAYLOAD_LIMIT_BYTES),
# 1 MB for an asynchronous one (raised from 256 KB in 2025; the Invoke API page:
# "For asynchronous invocations, the maximum payload size is 1 MB").
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024
LATEST = "$LATEST"
# FunctionName: a name, a partial ARN or an ARN, with an optional qualifier (the API's pattern).
FUNCTION_NAME = re.compile(
    r"(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?P<region>[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d:)?"
    r"(?P<account>\d{12}:)?(?:function:)?(?P<name>[a-zA-Z0-9\-_.]+)"
    r"(?::(?P<qualifier>\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?"
)
# Invoke's siblings the local runtime does not serve: refused, not handed to the emulator.
UNSERVED = {"InvokeAsync", "InvokeWithResponseStream"}
DEBUG_PORT_HEADER = "X-Localenv-Debug-Port"


class Invoker(Protocol):
    """The stack's runtime: runs one invocation (raises ThrottledError, RequestTooLargeError)."""

    def __call__(
        self, function: str, payload: bytes, request_id: str, debug_port: int | None = None
    ) -> Outcome: ...


class InvocationType(Enum):
    REQUEST_RESPONSE = "RequestResponse"
    EVENT = "Event"
    DRY_RUN = "DryRun"


@dataclass(frozen=True)
class InvokeRequest:
    function: str  # as the caller named it
    qualifier: str | None
    invocation_type: InvocationType
    tail: bool
    payload: bytes
    debug_port: int | None = None  # the harness's X-Localenv-Debug-Port


def is_lambda(call: AwsCall, operations: set[str]) -> bool:
    return (
        call.signer is not None
        and call.signer.service == "lambda"
        and (call.operation in operations)
    )


def enum_header(call: AwsCall, header: str, member: str, allowed: tuple[str, ...]) -> str:
    value = call.raw.header(header) or allowed[0]
    if value not in allowed:
        constraint = f"Member must satisfy enum value set: [{', '.join(allowed)}]"
        raise errors.validation(value, member, constraint)
    return value


def parse_request(call: AwsCall) -> InvokeRequest:
    kind = enum_header(
        call, "X-Amz-Invocation-Type", "invocationType", tuple(t.value for t in InvocationType)
    )
    log_type = enum_header(call, "X-Amz-Log-Type", "logType", ("None", "Tail"))
    if call.raw.header("X-Amz-Client-Context"):
        raise errors.invalid_value("localenv: ClientContext is not passed to functions locally")
    invocation_type = InvocationType(kind)
    return InvokeRequest(
        function=str(call.params.get("FunctionName", "")),
        qualifier=call.raw.query.get("Qualifier"),
        invocation_type=invocation_type,
        tail=log_type == "Tail",
        payload=call.raw.body,
        debug_port=debug_port(call.raw.header(DEBUG_PORT_HEADER), invocation_type),
    )


def debug_port(value: str | None, invocation_type: InvocationType) -> int | None:
    """The port a debugged invocation's debugpy listens on; only a synchronous one waits."""
    if value is None:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise errors.invalid_value(f"localenv: {DEBUG_PORT_HEADER} is not a port: {value!r}")
    if invocation_type is not InvocationType.REQUEST_RESPONSE:
        raise errors.invalid_value(
            f"localenv: {DEBUG_PORT_HEADER} needs InvocationType RequestResponse"
        )
    return int(value)


def checked_payload(payload: bytes, limit: int) -> bytes:
    """Lambda's size limit, then JSON; an empty payload is the event ``{}``."""
    if len(payload) > limit:
        raise errors.too_large(limit)
    if not payload.strip():
        return b"{}"
    try:
        json.loads(payload)
    except ValueError as exc:
        raise errors.not_json(str(exc)) from exc
    return payload


def error_payload(outcome: Outcome, request_id: str, timeout: float) -> dict[str, object]:
    """What Invoke returns for a failed invocation (recorded from AWS by LocalStack:
    tests/aws/services/lambda_/test_lambda.snapshot.json, "test_lambda_invoke_with_timeout")."""
    if outcome.kind is OutcomeKind.TIMEOUT:
        return {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
            f"{timeout:.2f} seconds",
        }
    if outcome.kind is OutcomeKind.CRASH:
        message = outcome.error.get("errorMessage", "Runtime exited")
        return {
            "errorType": outcome.error.get("errorType", "Runtime.ExitError"),
            "errorMessage": f"RequestId: {request_id} Error: {message}",
        }
    return dict(outcome.error)


class LambdaInvoke:
    """The edge interceptor: answers Invoke for the stack's functions, lets the rest pass."""

    def __init__(
        self,
        functions: Callable[[], Mapping[str, FunctionConfig]],
        invoke: Invoker,
        tap: LogTap,
        region: str,
        account: str,
    ):
        self.functions = functions
        self.invoke = invoke
        self.tap = tap
        self.region, self.account = region, account
        self.queue = AsyncQueue(self.invoke)

    def start(self) -> None:
        self.queue.start()

    def stop(self) -> None:
        self.queue.stop()

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        if is_lambda(call, UNSERVED):
            return errors.invalid_value(
                f"localenv: {call.operation} is not served locally; use Invoke"
            ).response()
        if not is_lambda(call, {"Invoke"}):
            return None
        try:
            return self.answer(parse_request(call))
        except errors.LambdaApiError as refusal:
            return refusal.response()

    def answer(self, request: InvokeRequest) -> EdgeResponse:
        config = self.resolve(request.function, request.qualifier)
        request_id = str(uuid.uuid4())
        if request.invocation_type is InvocationType.DRY_RUN:
            checked_payload(request.payload, PAYLOAD_LIMIT_BYTES)
            return EdgeResponse(204, (("x-amzn-RequestId", request_id),), b"")
        if request.invocation_type is InvocationType.EVENT:
            payload = checked_payload(request.payload, ASYNC_PAYLOAD_LIMIT_BYTES)
            self.queue.submit(config.name, payload, request_id)
            return EdgeResponse(202, (("x-amzn-RequestId", request_id),), b"")
        payload = checked_payload(request.payload, PAYLOAD_LIMIT_BYTES)
        return self.run(config, payload, request_id, request)

    def run(
        self, config: FunctionConfig, payload: bytes, request_id: str, request: InvokeRequest
    ) -> EdgeResponse:
        try:
            with self.tap.capture() as lines:
                outcome = self.invoke(config.name, payload, request_id, request.debug_port)
        except ThrottledError as exc:
            raise errors.throttled(config.reserved_concurrency is not None) from exc
        except RequestTooLargeError as exc:
            raise errors.too_large(PAYLOAD_LIMIT_BYTES) from exc
        except KeyError as exc:  # the stack was reloaded without this function meanwhile
            raise errors.not_found(config.arn) from exc
        except LocalenvError as exc:  # the harness could not run it (e.g. no debugpy to install)
            raise errors.not_running(f"{config.name} could not run: {exc}") from exc
        headers = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", request_id),
            ("X-Amz-Executed-Version", LATEST),
        ]
        if request.tail:
            headers.append(("X-Amz-Log-Result", tail(lines)))
        if outcome.kind is OutcomeKind.OK:
            return EdgeResponse(200, tuple(headers), outcome.payload)
        headers.append(("X-Amz-Function-Error", "Unhandled"))
        body = error_payload(outcome, request_id, config.timeout)
        return EdgeResponse(200, tuple(headers), json.dumps(body).encode())

    def resolve(self, function: str, qualifier: str | None) -> FunctionConfig:
        """The stack's function a FunctionName (name, ARN or partial ARN) names."""
        found = FUNCTION_NAME.fullmatch(function)
        if found is None:
            pattern = f"Member must satisfy regular expression pattern: {FUNCTION_NAME.pattern}"
            raise errors.validation(function, "functionName", pattern)
        named = found.group("qualifier")
        if named and qualifier and named != qualifier:
            raise errors.invalid_value(
                "The derived qualifier from the function name does not match the specified "
                "qualifier."
            )
        name = found.group("name")
        arn = f"arn:aws:lambda:{self.region}:{self.account}:function:{name}"
        region, account = found.group("region"), found.group("account")
        config = self.functions().get(name)
        if config is None or (region and region[:-1] != self.region):
            raise errors.not_found(arn, "localenv runs only the functions of its stack")
        if account and account[:-1] != self.account:
            raise errors.not_found(arn, "localenv runs only the functions of its stack")
        version = named or qualifier
        if version and version != LATEST:
            raise errors.not_found(
                f"{arn}:{version}", "localenv runs $LATEST only: no versions or aliases"
            )
        return config


class InvokeSlot:
    """Invoke's place in the edge from its start: refuses until the stack's runtime is up."""

    def __init__(self) -> None:
        self.target: LambdaInvoke | None = None

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        target = self.target
        if target is not None:
            return target(call)
        if is_lambda(call, {"Invoke", *UNSERVED}):
            return errors.not_running("the stack's functions are not running yet").response()
        return None
