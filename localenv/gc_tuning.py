"""Garbage collection around start-up.

Start-up imports moto, boto3 and the harness and builds the stack: hundreds of
thousands of objects that live as long as the process. CPython's collector runs
its full collection again and again while that heap grows (each one walks every
tracked object): ~0.2-0.4 s of a ~2.5 s start here. Collection is paused while
the process starts (what start-up allocates is kept anyway; reference counting
still frees everything else), and what the pause built is frozen (``gc.freeze``)
before the collector runs again: a paused collector still counts allocations, so
its first collection after the pause would otherwise walk everything allocated
in it (~80 ms after the imports alone, more after the deploy, just as the first
requests arrive), and later collections, during requests, skip it too.
https://docs.python.org/3/library/gc.html#gc.freeze
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No collection inside the block; what it built is frozen, then the collector's
    state is restored. No collection before the freeze: it would hold the
    interpreter to reclaim the few cycles start-up left behind."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()
