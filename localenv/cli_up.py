"""``localenv up``, ``down``, ``status``, ``reset``: the stack's lifecycle on the command line.

The foreground ``up`` runs the stack through ``LocalStack``; this module only
parses, prints, and turns signals into stop and reload."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localenv import api_client, cognito_users, detach, emulator, gc_tuning, stack
from localenv.cli_observe import control
from localenv.console import say, state_dir, workspace_of
from localenv.deployer import DeployResult
from localenv.errors import LocalenvError
from localenv.iam.enforcer import Mode
from localenv.local_stack import LocalStack, RunOptions
from localenv.runtime.debugger import DebugTarget
from localenv.workspace import RunRecord, RunStatus, Workspace, alive, running

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


def run_options_from(args: argparse.Namespace) -> RunOptions:
    return RunOptions(
        args.host, args.port, args.endpoint_url, Mode(args.iam), args.alarm_interval, args.debug
    )


def cmd_up(args: argparse.Namespace) -> int:
    options = options_from(args)
    current = running(options.workspace)
    if current is not None:
        say(f"localenv is running (pid {current.pid}); applying the template to it")
        _, result = stack.deploy(options, current.endpoint_url, current.emulator_id, say)
        say(
            f"updated: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.replaced)} replaced, "
            f"{len(result.deleted)} deleted, {len(result.kept)} unchanged"
        )
        os.kill(current.pid, signal.SIGHUP)
        say_drift(options.workspace, current)
        return 0
    if args.detach:
        return detach.start_detached(options.workspace, args.original_argv)
    return run_foreground(LocalStack(options, run_options_from(args), say), args)


def run_foreground(local: LocalStack, args: argparse.Namespace) -> int:
    stop, reload = threading.Event(), threading.Event()
    install_stop_handlers(stop, reload)
    try:
        with gc_tuning.paused():
            local.start()
        report(local.outputs, local.result, local.started_in)
        say_drift(local.workspace, local.record)
        if args.demo:
            demo(local.outputs)
        serve(stop, reload, local, args.watch)
    finally:
        say("stopping")
        local.stop()
    return 0


def serve(stop: threading.Event, reload: threading.Event, local: LocalStack, watch: bool) -> None:
    """Serve until stopped; reload after a redeploy (SIGHUP) or, with --watch, a code change."""
    watcher = SourceWatcher(local.options.root / "handlers") if watch else None
    while not stop.wait(0.5):
        if watcher is not None and watcher.changed():
            say("handlers/ changed: rebuilding and redeploying")
            try:
                local.deploy()
            except LocalenvError as exc:
                say(f"localenv: {exc}")
                continue
            reload.set()
        if reload.is_set():
            reload.clear()
            local.reload()
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


def report(outputs: dict[str, Any], result: DeployResult, seconds: float) -> None:
    say(
        f"ready in {seconds:.2f} s: {len(result.created) + len(result.kept)} resources"
        + (f", skipped by condition: {', '.join(sorted(result.skipped))}" if result.skipped else "")
    )
    for key in sorted(outputs):
        say(f"  {key:<18} {outputs[key]}")
    say("try:")
    for line in stack.paste_lines(outputs):
        say(f"  {line}")


def cmd_down(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        say("localenv is not running")
        return 0
    try:
        if not record.embedded:
            destroy_external(args, record)
    finally:
        stop_process(workspace, record)  # whatever the teardown met, no process is left
    return 0


def destroy_external(args: argparse.Namespace, record: RunRecord) -> None:
    # The stack the running `up` deployed, whatever `down`'s own defaults say.
    options = dataclasses.replace(
        options_from(args), stack_name=record.stack_name, region=record.region
    )
    deleted = stack.destroy(options, record.endpoint_url, record.emulator_id)
    say(f"deleted {len(deleted)} resources from {record.endpoint_url}")


def stop_process(workspace: Workspace, record: RunRecord) -> None:
    os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while alive(record.pid) and time.monotonic() < deadline:
        reap(record.pid)
        time.sleep(0.05)
    if alive(record.pid):
        os.killpg(record.pid, signal.SIGKILL)
    workspace.run_file.unlink(missing_ok=True)
    say(f"localenv stopped (pid {record.pid})")


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
    detach.say_runtime_warnings(workspace)
    if record.status != RunStatus.READY:
        return 3
    say_drift(workspace, record)
    for failure in control(args, "GET", "/alarms/failures")["failures"][-3:]:
        say(f"  alarm evaluation failed: {failure}")
    return 0


def say_drift(workspace: Workspace, record: RunRecord) -> None:
    """One line when the stage serves a deployment older than the API's definition.
    A line of information: an AWS error while reading the API is said, and the stack
    keeps serving."""
    try:
        found = stack.stack_drift(workspace, record)
    except (ClientError, BotoCoreError) as exc:
        say(f"  undeployed changes: could not read the API ({exc})")
        return
    if found is not None:
        say(f"  undeployed: {found.line()}")


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


def add_up_command(commands: Any) -> None:
    up = commands.add_parser("up", help="bring the stack up (foreground; Ctrl-C stops it)")
    add_stack_options(up)
    up.add_argument("--detach", action="store_true", help="run in the background")
    up.add_argument("--demo", action="store_true", help="upload a demo file once ready")
    up.add_argument(
        "--debug",
        type=DebugTarget.parse,
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


def add_commands(commands: Any) -> None:
    add_up_command(commands)
    down = commands.add_parser("down", help="stop the stack, leaving no process")
    add_stack_options(down)
    down.set_defaults(run=cmd_down)
    commands.add_parser("status", help="is it running, and where").set_defaults(run=cmd_status)
