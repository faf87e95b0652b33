"""Mutation score per file of handlers/, from mutmut's results, minus listed equivalents.

Run after ``mutmut run`` (``tox -e mutation`` does both). Reads the exit code of
each mutant from ``mutants/handlers/*.py.meta`` and the equivalent mutants from
``tests/mutation/equivalents.txt`` (``<mutant name>  <one-line reason>``), prints
killed / counted and the score per file, the survivors, and exits 1 when the
score over handlers/ is under ``--fail-under``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
NOT_RUN = {"not checked", "skipped", "check was interrupted by user"}
EQUIVALENTS = Path(__file__).with_name("equivalents.txt")


def status(code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[code])


def equivalents(path: Path) -> dict[str, str]:
    """Mutant name -> reason; every listed mutant must give one."""
    listed: dict[str, str] = {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: {name} is listed without a reason")
        listed[name] = reason.strip()
    return listed


def results(mutants: Path) -> dict[str, dict[str, str]]:
    """File -> mutant name -> status."""
    by_file: dict[str, dict[str, str]] = {}
    for meta in sorted(mutants.glob("handlers/**/*.py.meta")):
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        name = str(meta.relative_to(mutants)).removesuffix(".meta")
        by_file[name] = {key: status(code) for key, code in codes.items()}
    return by_file


def report(by_file: dict[str, dict[str, str]], skip: dict[str, str]) -> float:
    total = Counter[str]()
    print(f"{'file':32} {'killed':>7} {'counted':>8} {'equiv':>6} {'not run':>8} {'score':>7}")
    for name, mutants in by_file.items():
        counts = Counter(
            "equivalent"
            if key in skip
            else "not run"
            if s in NOT_RUN
            else "killed"
            if s in KILLED
            else "survived"
            for key, s in mutants.items()
        )
        counted = counts["killed"] + counts["survived"]
        total.update(counts)
        score = 100 * counts["killed"] / counted if counted else float("nan")
        print(
            f"{name:32} {counts['killed']:>7} {counted:>8} {counts['equivalent']:>6} "
            f"{counts['not run']:>8} {score:>6.1f}%"
        )
    counted = total["killed"] + total["survived"]
    overall = 100 * total["killed"] / counted if counted else 100.0
    print(
        f"{'handlers/':32} {total['killed']:>7} {counted:>8} {total['equivalent']:>6} "
        f"{total['not run']:>8} {overall:>6.1f}%"
    )
    return overall


def survivors(by_file: dict[str, dict[str, str]], skip: dict[str, str]) -> list[str]:
    return [
        key
        for mutants in by_file.values()
        for key, s in mutants.items()
        if key not in skip and s not in KILLED | NOT_RUN
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--equivalents", type=Path, default=EQUIVALENTS)
    parser.add_argument("--fail-under", type=float, default=95.0)
    args = parser.parse_args(argv)
    by_file = results(args.mutants)
    skip = equivalents(args.equivalents)
    overall = report(by_file, skip)
    left = survivors(by_file, skip)
    print(f"\n{len(left)} survivors (see one with: mutmut show <name>):")
    for key in left:
        print(f"  {key}")
    return 0 if overall >= args.fail_under else 1


if __name__ == "__main__":
    sys.exit(main())
