"""The ``localenv`` command line: the whole pipeline on this machine.

``localenv up --detach`` starts the stack before anything heavy loads
(localenv/detach.py); every other command goes through the full parser
(localenv/commands.py)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from localenv import detach, gc_tuning
from localenv.errors import LocalenvError


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        started = detach.fast_path(arguments)
    except LocalenvError as exc:
        print(f"localenv: {exc}", file=sys.stderr)
        return 1
    if started is not None:
        return started
    with gc_tuning.paused():
        from localenv import commands  # noqa: PLC0415 - the harness loads only when needed

    return commands.main(arguments)
