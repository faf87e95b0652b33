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
    if args.action == "add" and args.service == "lambda":
        show([control(args, "POST", "/faults/runtime", **runtime_query(args))])
    elif args.action == "add":
        show([control(args, "POST", "/faults", **rule_query(args))])
    elif args.action == "list":
        show([*control(args, "GET", "/faults"), control(args, "GET", "/faults/runtime")])
    else:
        cleared = control(args, "POST", "/faults/clear")
        show([*cleared, control(args, "POST", "/faults/runtime")])
        say(f"cleared {len(cleared)} rule(s), {sum(r['injected'] for r in cleared)} injected")
    return 0


def runtime_query(args: argparse.Namespace) -> dict[str, Any]:
    """Runtime faults (the pool's): a slower cold start, workers killed mid-invocation."""
    return {
        "cold_start_ms": args.cold_start_ms,
        "kill_workers": args.kill_workers,
        "function": args.operation,
    }


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
    faults.add_argument("--service", help="dynamodb, cognito-idp (JWKS) or lambda (runtime)")
    faults.add_argument("--operation", help="one operation (all by default); jwks; a function")
    kind = faults.add_mutually_exclusive_group()
    kind.add_argument("--error", help="e.g. ProvisionedThroughputExceededException")
    kind.add_argument("--unprocessed", type=float, help="share of BatchWriteItem items held")
    kind.add_argument("--latency-ms", type=int, help="delay before the call goes on")
    kind.add_argument("--cold-start-ms", type=int, help="lambda: added to each cold start")
    kind.add_argument("--kill-workers", type=int, help="lambda: kill the next N mid-invocation")
    faults.add_argument("--rate", type=float, help="share of matching calls (default 1)")
    faults.add_argument("--for", metavar="DURATION", help="e.g. 60s (default: until cleared)")
    faults.set_defaults(run=cmd_faults)
