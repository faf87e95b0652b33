"""Cold start of one execution environment, and what Lambda itself would pay of it.

    python benchmarks/cold_start.py [--samples 20]

Each sample starts a fresh environment for the test stack's echo function, invokes it
once and stops it, three ways: launched on demand in its sandbox (mount namespace), taken
as a standby (runtime started ahead, the function's init on the invocation; see
localenv/runtime/standby.py), and the fallback launch (no namespaces). It reports the
Init Duration the REPORT line carries and the wall time the invocation waited (from the
launch, or for a standby from the gate opening, to the response), p50 over the samples.

Then what Lambda itself pays of a cold start, the handlers' own import: each module of the
built artifact imported by python3.12 (``-X importtime``, p50), with the bytecode the
artifact ships and with the sources only (how every cold start went before).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localenv import build  # noqa: E402
from localenv.runtime import interpreters  # noqa: E402
from localenv.runtime.environment import Environment, FunctionConfig, OutcomeKind  # noqa: E402

CODE = ROOT / "tests" / "e2e" / "stack" / "functions"
EVENT = json.dumps({"httpMethod": "GET", "path": "/open"}).encode()
CACHE = ROOT / ".localenv" / "cache"
HANDLERS = ("authorizer", "processor", "reader")


def config() -> FunctionConfig:
    return FunctionConfig(
        name="bench-echo",
        arn="arn:aws:lambda:us-east-1:123456789012:function:bench-echo",
        handler="behaviours.echo",
        runtime="python3.12",
        timeout=30.0,
        memory_mb=256,
        environment={},
        code_dir=CODE,
        log_group="/aws/lambda/bench-echo",
        reserved_concurrency=None,
    )


def one_cold_start(executable: str, layer: Path, standby: bool) -> tuple[float, float]:
    env = Environment(config(), executable, layer, {"AWS_REGION": "us-east-1"}, lambda *_: None)
    begun = time.perf_counter()
    env.start()
    try:
        if standby:
            env.wait_runtime()  # started ahead: the invocation waits from here
            begun = time.perf_counter()
        env.begin()
        outcome = env.invoke(EVENT, "bench")
        elapsed = (time.perf_counter() - begun) * 1000  # not the stop
    finally:
        env.stop()
    assert outcome.kind is OutcomeKind.OK, outcome
    return float(outcome.init_ms or 0.0), elapsed


def measure(samples: int, mode: str) -> dict[str, float]:
    """Run in a child so the sandbox choice (cached per process) is the asked one."""
    env = {**os.environ, "LOCALENV_SANDBOX": mode}
    out = subprocess.run(  # noqa: S603 - this script, in the other mode
        [sys.executable, __file__, "--samples", str(samples), "--child"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return dict(json.loads(out.splitlines()[-1]))


def child(samples: int) -> dict[str, float]:
    interpreter = interpreters.interpreter_for("python3.12")
    layer = interpreters.runtime_layer(interpreter, CACHE)
    one_cold_start(interpreter.executable, layer, False)  # caches warm (page cache, .pyc)
    results = {}
    for kind, standby in (("on_demand", False), ("standby", True)):
        runs = [one_cold_start(interpreter.executable, layer, standby) for _ in range(samples)]
        results[f"{kind}_init_p50_ms"] = statistics.median(r[0] for r in runs)
        results[f"{kind}_wall_p50_ms"] = statistics.median(r[1] for r in runs)
    return results


def import_ms(python: str, code: Path, layer: Path, module: str, samples: int) -> float:
    """p50 of the module's cumulative import time, nothing written (/var/task is read-only)."""
    found = []
    for _ in range(samples):
        run = subprocess.run(  # noqa: S603 - the function runtime's interpreter
            [python, "-B", "-S", "-s", "-X", "importtime", "-c", f"import {module}"],
            capture_output=True, text=True, cwd=code, check=True,
            env={"PATH": os.environ["PATH"], "PYTHONPATH": f"{code}:{layer}"},
        )  # fmt: skip
        found.append(int(re.findall(rf"\|\s+(\d+) \| {re.escape(module)}$", run.stderr, re.M)[-1]))
    return statistics.median(found) / 1000


def handler_imports(samples: int) -> dict[str, dict[str, float]]:
    interpreter = interpreters.interpreter_for("python3.12")
    layer = interpreters.runtime_layer(interpreter, CACHE)
    with tempfile.TemporaryDirectory() as scratch:
        code = Path(scratch)
        zipfile.ZipFile(build.build(ROOT).path).extractall(code)
        compiled = imports(interpreter.executable, code, layer, samples)
        for pyc in code.rglob("__pycache__/*.pyc"):
            pyc.unlink()
        source = imports(interpreter.executable, code, layer, samples)
    return {n: {"bytecode_ms": compiled[n], "source_only_ms": source[n]} for n in HANDLERS}


def imports(python: str, code: Path, layer: Path, samples: int) -> dict[str, float]:
    return {n: import_ms(python, code, layer, f"handlers.{n}", samples) for n in HANDLERS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.samples)))
        return 0
    results: dict[str, Any] = {
        mode: measure(args.samples, mode) for mode in ("namespaces", "fallback")
    }
    results["handler_import_ms"] = handler_imports(max(5, args.samples // 2))
    results["load_average_1m"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
