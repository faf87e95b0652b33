"""Files and directories of the shared cache, published whole.

Concurrent processes share one cache (two `up`s, the parallel tox environments):
each writes a file or fills a directory of its own beside the target, then renames
it into place, so no reader sees half of one. A file's rename replaces (every writer
writes the same bytes: the cache is keyed by content); a directory's cannot, so the
first rename wins and the others' copies are dropped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path


def publish_file(target: Path, write: Callable[[Path], object]) -> None:
    """``write`` a staging file of this process and thread, then put it at ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f"{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        write(staging)
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)


def publish_dir(target: Path, fill: Callable[[Path], object]) -> Path:
    """``fill`` a fresh directory beside ``target``, then rename it to ``target`` (unless
    another process did first: then its copy is used)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        fill(staging)
        staging.rename(target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
