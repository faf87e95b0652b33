"""Stacks sharing one cache (parallel test runs, two `up`s) write the same artifact and unpack
the same function code at once: each ends with it whole and in place, none fails."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

from localenv import atomic
from localenv.resources.code import FunctionCode
from localenv.runtime.functions import extract


def code() -> FunctionCode:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(200):
            archive.writestr(f"pkg/module_{n}.py", f"VALUE = {n}\n" * 50)
    return FunctionCode.of(buffer.getvalue())


def at_once(work: Callable[[], object], threads: int = 8) -> list[object]:
    """What ``work`` returned or raised in each of ``threads`` threads started together."""
    start, results = threading.Barrier(threads), []

    def one() -> None:
        start.wait()
        try:
            results.append(work())
        except BaseException as exc:  # the test reports what any thread raised
            results.append(exc)

    running = [threading.Thread(target=one) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()
    return results


def test_concurrent_extractions_of_the_same_code_all_end_with_it_in_place(tmp_path: Path) -> None:
    shared = code()
    results = at_once(lambda: extract(shared, tmp_path))
    target = tmp_path / "code" / shared.hexdigest
    assert results == [target] * 8
    assert (target / "pkg" / "module_199.py").read_text() == "VALUE = 199\n" * 50
    assert [p.name for p in (tmp_path / "code").iterdir()] == [shared.hexdigest]  # no leftovers


def test_concurrent_writers_of_one_cache_file_leave_it_whole(tmp_path: Path) -> None:
    target = tmp_path / "cache" / "artifact.zip"
    content = b"the same bytes from every writer\n" * 20_000

    def write(staging: Path) -> None:
        with staging.open("wb") as out:
            for offset in range(0, len(content), 4096):  # slowly: the writers overlap
                out.write(content[offset : offset + 4096])

    assert at_once(lambda: atomic.publish_file(target, write)) == [None] * 8
    assert target.read_bytes() == content
    assert [p.name for p in target.parent.iterdir()] == ["artifact.zip"]  # no staging left
