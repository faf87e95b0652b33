"""Measure the local stack: start-up, latency, throughput, write cost, import time.

    python benchmarks/measure.py [--requests 300] [--ingest-rounds 5] [--json] [--chart PATH]

Everything is measured in one run on this machine, each figure next to its floor
measured in the same run, and printed as a table (as JSON with --json); a PNG
chart is written (needs the ``bench`` extra). Nothing here is asserted: the
numbers are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import chart, edge_overhead, floors, ingest, report, table_size  # noqa: E402
from localenv import cognito_users, emulator  # noqa: E402
from localenv.pytest_plugin import StackProcess, free_port  # noqa: E402
from localenv.runtime.interpreters import interpreter_for  # noqa: E402

TEST_TEMPLATE = ROOT / "tests" / "e2e" / "stack" / "template.yaml"


def localenv(root: Path, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = StackProcess.run(root, state, *args)
    result.check_returncode()
    return result


def fresh_project(base: Path) -> Path:
    root = base / "project"
    shutil.copytree(ROOT / "cloudformation", root / "cloudformation")
    shutil.copytree(
        ROOT / "handlers", root / "handlers", ignore=shutil.ignore_patterns("__pycache__")
    )
    return root


def up(root: Path, state: Path, *extra: str) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    localenv(
        root,
        state,
        "up",
        "--detach",
        "--port",
        str(free_port()),
        "--api-port",
        str(free_port()),
        *extra,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS[state.name] = {
        "command": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        "stack": process_cpu_s(json.loads((state / "run.json").read_text())["pid"]),
    }
    return elapsed, json.loads((state / "outputs.json").read_text())


# CPU seconds of each `up --detach`: the command itself, and the stack process it
# started, read as soon as the command returned (ready). On a shared machine the
# wall-clock figure includes waiting for a core; CPU time mostly does not.
CPU_SECONDS: dict[str, dict[str, float]] = {}


def process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def environment() -> dict[str, Any]:
    """What the figures depend on besides the code: the machine's load, and whether
    Python finds compiled bytecode (without it, every start compiles moto, boto3
    and the harness from source: ~1.2 s more CPU per stack start, measured)."""
    import moto  # noqa: PLC0415 - only to find its directory

    cached = any(Path(moto.__file__).parent.glob("__pycache__/*.pyc"))
    return {
        "load_average_1m": os.getloadavg()[0],
        "cores": os.cpu_count(),
        "dont_write_bytecode": bool(sys.flags.dont_write_bytecode),
        "site_packages_bytecode": cached or bool(os.environ.get("PYTHONPYCACHEPREFIX")),
    }


def token(outputs: dict[str, Any]) -> str:
    cognito = emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )
    return cognito_users.access_token(
        cognito, outputs["UserPoolClientId"], outputs["DemoUsername"], outputs["DemoPassword"]
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def timed_post(session: requests.Session, url: str, body: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    response = session.post(url, data=body, headers={"Content-Type": "text/plain"}, timeout=120)
    return (time.perf_counter() - started) * 1000, response.status_code


# The stage allows 100 requests a second (burst 200: the template's MethodSettings);
# a client faster than that measures 429s. Warm requests start at most this often.
MIN_INTERVAL_S = 0.011


def warm_posts(session: requests.Session, url: str, count: int) -> list[float]:
    def post() -> None:
        _, status = timed_post(session, url, f"line {uuid.uuid4()}\n".encode())
        if status != 201:
            raise RuntimeError(f"a warm upload answered {status}, not 201")

    return floors.timed_calls(post, count, MIN_INTERVAL_S)


def import_times(root: Path) -> dict[str, float]:
    """Cold import of each handler module under the function's interpreter (python3.12),
    from the extracted artifact, with the runtime layer (boto3) as Lambda provides it."""
    cache = root / ".localenv" / "cache"
    code = max((cache / "code").glob("*"), key=lambda p: p.stat().st_mtime)
    layer = next((cache / "runtime").glob("python3.12-*"))
    results = {}
    python = interpreter_for("python3.12").executable
    for name in ("authorizer", "processor", "reader"):
        samples = []
        for _ in range(5):
            run = subprocess.run(  # noqa: S603 - the function runtime's interpreter
                [python, "-X", "importtime", "-c", f"import handlers.{name}"],
                capture_output=True,
                text=True,
                cwd=code,
                check=True,
                env={**os.environ, "PYTHONPATH": str(layer)},
            )
            total = [
                int(m) for m in re.findall(rf"\|\s+(\d+) \| handlers\.{name}$", run.stderr, re.M)
            ]
            samples.append(total[-1] / 1000)
        results[name] = statistics.median(samples)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--sample", type=int, default=50, help="requests per table size")
    parser.add_argument(
        "--ingest-rounds", type=int, default=5, help="interleaved 4 MiB uploads and floors"
    )
    parser.add_argument("--chart", type=Path, default=ROOT / "benchmarks" / "measure.png")
    args = parser.parse_args()
    results: dict[str, Any] = {"environment_before": environment()}
    with tempfile.TemporaryDirectory() as base_name:
        base = Path(base_name)
        root = fresh_project(base)
        cold_up, _ = up(root, base / "s1")
        localenv(root, base / "s1", "down")
        started = time.perf_counter()
        warm_up, outputs = up(root, base / "s2")
        results["up_cold_cache_s"] = cold_up
        results["up_warm_cache_s"] = warm_up
        results["up_warm_cache_cpu_s"] = CPU_SECONDS["s2"]
        try:
            measure_stack(outputs, started, args.requests, results, args.ingest_rounds)
            results["floor_put_item_p50_ms"] = floors.put_item_p50_ms(outputs, args.requests)
            results["floor_put_item_paced_p50_ms"] = floors.put_item_p50_ms(
                outputs, args.requests, MIN_INTERVAL_S
            )
            results["table_size"] = table_size.measure(outputs, token(outputs), args.sample)
            results["import_ms"] = import_times(root)
        finally:
            localenv(root, base / "s2", "down")
        results.update(measure_overhead(root, base / "s3", args.requests))
        results["floor_upload_paced_p50_ms"] = (
            results["floor_put_item_paced_p50_ms"] + results["warm_echo_paced_p50_ms"]
        )
        results.update(floors.start_floor(root / "build" / "lambda" / "functions.zip"))
    results.update(edge_overhead.measure(max(1000, args.requests)))
    results["environment_after"] = environment()
    chart_or_report(results, args)
    return 0


def chart_or_report(results: dict[str, Any], args: argparse.Namespace) -> None:
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        report.print_table(results)
    chart.write(results, args.chart)


def measure_stack(
    outputs: dict[str, Any],
    started: float,
    count: int,
    results: dict[str, Any],
    ingest_rounds: int = 5,
) -> None:
    url = outputs["ApiEndpoint"]
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token(outputs)}"
        cold_ms, status = timed_post(session, url, b"first upload\n")
        assert status == 201
        results["up_to_first_201_s"] = time.perf_counter() - started
        results["cold_first_request_ms"] = cold_ms
        warm = warm_posts(session, url, count)
        results["warm_upload_p50_ms"] = percentile(warm, 50)
        results["warm_upload_p99_ms"] = percentile(warm, 99)
        results["uploads_per_s_one_client"] = 1000 / statistics.mean(warm)
        results["ingest"] = ingest.measure(session, outputs, ingest_rounds)


def measure_overhead(root: Path, state: Path, count: int) -> dict[str, Any]:
    """Warm gateway + runtime overhead: a no-auth route to a function that only echoes."""
    _, outputs = up(root, state, "--template", str(TEST_TEMPLATE), "--stack-name", "bench")
    try:
        url = outputs["ApiEndpoint"] + "/open"
        with requests.Session() as session:
            session.get(url, timeout=30)

            def echo() -> None:
                session.get(url, timeout=30)

            samples = floors.timed_calls(echo, count)
            paced = floors.timed_calls(echo, count, MIN_INTERVAL_S)  # as the uploads are
    finally:
        localenv(root, state, "down")
    return {
        "warm_echo_p50_ms": percentile(samples, 50),
        "warm_echo_p99_ms": percentile(samples, 99),
        "warm_echo_paced_p50_ms": percentile(paced, 50),
        "warm_echo_paced_p99_ms": percentile(paced, 99),
    }


if __name__ == "__main__":
    raise SystemExit(main())
