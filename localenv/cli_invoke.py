"""``localenv invoke`` and ``localenv events``: one function with one event, and the
events the gateway would send it.

``invoke`` calls Lambda's Invoke at the stack's AWS endpoint (served by the
stack's runtime), as ``aws lambda invoke`` does; with ``--debug-port`` it adds the
harness's debug header, and the runtime runs that invocation in a one-off environment
under debugpy (runtime/debugger.py, the code path of ``up --debug``); ``events`` runs a request
through the gateway's own code over the served deployment and prints the event
it builds, with the authorizer run for real for a real user's token.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from botocore.config import Config

from localenv import cognito_users, emulator, sample_events
from localenv.console import CliError, say, workspace_of
from localenv.deployer import StackState
from localenv.edge.lambda_invoke import DEBUG_PORT_HEADER
from localenv.gateway import api_model, deployments, permissions
from localenv.gateway.requests import Request
from localenv.runtime import debugger
from localenv.runtime.environment import Outcome, OutcomeKind
from localenv.runtime.pool import ThrottledError
from localenv.stack import served_api
from localenv.workspace import RunRecord, Workspace, read_outputs, running

# Lambda's longest function timeout is 15 minutes: wait that long for an answer.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
READ_TIMEOUT_SECONDS = 15 * 60 + 30
DEBUG_READ_TIMEOUT_SECONDS = debugger.NO_TIMEOUT_MS / 1000


def running_record(workspace: Workspace) -> RunRecord:
    record = running(workspace)
    if record is None:
        raise CliError("localenv is not running: start it with `localenv up`")
    return record


def lambda_client(record: RunRecord, debug_port: int | None = None) -> Any:
    # One attempt: a throttle or an error is the answer the developer wants to see.
    # Under a debugger the function has no timeout: wait as long as the person debugging.
    read_timeout = READ_TIMEOUT_SECONDS if debug_port is None else DEBUG_READ_TIMEOUT_SECONDS
    config = Config(read_timeout=read_timeout, retries={"total_max_attempts": 1})
    client = emulator.session(record.region).client(
        "lambda", endpoint_url=record.endpoint_url, config=config
    )
    if debug_port is not None:
        client.meta.events.register("before-sign.lambda.Invoke", debug_header(debug_port))
    return client


def debug_header(port: int) -> Callable[..., None]:
    """Ask the stack's Invoke to run this invocation under debugpy (a header of the harness's:
    localenv/edge/lambda_invoke.py)."""

    def add(request: Any, **_kwargs: Any) -> None:
        request.headers[DEBUG_PORT_HEADER] = str(port)

    return add


def function_name(workspace: Workspace, record: RunRecord, ref: str) -> str:
    """A logical id of the template names its function; anything else is a name or ARN."""
    state = StackState.load(workspace.state_file, record.stack_name, record.emulator_id)
    saved = state.resources.get(ref)
    if saved is not None and saved.type == "AWS::Lambda::Function":
        return saved.physical_id
    return ref


def read_source(source: str | None, default: bytes) -> bytes:
    if source is None:
        return default
    if source == "-":
        return sys.stdin.buffer.read()
    return Path(source).read_bytes()


def cmd_invoke(args: argparse.Namespace) -> int:
    """The payload on stdout, the function's log (START ... REPORT) on stderr."""
    workspace = workspace_of(args)
    record = running_record(workspace)
    name = function_name(workspace, record, args.function)
    payload = read_source(args.event, b"{}")
    if args.debug_port is not None:
        announce_debugging(name, args.debug_port)
    answer = lambda_client(record, args.debug_port).invoke(
        FunctionName=name, Payload=payload, LogType="Tail"
    )
    sys.stderr.write(base64.b64decode(answer.get("LogResult", "")).decode("utf-8", "replace"))
    sys.stderr.flush()
    say(answer["Payload"].read().decode("utf-8", "replace"))
    return 1 if "FunctionError" in answer else 0


def announce_debugging(function: str, port: int) -> None:
    try:
        debugger.check_port_free(port)
    except debugger.DebugPortInUseError as exc:
        raise CliError(str(exc)) from exc
    sys.stderr.write(
        f"localenv: {function} runs under debugpy on 127.0.0.1:{port}: attach a debugger "
        "(it waits for one; the function's timeout is lifted)\n"
    )
    sys.stderr.flush()


def edge_invoker(client: Any) -> Callable[[str, bytes], Outcome]:
    """Run a function through the stack's Invoke, answering as the runtime answers."""

    def invoke(function: str, payload: bytes) -> Outcome:
        try:
            answer = client.invoke(FunctionName=function, Payload=payload)
        except client.exceptions.TooManyRequestsException as exc:
            raise ThrottledError(str(exc)) from exc
        body = answer["Payload"].read()
        if "FunctionError" in answer:
            return Outcome(OutcomeKind.FUNCTION_ERROR, error=json.loads(body))
        return Outcome(OutcomeKind.OK, payload=body)

    return invoke


def served_model(workspace: Workspace, record: RunRecord) -> api_model.ApiModel:
    """The deployment the stage serves, read as the running stack reads it."""
    state = StackState.load(workspace.state_file, record.stack_name, record.emulator_id)
    api_id, stage = served_api(state)
    session = emulator.session(record.region)
    apigateway: Any = session.client("apigateway", endpoint_url=record.endpoint_url)
    stage_info = apigateway.get_stage(restApiId=api_id, stageName=stage)
    store = deployments.SnapshotStore.of_stack(workspace.directory)
    snapshot = deployments.capture(apigateway, store, api_id, stage_info["deploymentId"])
    account = emulator.account_id(record.endpoint_url, record.region)
    model = api_model.load(snapshot, stage_info, api_id, record.region, account)
    lam = session.client("lambda", endpoint_url=record.endpoint_url)
    model.permissions = permissions.load(lam, model.functions)
    return model


def access_token(args: argparse.Namespace, outputs: dict[str, Any]) -> str:
    username = args.user or outputs["DemoUsername"]
    password = args.password or (outputs["DemoPassword"] if not args.user else None)
    if password is None:
        raise CliError(f"--password is needed for {username} (only the demo user's is known)")
    cognito = emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )
    return cognito_users.access_token(cognito, outputs["UserPoolClientId"], username, password)


def request_headers(
    args: argparse.Namespace, outputs: dict[str, Any], body: bytes
) -> list[tuple[str, str]]:
    """What a plain HTTP client sends for this request."""
    headers = [
        ("Host", urlsplit(str(outputs["ApiEndpoint"])).netloc),
        ("User-Agent", "localenv-events"),
        ("Accept", "*/*"),
    ]
    if body:
        headers += [("Content-Type", args.content_type), ("Content-Length", str(len(body)))]
    if not args.anonymous:
        headers.append(("Authorization", f"Bearer {access_token(args, outputs)}"))
    for header in args.header or []:
        name, _, value = header.partition(":")
        headers.append((name.strip(), value.strip()))
    return headers


def sample_request(
    args: argparse.Namespace, outputs: dict[str, Any], model: api_model.ApiModel
) -> Request:
    body = read_source(args.body_file, b"")
    path = f"/{model.stage}/{args.path.lstrip('/')}".rstrip("/")
    query = urlencode([(k, v) for k, _, v in (p.partition("=") for p in args.query or [])])
    return Request(args.method.upper(), path, query, request_headers(args, outputs, body), body)


def cmd_events(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running_record(workspace)
    model = served_model(workspace, record)
    request = sample_request(args, read_outputs(workspace), model)
    kind = sample_events.EventKind(args.kind)
    try:
        event = sample_events.generate(model, request, kind, edge_invoker(lambda_client(record)))
    except sample_events.EventNotReachedError as exc:
        raise CliError(str(exc)) from exc
    say(json.dumps(event, indent=2))
    return 0


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"not a port: {text!r}")
    return int(text)


def add_commands(commands: Any) -> None:
    invoke = commands.add_parser(
        "invoke", help="invoke one function (logical id or name) with an event, like SAM"
    )
    invoke.add_argument("function", help="logical id in the template, function name or ARN")
    invoke.add_argument("--event", metavar="FILE", help="the event (JSON); - reads stdin")
    invoke.add_argument(
        "--debug-port",
        type=port_number,
        metavar="PORT",
        help="run the invocation under debugpy on 127.0.0.1:PORT, waiting for a client",
    )
    invoke.set_defaults(run=cmd_invoke)
    events = commands.add_parser(
        "events", help="the event the gateway builds for a request (proxy or authorizer)"
    )
    events.add_argument("kind", choices=[k.value for k in sample_events.EventKind])
    events.add_argument("--method", default="GET")
    events.add_argument("--path", default="/dataproc", help="path below the stage")
    events.add_argument("--query", action="append", metavar="NAME=VALUE")
    events.add_argument("--header", action="append", metavar="'NAME: VALUE'")
    events.add_argument("--body-file", metavar="FILE", help="the request body; - reads stdin")
    events.add_argument("--content-type", default="text/plain")
    events.add_argument("--user", help="whose access token to send (default: the demo user)")
    events.add_argument("--password", help="that user's password")
    events.add_argument("--anonymous", action="store_true", help="send no Authorization")
    events.set_defaults(run=cmd_events)
