"""The load run: uploads under AWS's faults, then every upload read back and checked.

    python benchmarks/load.py [--uploads 500] [--clients 20] [--json] [--out DIR]

Starts the default stack in this process on free loopback ports, sends uploads of
1 line to 2 MiB from concurrent clients (each retrying 429/5xx, honouring
Retry-After) under a fault schedule (DynamoDB throttling on 30% of calls, 5%
internal errors, partial BatchWriteItem, latency spikes, one worker killed
mid-upload), reads every upload back through the API (line count, sha256,
order), checks the access log and REPORT lines, then sends twice the stage's
burst. Bounded in count and time; stops by itself. Figures are reported, not
asserted; the chart (latency over time, fault windows marked) is written to --out.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import load_client as lc  # noqa: E402
from localenv.fault_client import Faults  # noqa: E402
from localenv.local_stack import LocalStack, RunOptions  # noqa: E402
from localenv.observe import access_logs  # noqa: E402
from localenv.pytest_plugin import free_port, new_user  # noqa: E402
from localenv.stack import StackOptions  # noqa: E402

# The schedule's steady faults: (label, rule) at the start of the upload phase.
STEADY = (
    ("throttle", {"error": "ProvisionedThroughputExceededException", "rate": 0.3}),
    ("internal_error", {"error": "InternalServerError", "rate": 0.05}),
    ("unprocessed", {"operation": "BatchWriteItem", "unprocessed": 0.5, "rate": 0.3}),
)
SPIKE_MS, SPIKE_SECONDS, SPIKE_EVERY = 300, 2.0, 8.0
KILL_POLL_SECONDS = 0.05  # how often the schedule looks for a busy worker to kill


@dataclass
class Schedule:
    """The fault schedule, run beside the uploads; it records its windows for the chart."""

    stack: LocalStack
    faults: Faults
    recorder: lc.Recorder
    done: threading.Event = field(default_factory=threading.Event)
    labels: dict[int, str] = field(default_factory=dict)
    spikes: list[float] = field(default_factory=list)
    kills: list[float] = field(default_factory=list)

    def now(self) -> float:
        return time.monotonic() - self.recorder.started

    def add(self, label: str, rule: dict[str, Any]) -> None:
        self.labels[self.faults.add("dynamodb", **rule)["id"]] = label

    def run(self) -> None:
        """Steady faults and the first spike at once, then a spike every SPIKE_EVERY / 2;
        one worker killed as soon as one is busy. Nothing waits for a first period: a
        short run (the suite's 50 uploads take a few seconds) sees every kind too."""
        for label, rule in STEADY:
            self.add(label, rule)
        self.spike()
        while not self.done.wait(KILL_POLL_SECONDS):
            if not self.kills:
                self.kill_one()
            if self.now() - self.spikes[-1] >= SPIKE_EVERY / 2:
                self.spike()

    def spike(self) -> None:
        self.spikes.append(self.now())
        self.add("latency", {"latency_ms": SPIKE_MS, "duration": f"{SPIKE_SECONDS}s"})

    def kill_one(self) -> None:
        """SIGKILL one worker while it runs an invocation (a function's process dying)."""
        busy = [env for pool in self.stack.api.runtime.pools.values() for env in list(pool.busy)]
        if busy:
            os.kill(busy[0].pid, signal.SIGKILL)
            self.kills.append(self.now())

    def injected(self) -> dict[str, int]:
        counts = {label: 0 for label, _ in STEADY} | {"latency": 0}
        for rule in self.faults.rules():
            label = self.labels.get(rule["id"], "other")
            counts[label] = counts.get(label, 0) + rule["injected"]
        return {**counts, "worker_kill": len(self.kills)}


def in_parallel(clients: int, jobs: list[Any], work: Any) -> list[Any]:
    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(work, jobs))


def upload_all(
    url: str, tokens: list[str], uploads: list[lc.Upload], rec: lc.Recorder
) -> list[str]:
    """Every upload, retried; the ones that never succeeded, with what they got."""

    def client(slot: int) -> list[str]:
        failed: list[str] = []
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {tokens[slot]}"
            for upload in uploads[slot :: len(tokens)]:
                try:
                    lc.send(rec, session, url, upload)
                except lc.LoadError as exc:
                    failed.append(str(exc))
        return failed

    return [
        f for failed in in_parallel(len(tokens), list(range(len(tokens))), client) for f in failed
    ]


def check_all(url: str, tokens: list[str], uploads: list[lc.Upload], rec: lc.Recorder) -> lc.Check:
    def client(slot: int) -> list[tuple[lc.Upload, list[str]]]:
        with requests.Session() as session:
            session.headers["Authorization"] = f"Bearer {tokens[slot]}"
            return [
                (upload, lc.read_back(rec, session, url, upload.upload_id))
                for upload in uploads[slot :: len(tokens)]
            ]

    check = lc.Check()
    for pairs in in_parallel(len(tokens), list(range(len(tokens))), client):
        for upload, got in pairs:
            check.add(upload, got)
    return check


def burst(stack: LocalStack, url: str) -> dict[str, int]:
    """Twice the stage's burst at once (CORS preflights: no function behind them)."""
    api_id, stage = stack.api.serving.served
    apigateway = stack.api.ctx.client("apigateway")
    settings = apigateway.get_stage(restApiId=api_id, stageName=stage).get("methodSettings", {})
    limit = int(settings.get("*/*", {}).get("throttlingBurstLimit", 5000))
    headers = {"Origin": "https://example.com", "Access-Control-Request-Method": "POST"}
    rec = lc.Recorder()

    def one(_: int) -> None:
        with requests.Session() as session:
            rec.timed(session, "OPTIONS", url, headers=headers)

    in_parallel(64, list(range(2 * limit)), one)
    return {"burst_limit": limit, "sent": 2 * limit, **rec.status_counts()}


def records(stack: LocalStack, requests_sent: int) -> dict[str, int]:
    outputs = stack.outputs
    model = stack.api.serving.gateway.model if stack.api.serving.gateway else None
    group = access_logs.group_of(model.access_log_destination) if model else None
    found = lc.wait_for(requests_sent, lambda: len(list(lc.log_messages(outputs, group or ""))))
    groups = [f"/aws/lambda/{name}" for name in stack.api.runtime.pools]
    return {
        "access_log_lines_missing": max(0, requests_sent - found),
        "report_lines_missing": lc.missing_reports(outputs, groups),
    }


def percentiles(samples: list[lc.Sample]) -> dict[str, float]:
    ms = sorted(s.ms for s in samples)
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 1), "p99_ms": round(cuts[98], 1), "max_ms": round(ms[-1], 1)}


def load_run(stack: LocalStack, count: int, clients: int, seed: int = 12) -> dict[str, Any]:
    outputs = stack.outputs
    url = str(outputs["ApiEndpoint"])
    tokens = [new_user(outputs).token for _ in range(clients)]
    uploads = lc.uploads(count, seed)
    rec = lc.Recorder()
    schedule = Schedule(stack, Faults(stack.record.control_url), rec)
    thread = threading.Thread(target=schedule.run, daemon=True, name="faults")
    thread.start()
    try:
        failed = upload_all(url, tokens, uploads, rec)
    finally:
        schedule.done.set()
        thread.join()
    injected = schedule.injected()
    schedule.faults.clear()
    upload_seconds = rec.samples[-1].at if rec.samples else 0.0
    stored = [u for u in uploads if u.upload_id]
    check = check_all(url, tokens, stored, rec)
    check.lost_lines += sum(len(u.lines) for u in uploads if not u.upload_id)
    return {
        "uploads": len(stored),
        "failed_uploads": failed,
        "lines": sum(len(u.lines) for u in uploads),
        "bytes": sum(len(u.body) for u in uploads),
        **vars(check),
        "faults_injected": injected,
        "status_counts": rec.status_counts(),
        **percentiles([s for s in rec.samples if s.at <= upload_seconds]),
        **records(stack, len(rec.samples)),
        "burst": burst(stack, url),
        "chart": {
            "samples": rec.samples,
            "spikes": schedule.spikes,
            "kills": schedule.kills,
            "upload_seconds": upload_seconds,
        },
    }


def chart(data: dict[str, Any], path: Path) -> None:
    """Latency over time, coloured by status; latency spikes shaded, the kill marked."""
    try:
        import matplotlib  # noqa: PLC0415 - the bench extra, only for the chart

        matplotlib.use("Agg")
        from matplotlib import pyplot  # noqa: PLC0415
    except ImportError as exc:
        raise SystemExit("the chart needs matplotlib: pip install -e '.[bench]'") from exc
    figure, axes = pyplot.subplots(figsize=(11, 5))
    samples = [s for s in data["samples"] if s.at <= data["upload_seconds"]]
    for ok, colour in ((True, "tab:blue"), (False, "tab:red")):
        chosen = [s for s in samples if (s.status < 400) == ok]
        axes.scatter(
            [s.at for s in chosen],
            [s.ms for s in chosen],
            s=6,
            c=colour,
            label="2xx" if ok else "429/5xx (retried)",
        )
    for start in data["spikes"]:
        axes.axvspan(start, start + SPIKE_SECONDS, color="orange", alpha=0.25)
    for at in data["kills"]:
        axes.axvline(at, color="black", linestyle="--", label="worker killed")
    axes.set(
        xlabel="seconds since start (throttling 30%, errors 5% throughout; "
        "orange: +300 ms latency)",
        ylabel="request latency (ms)",
        yscale="log",
    )
    axes.legend(loc="upper right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "load")
    args = parser.parse_args()
    options = StackOptions(
        root=ROOT,
        stack_name=f"load{uuid.uuid4().hex[:6]}",
        api_port=free_port(),
        state_dir=Path(tempfile.mkdtemp("-load")),
    )
    with LocalStack(options, RunOptions(port=free_port())) as stack:
        summary = load_run(stack, args.uploads, args.clients)
    args.out.mkdir(parents=True, exist_ok=True)
    chart(summary.pop("chart"), args.out / "load.png")
    (args.out / "load.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2 if args.json else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
