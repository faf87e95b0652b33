"""The observability commands: logs, alarms, notifications, metrics."""

from __future__ import annotations

import argparse
import time
from typing import Any

import requests

from localenv import emulator
from localenv.console import CliError, say, workspace_of
from localenv.deployer import StackState
from localenv.observe import notifications
from localenv.workspace import RunRecord, Workspace, running


def cmd_logs(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        raise CliError("localenv is not running")
    groups = function_log_groups(workspace, record)
    chosen = {n: g for n, g in groups.items() if not args.function or args.function in n}
    if not chosen:
        raise CliError(f"no function matches {args.function!r}; functions: {', '.join(groups)}")
    logs = emulator.session(record.region).client("logs", endpoint_url=record.endpoint_url)
    since = 0
    while True:
        for name, group in chosen.items():
            since = max(since, print_log_events(logs, name, group, since))
        if not args.follow:
            return 0
        time.sleep(1)


def function_log_groups(workspace: Workspace, record: RunRecord) -> dict[str, str]:
    state = StackState.load(workspace.state_file, record.stack_name, record.emulator_id)
    return {
        saved.physical_id: saved.local["LogGroup"]
        for saved in state.resources.values()
        if saved.type == "AWS::Lambda::Function"
    }


def print_log_events(logs: Any, name: str, group: str, since: int) -> int:
    newest = since
    try:
        pages = logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, startTime=since + 1
        )
        for page in pages:
            for event in page["events"]:
                stamp = time.strftime("%H:%M:%S", time.gmtime(event["timestamp"] / 1000))
                say(f"{name} {stamp} {event['message']}")
                newest = max(newest, event["timestamp"])
    except logs.exceptions.ResourceNotFoundException:
        pass
    return newest


def control(args: argparse.Namespace, method: str, path: str, **query: Any) -> Any:
    record = running(workspace_of(args))
    if record is None or not record.control_url:
        raise CliError("localenv is not running")
    params = {k: v for k, v in query.items() if v is not None}
    response = requests.request(method, record.control_url + path, params=params, timeout=60)
    if not response.ok:
        raise CliError(response.json().get("error", response.text))
    return response.json()


def cmd_alarms(args: argparse.Namespace) -> int:
    if args.action == "evaluate":
        result = control(
            args, "POST", "/alarms/evaluate", advance=args.advance, next_period=args.next_period
        )
        for change in result["changes"]:
            say(f"{change['alarm']}: {change['old']} -> {change['new']}")
    record = running(workspace_of(args))
    assert record is not None
    cloudwatch = emulator.session(record.region).client(
        "cloudwatch", endpoint_url=record.endpoint_url
    )
    for alarm in cloudwatch.describe_alarms()["MetricAlarms"]:
        say(f"{alarm['StateValue']:<18} {alarm['AlarmName']}")
        say(f"{'':<18} {alarm.get('StateReason', '')}")
    return 0


def cmd_notifications(args: argparse.Namespace) -> int:
    directory = workspace_of(args).directory
    shown = 0
    while True:
        records = notifications.read(directory)
        for record in records[shown:]:
            message = record["message"]
            stamp = time.strftime("%H:%M:%S", time.gmtime(record["time"]))
            say(f"{stamp} {record['subject']}")
            say(f"         {message.get('NewStateReason', '')}")
        shown = len(records)
        if not args.follow:
            return 0
        time.sleep(1)


def cmd_metrics(args: argparse.Namespace) -> int:
    result = control(args, "GET", "/metrics", name=args.name, namespace=args.namespace)
    if not result["series"]:
        say(f"no datapoints for {args.name}")
    for series in result["series"]:
        dims = ", ".join(f"{k}={v}" for k, v in series["dimensions"].items())
        say(f"{series['namespace']} {series['name']} {dims}")
        for timestamp, value in series["datapoints"][-args.last :]:
            stamp = time.strftime("%H:%M:%S", time.gmtime(timestamp))
            say(f"  {stamp}  {value:g}")
    return 0


def add_commands(commands: Any) -> None:
    logs = commands.add_parser("logs", help="function logs from the emulator's CloudWatch Logs")
    logs.add_argument("function", nargs="?", help="a function name, or part of one")
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(run=cmd_logs)
    alarms = commands.add_parser("alarms", help="alarm states and reasons; `evaluate` runs now")
    alarms.add_argument("action", nargs="?", choices=["evaluate"])
    alarms.add_argument("--advance", type=float, help="move the stack's clock first (seconds)")
    alarms.add_argument(
        "--next-period",
        type=float,
        metavar="SECONDS",
        help="first jump to the start of the next period of this length",
    )
    alarms.set_defaults(run=cmd_alarms)
    notes = commands.add_parser("notifications", help="alarm notifications delivered")
    notes.add_argument("-f", "--follow", action="store_true")
    notes.set_defaults(run=cmd_notifications)
    metrics = commands.add_parser("metrics", help="recent datapoints of a metric")
    metrics.add_argument("name")
    metrics.add_argument("--namespace")
    metrics.add_argument("--last", type=int, default=20)
    metrics.set_defaults(run=cmd_metrics)
