"""``localenv iam report``: per function, what it used against what its role grants."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from localenv.cli_observe import control
from localenv.console import say, workspace_of
from localenv.workspace import running


def print_function(entry: dict[str, Any]) -> None:
    say(f"{entry['function']}  ({entry['principal']})")
    for use in entry["missing"]:
        say(f"  missing  {use['action']} on {use['resource']}")
    for grant in entry["unused"]:
        note = f" - {grant['note']}" if "note" in grant else ""
        say(f"  unused   {grant['action']} on {grant['resource']}  ({grant['policy']}){note}")
    allowed = [u for u in entry["used"] if u["allowed"]]
    for use in allowed:
        say(f"  used     {use['action']} on {use['resource']}")
    if not entry["used"]:
        say("  used     nothing yet")


def last_report(args: argparse.Namespace) -> Any:
    """The running stack's report, or the one its last run left behind."""
    workspace = workspace_of(args)
    if running(workspace) is None and workspace.iam_report_file.is_file():
        print("localenv is not running: the report of its last run", file=sys.stderr)
        return json.loads(workspace.iam_report_file.read_text())
    return control(args, "GET", "/iam/report")


def cmd_iam_report(args: argparse.Namespace) -> int:
    """Exit status 1 when a function used something its role does not grant."""
    result = last_report(args)
    if args.json:
        say(json.dumps(result, indent=2))
    else:
        say(f"IAM mode: {result['mode']}")
        for entry in result["functions"]:
            print_function(entry)
    return 1 if any(entry["missing"] for entry in result["functions"]) else 0


def add_commands(commands: Any) -> None:
    iam = commands.add_parser("iam", help="IAM as the stack's functions used it")
    actions = iam.add_subparsers(dest="iam_command", required=True)
    report = actions.add_parser(
        "report", help="per function: actions used, missing from its role, granted but unused"
    )
    report.add_argument("--json", action="store_true")
    report.set_defaults(run=cmd_iam_report)
