"""Side by side with a peer: this template on the local stack and on MiniStack 1.5.33.

    python benchmarks/peer.py [--json] [--rounds 600] [--starts 3] [--gets 200]

Both stacks run on this machine in one run, driven by the same requests,
interleaved (each round sends one request to each, the order alternating):
start to ready (ours ``localenv up --detach``; the peer started, packaged and
deployed: benchmarks/peer_stack.py), the cold first authorized POST after each
start, warm GETs of one upload with a few uploads in the table, warm one-line
POSTs (``--rounds`` of them), the same GETs again, and 1 MiB uploads of 20-byte
lines. Printed as a table (JSON with --json) with ratio = peer / ours (> 1: ours
is faster); a figure a stack could not produce says why instead. A PNG chart of
the ratios is written (needs the ``bench`` extra). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import requests
from botocore.exceptions import BotoCoreError, ClientError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure, peer_report, peer_stack  # noqa: E402
from benchmarks.peer_requests import (  # noqa: E402
    Outcome,
    RequestFailedError,
    Side,
    client,
    get_one,
    interleave,
    item_count,
    post_big,
    post_line,
)

OURS, PEER = "ours", "peer"
SEED_UPLOADS = 24  # uploads in the table at the first GET figure (the cold one included)


class Stack(Protocol):
    name: str

    def start(self) -> dict[str, Any]: ...

    def stop(self) -> None: ...


@dataclass
class Ours:
    """``localenv up --detach`` / ``down`` in a fresh state directory per start."""

    root: Path
    base: Path
    name: str = OURS
    starts: int = 0

    def start(self) -> dict[str, Any]:
        self.starts += 1
        return measure.up(self.root, self.state)[1]

    @property
    def state(self) -> Path:
        return self.base / f"ours-{self.starts}"

    def stop(self) -> None:
        measure.localenv(self.root, self.state, "down")


@dataclass
class Peer:
    """A MiniStack process per start; the run's work directory is shared."""

    python: Path
    root: Path
    work: Path
    dropped: list[peer_stack.Refusal]
    name: str = PEER
    timings: list[dict[str, float]] = field(default_factory=list)
    running: peer_stack.PeerStack | None = None

    def start(self) -> dict[str, Any]:
        self.running = running = peer_stack.PeerStack(
            self.python, self.root, self.work, self.dropped
        )
        try:
            return running.start()
        except peer_stack.PeerError:
            self.stop()
            raise
        finally:
            self.timings.append(running.timings)

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


def start_rounds(
    stacks: list[Stack], count: int, figures: dict[str, dict[str, Outcome]]
) -> list[Side]:
    """Start each stack ``count`` times (alternating who goes first), time it, then its cold
    first authorized POST; all but the last round's stacks are stopped again."""
    sides: list[Side] = []
    for number in range(count):
        sides = []
        for stack in stacks if number % 2 == 0 else stacks[::-1]:
            side = start_one(stack, figures)
            if side is not None:
                sides.append(side)
            if number < count - 1:
                stack.stop()
    return sorted(sides, key=lambda s: s.name)


def start_one(stack: Stack, figures: dict[str, dict[str, Outcome]]) -> Side | None:
    starts, colds = figures["start_s"], figures["cold_ms"]
    if isinstance(starts.setdefault(stack.name, []), str):
        return None  # could not start before: not tried again
    begun = time.perf_counter()
    try:
        outputs = stack.start()
    except peer_stack.PeerError as exc:
        starts[stack.name] = colds[stack.name] = f"start failed: {exc}"
        return None
    add_sample(starts, stack.name, time.perf_counter() - begun)
    try:
        side = Side(stack.name, outputs, client(outputs))
    except (BotoCoreError, ClientError) as exc:
        colds[stack.name] = f"no access token: {exc}"
        return None
    try:
        add_sample(colds, stack.name, post_line(side, 0))
    except (RequestFailedError, requests.RequestException) as exc:
        colds[stack.name] = str(exc)
    return side


def add_sample(figure: dict[str, Outcome], name: str, value: float) -> None:
    samples = figure.setdefault(name, [])
    if isinstance(samples, list):
        samples.append(value)


def table_counts(sides: list[Side], uploads: int) -> dict[str, int]:
    return {"uploads": uploads, **{side.name: item_count(side) for side in sides}}


def warm_figures(sides: list[Side], args: argparse.Namespace, results: dict[str, Any]) -> None:
    figures, items = results["samples"], results["items"]
    interleave(sides, SEED_UPLOADS - 1, post_line)  # the cold upload was the first
    items["get_small_ms"] = table_counts(sides, SEED_UPLOADS)
    figures["get_small_ms"] = interleave(sides, args.gets, get_one)
    figures["post_ms"] = interleave(sides, args.rounds, post_line)
    items["get_large_ms"] = table_counts(sides, SEED_UPLOADS + args.rounds)
    figures["get_large_ms"] = interleave(sides, args.gets, get_one)
    figures["big_ms"] = interleave(sides, args.big, post_big)


def prepare_peer(root: Path, work: Path, results: dict[str, Any]) -> Peer | str:
    """Install (once) and deploy once untimed: what the peer refuses. Or why it cannot run."""
    try:
        python = peer_stack.venv_python(ROOT / ".localenv" / "peer-venv")
        dropped = peer_stack.discover(python, root, work)
    except peer_stack.PeerError as exc:
        return f"the template did not deploy: {exc}"
    results["peer"]["left_out"] = [{"resource": r.resource, "reason": r.reason} for r in dropped]
    return Peer(python, root, work, dropped)


def run(args: argparse.Namespace, results: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as base_name:
        base = Path(base_name)
        root = measure.fresh_project(base)
        ours = Ours(root, base)
        ours.start()  # untimed: builds the artifact (empty cache) that both deploy
        ours.stop()
        peer = prepare_peer(root, base / "peer", results)
        stacks: list[Stack] = [ours] if isinstance(peer, str) else [ours, peer]
        if isinstance(peer, str):
            results["peer"]["could_not"] = peer
        try:
            sides = start_rounds(stacks, args.starts, results["samples"])
            warm_figures(sides, args, results)
        finally:
            for stack in stacks:
                stack.stop()
        if isinstance(peer, Peer):
            results["peer"]["start_breakdown_s"] = peer.timings


def environment() -> dict[str, Any]:
    return {**measure.environment(), "utc": datetime.now(UTC).isoformat(timespec="seconds")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=600, help="warm one-line uploads per stack")
    parser.add_argument("--starts", type=int, default=3, help="timed starts per stack")
    parser.add_argument("--gets", type=int, default=200, help="GETs per stack per table size")
    parser.add_argument("--big", type=int, default=5, help="1 MiB uploads per stack")
    parser.add_argument("--chart", type=Path, default=ROOT / "benchmarks" / "peer.png")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "environment_before": environment(),
        "peer": {"name": f"MiniStack {peer_stack.VERSION}", "packages": list(peer_stack.PACKAGES)},
        "samples": {"start_s": {}, "cold_ms": {}},
        "items": {},
        "arguments": {"rounds": args.rounds, "starts": args.starts, "gets": args.gets},
    }
    run(args, results)
    results["environment_after"] = environment()
    results["rows"] = peer_report.rows(results, args.rounds)
    print(json.dumps(results, indent=2) if args.json else peer_report.table(results))
    peer_report.chart(results, args.chart)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
