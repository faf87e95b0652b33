"""The ``localenv`` command line: the whole pipeline on this machine."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from localenv import (
    api_client,
    build,
    cfn_deploy,
    cli_iam,
    cli_observe,
    cognito_users,
    emulator,
    packaging,
    stack,
)
from localenv.console import CliError, say, state_dir, workspace_of
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi, stack_drift
from localenv.resources.base import DeployError
from localenv.runtime import debugger, interpreters
from localenv.template_loader import TemplateError
from localenv.workspace import RunRecord, Workspace, alive, read_outputs, running

READY_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 15


def options_from(args: argparse.Namespace) -> stack.StackOptions:
    parameters = dict(p.split("=", 1) for p in args.parameter or [])
    return stack.StackOptions(
        root=Path(args.root).resolve(),
        stack_name=args.stack_name,
        region=args.region,
        api_port=args.api_port,
        api_host=args.host,
        parameters=parameters,
        demo_username=args.demo_user,
        demo_password=args.demo_password,
        state_dir=state_dir(args),
        template=Path(args.template).resolve() if getattr(args, "template", None) else None,
        account_concurrency=args.account_concurrency,
    )


def cmd_up(args: argparse.Namespace) -> int:
    options = options_from(args)
    workspace = options.workspace
    current = running(workspace)
    if current is not None:
        say(f"localenv is running (pid {current.pid}); applying the template to it")
        _, result = stack.deploy(options, current.endpoint_url, current.emulator_id, say)
        say(
            f"updated: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.replaced)} replaced, "
            f"{len(result.deleted)} deleted, {len(result.kept)} unchanged"
        )
        os.kill(current.pid, signal.SIGHUP)
        say_drift(workspace, current)
        return 0
    if args.detach:
        return start_detached(workspace, args)
    return run_foreground(options, args)


def run_foreground(options: stack.StackOptions, args: argparse.Namespace) -> int:
    workspace = options.workspace
    started = time.monotonic()
    guard = IamGuard(Mode(args.iam))
    server = emulator.Emulator(
        args.host, args.port, backend_url=args.endpoint_url, interceptors=[guard.enforcer]
    )
    endpoint_url, emulator_id, embedded = server.endpoint_url, server.emulator_id, server.embedded
    stop, reload = threading.Event(), threading.Event()
    install_stop_handlers(stop, reload)
    api: LocalApi | None = None
    record = RunRecord(
        os.getpid(),
        endpoint_url,
        emulator_id,
        embedded,
        options.stack_name,
        options.region,
        "starting",
    )
    try:
        if emulator.port_in_use(options.api_host, options.api_port):
            raise CliError(f"API port {options.api_port} is in use: pick another with --api-port")
        (workspace.directory / interpreters.WARNINGS_FILE).unlink(missing_ok=True)  # [w19]
        server.start()
        behind = "moto (embedded)" if embedded else args.endpoint_url
        say(f"AWS endpoint: {endpoint_url} -> {behind}; IAM {guard.mode.value}")
        record.write(workspace)
        outputs, result = stack.deploy(options, endpoint_url, emulator_id, lambda m: say("  " + m))
        api = LocalApi(
            stack.context(options, endpoint_url, say),
            emulator_id,
            workspace.state_file,
            options.root / build.CACHE,
            options.api_host,
            options.api_port,
            guard,
        )
        api.debug = args.debug  # [w19 --debug]
        api.start(args.alarm_interval)
        report(outputs, result, time.monotonic() - started)
        say_drift(workspace, record)
        if args.demo:
            demo(outputs)
        record.status, record.api_url = "ready", str(outputs.get("ApiEndpoint", ""))
        record.control_url = api.control.url
        record.write(workspace)
        serve(stop, reload, api, options, endpoint_url, emulator_id, args.watch)
    finally:
        say("stopping")
        if api is not None:
            api.stop()
            guard.save(workspace.directory / cli_iam.REPORT_FILE)
        server.stop()
        workspace.run_file.unlink(missing_ok=True)
    return 0


def serve(
    stop: threading.Event,
    reload: threading.Event,
    api: LocalApi,
    options: stack.StackOptions,
    endpoint_url: str,
    emulator_id: str,
    watch: bool,
) -> None:
    """Serve until stopped; reload after a redeploy (SIGHUP) or, with --watch, a code change."""
    watcher = SourceWatcher(options.root / "handlers") if watch else None
    while not stop.wait(0.5):
        if watcher is not None and watcher.changed():
            say("handlers/ changed: rebuilding and redeploying")
            try:
                stack.deploy(options, endpoint_url, emulator_id, lambda m: say("  " + m))
            except ERRORS as exc:
                say(f"localenv: {exc}")
                continue
            reload.set()
        if reload.is_set():
            reload.clear()
            api.load()
            say("reloaded functions and API; environments recycled where code changed")


class SourceWatcher:
    """Polls a tree for changes (mtime and size of every file)."""

    def __init__(self, root: Path):
        self.root = root
        self.seen = self.snapshot()

    def snapshot(self) -> dict[str, tuple[float, int]]:
        files = [p for p in self.root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        return {str(p): (p.stat().st_mtime, p.stat().st_size) for p in files}

    def changed(self) -> bool:
        now = self.snapshot()
        changed, self.seen = now != self.seen, now
        return changed


def demo(outputs: dict[str, Any]) -> None:
    response = api_client.upload(outputs, api_client.DEMO_TEXT.encode(), "demo.txt")
    say(f"demo upload: POST {outputs['ApiEndpoint']}?name=demo.txt -> {response.status_code}")
    say(f"  {response.text}")
    if response.status_code == 201:
        read = api_client.get(outputs, response.json()["uploadId"])
        say(f"  GET {response.headers['Location']} -> {read.status_code}: {read.json()['data']}")


def install_stop_handlers(stop: threading.Event, reload: threading.Event) -> None:
    def handle(signum: int, _frame: Any) -> None:
        if signum == signal.SIGHUP:
            reload.set()
        else:
            stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, handle)


def report(outputs: dict[str, Any], result: Any, seconds: float) -> None:
    say(
        f"ready in {seconds:.2f} s: {len(result.created) + len(result.kept)} resources"
        + (f", skipped by condition: {', '.join(sorted(result.skipped))}" if result.skipped else "")
    )
    for key in sorted(outputs):
        say(f"  {key:<18} {outputs[key]}")
    say("try:")
    for line in stack.paste_lines(outputs):
        say(f"  {line}")


def start_detached(workspace: Workspace, args: argparse.Namespace) -> int:
    """Run ``localenv up`` in the background; return once it reports ready (or failed)."""
    workspace.directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "localenv", *args.original_argv]
    with workspace.log_file.open("w") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        record = RunRecord.read(workspace)
        if record is not None and record.pid == child.pid and record.status == "ready":
            say(f"localenv up: ready (pid {child.pid}); log: {workspace.log_file}")
            say_runtime_warnings(workspace)  # [w19 sandbox]
            return 0
        if child.poll() is not None:
            raise CliError(f"localenv up failed:\n{workspace.log_file.read_text().strip()}")
        time.sleep(0.05)
    child.terminate()
    raise CliError(f"localenv up did not become ready in {READY_TIMEOUT_SECONDS} s")


def cmd_down(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        say("localenv is not running")
        return 0
    if not record.embedded:
        deleted = stack.destroy(options_from(args), record.endpoint_url, record.emulator_id)
        say(f"deleted {len(deleted)} resources from {record.endpoint_url}")
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while alive(record.pid) and time.monotonic() < deadline:
        reap(record.pid)
        time.sleep(0.05)
    if alive(record.pid):
        os.killpg(record.pid, signal.SIGKILL)
    workspace.run_file.unlink(missing_ok=True)
    say(f"localenv stopped (pid {record.pid})")
    return 0


def reap(pid: int) -> None:
    """Collect the exit status if the process is our child (a detached up started here)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def cmd_status(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        say("localenv: not running")
        return 3
    say(f"localenv: {record.status} (pid {record.pid})")
    say(f"  emulator  {record.endpoint_url} ({'embedded' if record.embedded else 'external'})")
    if record.api_url:
        say(f"  api       {record.api_url}")
    if record.status == "ready":
        say_drift(workspace, record)
    say_runtime_warnings(workspace)  # [w19 sandbox]
    return 0 if record.status == "ready" else 3


def say_runtime_warnings(workspace: Workspace) -> None:
    """[w19 sandbox] A missing interpreter or sandbox, said where the user looks."""
    for message in interpreters.recorded_warnings(workspace.directory):
        say(message)


def say_drift(workspace: Workspace, record: RunRecord) -> None:
    """One line when the stage serves a deployment older than the API's definition."""
    found = stack_drift(workspace, record)
    if found is not None:
        say(f"  undeployed: {found.line()}")


def cmd_outputs(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    if args.json:
        say(json.dumps(outputs, indent=2))
    else:
        for key in sorted(outputs):
            say(f"{key:<18} {outputs[key]}")
    return 0


def cognito_client(outputs: dict[str, Any]) -> Any:
    return emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )


def cmd_token(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    username = args.user or outputs["DemoUsername"]
    password = args.password or outputs["DemoPassword"]
    say(
        cognito_users.access_token(
            cognito_client(outputs), outputs["UserPoolClientId"], username, password
        )
    )
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    cognito_users.add_user(
        cognito_client(outputs), outputs["UserPoolId"], args.username, args.password
    )
    say(f"user {args.username} ready")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        raise CliError("localenv is not running")
    deleted = stack.reset_data(options_from(args), record.endpoint_url)
    say(f"emptied {read_outputs(workspace)['TableName']}: {deleted} items deleted")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    response = api_client.upload(outputs, Path(args.file).read_bytes(), args.name)
    say(f"{response.status_code} {response.text}")
    return 0 if response.ok else 1


def cmd_get(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    response = api_client.get(outputs, args.upload_id or "", args.cursor, args.limit)
    say(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0 if response.ok else 1


def cmd_cfn_deploy(args: argparse.Namespace) -> int:
    options = cfn_deploy.CfnDeployOptions(
        root=Path(args.root).resolve(),
        endpoint_url=args.endpoint_url,
        public_endpoint=args.public_endpoint or args.endpoint_url,
        outputs_file=Path(args.outputs),
        stack_name=args.stack_name,
        parameters=dict(p.split("=", 1) for p in args.parameter or []),
    )
    outputs = cfn_deploy.deploy(options)
    say(json.dumps(outputs, indent=2))
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    result = build.build(Path(args.root).resolve())
    state = "cached" if result.cached else "built"
    say(f"{state} {result.path} ({result.size} bytes, sha256 {result.sha256})")
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    parameters = dict(p.split("=", 1) for p in args.parameter_overrides or [])
    renames = packaging.package(Path(args.template), Path(args.output), parameters)
    for old, new in renames.items():
        say(f"{old} -> {new}")
    say(f"wrote {args.output}")
    return 0


def add_package_command(commands: Any) -> None:
    package = commands.add_parser(
        "package", help="name each API Deployment after a hash of the API (before deploy)"
    )
    package.add_argument("template", help="template to read (e.g. build/packaged.yaml)")
    package.add_argument("--output", required=True, help="template to write")
    package.add_argument(
        "--parameter-overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="the parameters `aws cloudformation deploy` gets (the hash covers the API's)",
    )
    package.set_defaults(run=cmd_package)


def add_stack_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--stack-name", default="dataproc")
    command.add_argument("--region", default="us-east-1")
    command.add_argument("--host", default=emulator.DEFAULT_HOST)
    command.add_argument(
        "--port",
        type=int,
        default=emulator.DEFAULT_PORT,
        help="embedded emulator port (default 4566)",
    )
    command.add_argument(
        "--api-port",
        type=int,
        default=stack.DEFAULT_API_PORT,
        help="local API Gateway port (default 4510)",
    )
    command.add_argument("--endpoint-url", help="use this running emulator instead of moto")
    command.add_argument(
        "--parameter",
        action="append",
        metavar="KEY=VALUE",
        help="template parameter override (repeatable)",
    )
    command.add_argument(
        "--template", help="template to deploy (default cloudformation/template.yaml)"
    )
    command.add_argument(
        "--account-concurrency",
        type=int,
        default=1000,
        metavar="N",
        help="the account's Lambda concurrency limit the deploy checks use "
        "(default 1000; 10 models a new account)",
    )
    command.add_argument("--demo-user", default=cognito_users.DEMO_USERNAME)
    command.add_argument("--demo-password", default=cognito_users.DEMO_PASSWORD)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="localenv", description=__doc__)
    top.add_argument("--root", default=".", help="project root (default: current directory)")
    top.add_argument(
        "--state-dir", help="where this stack keeps its files (default ROOT/.localenv)"
    )
    commands = top.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="bring the stack up (foreground; Ctrl-C stops it)")
    add_stack_options(up)
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--demo", action="store_true", help="upload a demo file once ready")
    up.add_argument(  # [w19 --debug]
        "--debug",
        type=debugger.DebugTarget.parse,
        metavar="FUNCTION[:PORT]",
        help="run FUNCTION under debugpy on 127.0.0.1:PORT (default 5890), waiting for a client",
    )
    up.add_argument(
        "--alarm-interval",
        type=float,
        default=60.0,
        help="seconds between alarm evaluations (CloudWatch: 60)",
    )
    up.add_argument(
        "--watch",
        action="store_true",
        help="rebuild and recycle environments when handlers/ changes",
    )
    up.add_argument(
        "--iam",
        choices=[m.value for m in Mode],
        default=Mode.ENFORCE.value,
        help="evaluate functions' AWS calls against their roles: enforce (default), "
        "warn (log would-be denials), off",
    )
    up.set_defaults(run=cmd_up)
    down = commands.add_parser("down", help="stop the stack, leaving no process")
    add_stack_options(down)
    down.set_defaults(run=cmd_down)
    commands.add_parser("status", help="is it running, and where").set_defaults(run=cmd_status)
    outputs = commands.add_parser("outputs", help="the stack outputs")
    outputs.add_argument("--json", action="store_true")
    outputs.set_defaults(run=cmd_outputs)
    token = commands.add_parser("token", help="an access token through Cognito InitiateAuth")
    token.add_argument("--user")
    token.add_argument("--password")
    token.set_defaults(run=cmd_token)
    users = commands.add_parser("users", help="manage users").add_subparsers(required=True)
    add = users.add_parser("add", help="create a confirmed user")
    add.add_argument("username")
    add.add_argument("password")
    add.set_defaults(run=cmd_users_add)
    reset = commands.add_parser("reset", help="empty the data, keep the stack")
    add_stack_options(reset)
    reset.set_defaults(run=cmd_reset)
    commands.add_parser("build", help="build the Lambda artifact").set_defaults(run=cmd_build)
    upload = commands.add_parser("upload", help="upload a file through the local API (demo user)")
    upload.add_argument("file")
    upload.add_argument("--name")
    upload.set_defaults(run=cmd_upload)
    get = commands.add_parser("get", help="read an upload (or list them) through the local API")
    get.add_argument("upload_id", nargs="?")
    get.add_argument("--cursor")
    get.add_argument("--limit", type=int)
    get.set_defaults(run=cmd_get)
    add_package_command(commands)
    cli_observe.add_commands(commands)
    cli_iam.add_commands(commands)
    add_cfn_deploy_command(commands)
    return top


def add_cfn_deploy_command(commands: Any) -> None:
    cfn = commands.add_parser(
        "cfn-deploy", help="deploy through an emulator's own CloudFormation API (LocalStack)"
    )
    cfn.add_argument("--endpoint-url", required=True)
    cfn.add_argument("--public-endpoint", help="the endpoint as clients reach it")
    cfn.add_argument("--outputs", default=".localenv/cfn-outputs.json")
    cfn.add_argument("--stack-name", default="dataproc")
    cfn.add_argument("--parameter", action="append", metavar="KEY=VALUE")
    cfn.set_defaults(run=cmd_cfn_deploy)


ERRORS: tuple[type[BaseException], ...] = (
    CliError,
    emulator.EmulatorError,
    TemplateError,
    DeployError,
    build.BuildError,
    FileNotFoundError,
    ClientError,
    BotoCoreError,
    ResponseParserError,
)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(arguments)
    args.original_argv = [a for a in arguments if a != "--detach"]
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except ERRORS as exc:
        print(f"localenv: {exc}", file=sys.stderr)
        return 1
