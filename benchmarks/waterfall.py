"""Where a warm upload's time goes, hop by hop: the stack runs in this process with
its hops timed, a client in another process sends paced uploads, and each upload's
time is split into who spent it.

- client: ``requests`` writing the request and reading the answer, the kernel
  between the two processes, and the gateway reading the request line and writing
  its answer;
- gateway: the API's HTTP server, routing, the cached authorizer, the invoke
  permission, the proxy event, the proxy response (localenv/gateway);
- runtime: the hand-off to the worker and back, the Lambda Runtime API, the
  function's log lines and REPORT (localenv/runtime);
- function: the worker, as Lambda runs it: awslambdaric, the handler, boto3 building,
  signing and sending its calls and reading their answers (AWS pays this too);
- edge: the stack's AWS endpoint: HTTP, IAM, DynamoDB's limits, faults
  (localenv/edge);
- emulator: moto answering the call.

Every hop is timed with the monotonic clock, which both processes share. The
timing adds a few microseconds per hop. Nothing is asserted.

    python benchmarks/waterfall.py [--uploads 400] [--big 20] [--json] [--chart PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import measure  # noqa: E402
from benchmarks.ingest import big_file  # noqa: E402

SEGMENTS = ("client", "gateway", "runtime", "function", "edge", "emulator")
GOAL_P50_MS = 5.0
PACE_S = measure.MIN_INTERVAL_S  # as measure.py paces its uploads (the stage's rate)
Event = tuple[int, str]


class Hops:
    """Timestamps of the hops, taken by wrapping the methods that make them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.undo: list[Callable[[], None]] = []
        self.http = threading.local()  # whether this thread serves an edge HTTP call

    def mark(self, label: str) -> None:
        stamp = time.monotonic_ns()
        with self.lock:
            self.events.append((stamp, label))

    def around(self, owner: Any, name: str, label: Callable[..., str]) -> None:
        original = owner.__dict__[name]

        def timed(*args: Any, **kwargs: Any) -> Any:
            tag = label(*args)
            self.mark(tag + ".in")
            try:
                return original(*args, **kwargs)
            finally:
                self.mark(tag + ".out")

        setattr(owner, name, timed)
        self.undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        from localenv.edge.backends import MotoBackend  # noqa: PLC0415
        from localenv.edge.server import EdgeRequestHandler  # noqa: PLC0415
        from localenv.gateway.http_server import GatewayRequestHandler  # noqa: PLC0415
        from localenv.local_api import LocalApi  # noqa: PLC0415
        from localenv.runtime.runtime_api import RuntimeApiHandler  # noqa: PLC0415

        parse = BaseHTTPRequestHandler.parse_request

        def parse_request(handler: BaseHTTPRequestHandler) -> bool:
            self.mark(self.arrival(handler))
            return parse(handler)

        BaseHTTPRequestHandler.parse_request = parse_request  # type: ignore[method-assign,assignment]
        self.undo.append(lambda: setattr(BaseHTTPRequestHandler, "parse_request", parse))
        reply = RuntimeApiHandler.reply

        def replied(handler: RuntimeApiHandler, *args: Any, **kwargs: Any) -> None:
            reply(handler, *args, **kwargs)
            if handler.command == "GET":
                self.mark("next.sent")

        RuntimeApiHandler.reply = replied  # type: ignore[method-assign,assignment]
        self.undo.append(lambda: setattr(RuntimeApiHandler, "reply", reply))
        self.around(GatewayRequestHandler, "send", lambda *_: "sent")
        self.around(LocalApi, "invoke", lambda _api, function, *_: f"invoke:{function}")
        # The edge's HTTP calls only (the functions'), from their request line on: the
        # stack's own calls (log shipping, metrics) reach it in-process, in the background.
        for verb in ("do_GET", "do_POST", "do_PUT", "do_DELETE", "do_HEAD", "do_PATCH"):
            self.around(EdgeRequestHandler, verb, lambda *_: "edge-call")
        self.around(MotoBackend, "forward", self.moto_label)

    def arrival(self, handler: BaseHTTPRequestHandler) -> str:
        """The label of a request line read: the edge's calls open an "edge" interval, the
        worker's POST of its outcome is told from its GET of the next event."""
        kind = type(handler).__name__
        if kind == "EdgeRequestHandler":
            self.http.inside = True
            return "edge.in"
        if kind == "RuntimeApiHandler" and getattr(handler, "raw_requestline", b"")[:4] == b"POST":
            return "runtime.post"
        return f"{kind}.arrive"

    def moto_label(self, _backend: Any, raw: Any) -> str:
        return f"moto:{target(raw)}" if getattr(self.http, "inside", False) else "in-process"

    def remove(self) -> None:
        for undo in reversed(self.undo):
            undo()

    def window(self, start: int, end: int) -> list[Event]:
        with self.lock:
            return [e for e in self.events if start <= e[0] <= end]


def target(raw: Any) -> str:
    headers = {k.lower(): v for k, v in raw.headers}
    return str(headers.get("x-amz-target", raw.target)).rpartition(".")[2]


def first(events: list[Event], label: str, after: int = 0) -> int:
    return next(t for t, lab in events if lab == label and t >= after)


def last(events: list[Event], label: str, before: int) -> int:
    return max(t for t, lab in events if lab == label and t <= before)


def union_ns(intervals: list[tuple[int, int]]) -> int:
    total, reach = 0, 0
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def intervals(events: list[Event], prefix: str, start: int, end: int) -> list[tuple[int, int]]:
    """(in, out) of each call whose label starts with ``prefix`` inside [start, end]."""
    opened: dict[str, list[int]] = {}
    spans = []
    for t, lab in events:
        if not (start <= t <= end and lab.startswith(prefix)):
            continue
        name, _, edge = lab.rpartition(".")
        if edge == "in":
            opened.setdefault(name, []).append(t)
        elif opened.get(name):
            spans.append((opened[name].pop(0), t))
    return spans


def edge_intervals(events: list[Event], start: int, end: int) -> list[tuple[int, int]]:
    """Each HTTP call at the edge, from its request line read to its answer written."""
    marks = [(t, lab) for t, lab in events if lab in ("edge.in", "edge-call.out")]
    renamed = [(t, "edge.in" if lab == "edge.in" else "edge.out") for t, lab in marks]
    return intervals(renamed, "edge", start, end)


def split(events: list[Event], sent: int, received: int, function: str) -> dict[str, float]:
    """One upload's time, in ms per segment (they add up to the client's round trip)."""
    arrive = first(events, "GatewayRequestHandler.arrive", sent)
    invoked = first(events, f"invoke:{function}.in", arrive)
    handed = first(events, "next.sent", invoked)
    returned = first(events, f"invoke:{function}.out", handed)
    answered = first(events, "sent.in", returned)
    posted = last(events, "runtime.post", returned)
    edge = union_ns(edge_intervals(events, handed, posted))
    moto = union_ns(intervals(events, "moto:", handed, posted))
    ns = {
        "client": (arrive - sent) + (received - answered),
        "gateway": (invoked - arrive) + (answered - returned),
        "runtime": (handed - invoked) + (returned - posted),
        "function": (posted - handed) - edge,
        "edge": edge - moto,
        "emulator": moto,
    }
    return {name: value / 1e6 for name, value in ns.items()}


def client(state: Path, count: int, big: bool, out: Path) -> None:
    """Paced uploads, one at a time, each as (sent, received) monotonic ns."""
    import requests  # noqa: PLC0415

    outputs = json.loads((state / "outputs.json").read_text())
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {measure.token(outputs)}"
    url, body = outputs["ApiEndpoint"], big_file() if big else b""
    times = []
    for _ in range(count):
        time.sleep(PACE_S)
        data = uuid.uuid4().hex.encode() + body[32:] if big else None  # a new upload id
        data = data or f"line {uuid.uuid4()}\n".encode()
        sent = time.monotonic_ns()
        response = session.post(url, data=data, headers={"Content-Type": "text/plain"})
        received = time.monotonic_ns()
        if response.status_code != 201:
            raise SystemExit(f"upload answered {response.status_code}: {response.text}")
        times.append((sent, received))
    out.write_text(json.dumps(times))


@contextmanager
def traced_stack(base: Path) -> Iterator[tuple[Any, Hops]]:
    from localenv import gc_tuning, stack  # noqa: PLC0415
    from localenv.local_stack import LocalStack, RunOptions  # noqa: PLC0415
    from localenv.pytest_plugin import free_port  # noqa: PLC0415

    hops = Hops()
    hops.install()
    options = stack.StackOptions(
        root=measure.fresh_project(base),
        state_dir=base / "state",
        api_port=free_port(),
    )
    local = LocalStack(options, RunOptions(port=free_port()))
    try:
        with gc_tuning.paused():
            local.start()
        yield local, hops
    finally:
        local.stop()
        hops.remove()


def run_client(state: Path, count: int, big: bool) -> list[tuple[int, int]]:
    out = state / f"times-{uuid.uuid4().hex}.json"
    command = [sys.executable, __file__, "--client", str(state), str(count), str(out)]
    subprocess.run([*command, *(["--big-body"] if big else [])], check=True)  # noqa: S603
    return [tuple(pair) for pair in json.loads(out.read_text())]


def summary(rows: list[dict[str, float]]) -> dict[str, Any]:
    totals = sorted(sum(row.values()) for row in rows)
    return {
        "uploads": len(rows),
        "total_p50_ms": statistics.median(totals),
        "total_p99_ms": totals[min(len(totals) - 1, int(len(totals) * 0.99))],
        "median_ms": {s: statistics.median(row[s] for row in rows) for s in SEGMENTS},
    }


def measure_uploads(count: int, big_count: int) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="waterfall-"))
    try:
        with traced_stack(base) as (local, hops):
            state, function = local.workspace.directory, processor_name(local)
            run_client(state, 50, big=False)  # warm: environments, authorizer cache
            results = {}
            for name, count_, big in (("one_line", count, False), ("4_mib", big_count, True)):
                if count_:
                    run_client(state, 2, big) if big else None
                    times = run_client(state, count_, big)
                    rows = [split(hops.window(s, r), s, r, function) for s, r in times]
                    results[name] = summary(rows)
            return results
    finally:
        shutil.rmtree(base, ignore_errors=True)


def processor_name(local: Any) -> str:
    names = [name for name in local.api.runtime.pools if "processor" in name]
    if len(names) != 1:
        raise SystemExit(f"expected one processor function, found {names}")
    return str(names[0])


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    rows = [(name, results[name]) for name in ("one_line", "4_mib") if name in results]
    figure, axes = plt.subplots(len(rows), 1, figsize=(10, 1.7 * len(rows) + 0.4), squeeze=False)
    colours = ("#999999", "#1f77b4", "#17becf", "#ff7f0e", "#2ca02c", "#d62728")
    for ax, (name, result) in zip(axes[:, 0], rows, strict=True):
        left = 0.0
        for segment, colour in zip(SEGMENTS, colours, strict=True):
            width = result["median_ms"][segment]
            ax.barh([0], [width], left=left, color=colour, label=f"{segment} {width:.2f} ms")
            left += width
        if name == "one_line":
            ax.axvline(GOAL_P50_MS, color="black", linestyle="--", label=f"goal {GOAL_P50_MS} ms")
        ax.set_yticks([])
        ax.set_xlabel("ms, the median of each segment")
        title = "one-line upload" if name == "one_line" else "4 MiB upload"
        ax.set_title(f"{title}: p50 {result['total_p50_ms']:.2f} ms, {result['uploads']} paced")
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def report(results: dict[str, Any]) -> None:
    for name, result in results.items():
        print(
            f"{name}: {result['uploads']} paced uploads, p50 {result['total_p50_ms']:.2f} ms,"
            f" p99 {result['total_p99_ms']:.2f} ms; median per segment:"
        )
        for segment in SEGMENTS:
            print(f"  {segment:<9} {result['median_ms'][segment]:8.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=400, help="paced one-line uploads")
    parser.add_argument("--big", type=int, default=20, help="paced 4 MiB uploads")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--chart", type=Path, default=Path(__file__).with_name("waterfall.png"))
    parser.add_argument("--client", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--big-body", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        state, count, out = args.client
        client(Path(state), int(count), args.big_body, Path(out))
        return 0
    results = measure_uploads(args.uploads, args.big)
    print(json.dumps(results, indent=1)) if args.json else report(results)
    try:
        chart(results, args.chart)
    except ImportError:
        print("no chart: pip install -e '.[bench]' (matplotlib)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
