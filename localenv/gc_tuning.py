"""Garbage collection around start-up.

Start-up imports moto, boto3 and the harness and builds the stack: hundreds of
thousands of objects that live as long as the process. CPython's collector runs
its full collection again and again while that heap grows (each one walks every
tracked object): ~0.2-0.4 s of a ~2.5 s start here. Collection is paused while
the process starts (what start-up allocates is kept anyway; reference counting
still frees everything else), and the survivors are then frozen
(``gc.freeze``) so later collections, during requests, skip them.
https://docs.python.org/3/library/gc.html#gc.freeze
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block; the collector's state is restored after it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def freeze_survivors() -> None:
    """Move everything alive now out of the collector's reach (process-lifetime state).
    No collection first: it would hold the interpreter for ~0.1 s just as the first
    requests arrive, to reclaim the few cycles start-up left behind."""
    gc.freeze()
