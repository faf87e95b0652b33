"""``localenv faults add|list|clear``: faults AWS produces, injected by the running
stack's edge (localenv/edge/faults.py) through its control server."""

from __future__ import annotations

import argparse
import json
from typing import Any

from localenv.cli_observe import control
from localenv.console import say


def show(rules: list[dict[str, Any]]) -> None:
    for rule in rules:
        say(json.dumps(rule, sort_keys=True))


def cmd_faults(args: argparse.Namespace) -> int:
    if args.action == "add":
        show([control(args, "POST", "/faults", **rule_query(args))])
    elif args.action == "list":
        show(control(args, "GET", "/faults"))
    else:
        cleared = control(args, "POST", "/faults/clear")
        show(cleared)
        say(f"cleared {len(cleared)} rule(s), {sum(r['injected'] for r in cleared)} injected")
    return 0


def rule_query(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "service": args.service,
        "operation": args.operation,
        "error": args.error,
        "unprocessed": args.unprocessed,
        "latency": args.latency_ms,
        "rate": args.rate,
        "for": getattr(args, "for"),
    }


def add_commands(commands: Any) -> None:
    faults = commands.add_parser("faults", help="inject AWS's faults at the stack's edge")
    faults.add_argument("action", choices=["add", "list", "clear"])
    faults.add_argument("--service", help="signing name: dynamodb, or cognito-idp (JWKS)")
    faults.add_argument("--operation", help="one operation (default: all); jwks for Cognito")
    kind = faults.add_mutually_exclusive_group()
    kind.add_argument("--error", help="e.g. ProvisionedThroughputExceededException")
    kind.add_argument("--unprocessed", type=float, help="share of BatchWriteItem items held")
    kind.add_argument("--latency-ms", type=int, help="delay before the call goes on")
    faults.add_argument("--rate", type=float, help="share of matching calls (default 1)")
    faults.add_argument("--for", metavar="DURATION", help="e.g. 60s (default: until cleared)")
    faults.set_defaults(run=cmd_faults)
