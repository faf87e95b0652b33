"""What the command line says: one line per message, one-line errors."""

from __future__ import annotations

import argparse
from pathlib import Path

from localenv.errors import LocalenvError
from localenv.workspace import Workspace


class CliError(LocalenvError):
    """A one-line error for the user."""


def say(message: str) -> None:
    print(message, flush=True)


def state_dir(args: argparse.Namespace) -> Path | None:
    return Path(args.state_dir).resolve() if args.state_dir else None


def workspace_of(args: argparse.Namespace) -> Workspace:
    return Workspace(Path(args.root).resolve(), state_dir(args))
