"""Cold start of one execution environment: sandboxed (mount namespace) vs the fallback.

    python benchmarks/cold_start.py [--samples 20]

Each sample starts a fresh environment for the test stack's echo function, invokes it
once and stops it; the Init Duration (process start to the runtime's first poll) and
the first invocation's wall time are reported, as p50 over the samples. The fallback
launch is the unsandboxed launch of before, without the harness's site-packages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localenv.runtime import interpreters  # noqa: E402
from localenv.runtime.environment import Environment, FunctionConfig  # noqa: E402

CODE = ROOT / "tests" / "e2e" / "stack" / "functions"
EVENT = json.dumps({"httpMethod": "GET", "path": "/open"}).encode()


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


def one_cold_start(executable: str, layer: Path) -> tuple[float, float]:
    env = Environment(config(), executable, layer, {"AWS_REGION": "us-east-1"}, lambda *_: None)
    begun = time.perf_counter()
    env.start()
    try:
        outcome = env.invoke(EVENT, "bench")
        elapsed = (time.perf_counter() - begun) * 1000  # start + first invocation, not stop
    finally:
        env.stop()
    assert outcome.kind == "ok", outcome
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
    layer = interpreters.runtime_layer(interpreter, ROOT / ".localenv" / "cache")
    one_cold_start(interpreter.executable, layer)  # caches warm (page cache, .pyc)
    runs = [one_cold_start(interpreter.executable, layer) for _ in range(samples)]
    return {
        "init_p50_ms": statistics.median(r[0] for r in runs),
        "first_invoke_p50_ms": statistics.median(r[1] for r in runs),
    }


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
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
