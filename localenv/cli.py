"""The ``localenv`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from localenv import build


def cmd_build(args: argparse.Namespace) -> int:
    try:
        result = build.build(Path(args.root).resolve())
    except build.BuildError as exc:
        print(f"localenv: build failed: {exc}", file=sys.stderr)
        return 1
    state = "cached" if result.cached else "built"
    print(f"{state} {result.path} ({result.size} bytes, sha256 {result.sha256})")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="localenv", description=__doc__)
    top.add_argument("--root", default=".", help="project root (default: current directory)")
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="build the Lambda artifact").set_defaults(run=cmd_build)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    code: int = args.run(args)
    return code
