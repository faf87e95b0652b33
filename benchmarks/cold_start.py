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

And each handler's whole INIT plus first invocation, as a cold request pays it: a fresh
python3.12 imports the handler from the built artifact and the runtime layer and calls it
once with a sample event (the authorizer fetching its JWKS from a loopback server, the
processor and reader making their first DynamoDB client and calls against a loopback
stub that answers at once), p50 wall and CPU time of the import and of the first call.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localenv import build  # noqa: E402
from localenv.runtime import interpreters  # noqa: E402
from localenv.runtime.environment import Environment, FunctionConfig, OutcomeKind  # noqa: E402
from tests import token_factory  # noqa: E402
from tests.jwks_server import JwksServer  # noqa: E402
from tests.sample_events import load  # noqa: E402

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


def handler_imports(samples: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per handler: its import with and without bytecode; its import plus first call."""
    interpreter = interpreters.interpreter_for("python3.12")
    layer = interpreters.runtime_layer(interpreter, CACHE)
    with tempfile.TemporaryDirectory() as scratch:
        code = Path(scratch)
        zipfile.ZipFile(build.build(ROOT).path).extractall(code)
        first = first_calls(interpreter.executable, code, layer, samples)
        compiled = imports(interpreter.executable, code, layer, samples)
        for pyc in code.rglob("__pycache__/*.pyc"):
            pyc.unlink()
        source = imports(interpreter.executable, code, layer, samples)
    found = {n: {"bytecode_ms": compiled[n], "source_only_ms": source[n]} for n in HANDLERS}
    return found, first


def imports(python: str, code: Path, layer: Path, samples: int) -> dict[str, float]:
    return {n: import_ms(python, code, layer, f"handlers.{n}", samples) for n in HANDLERS}


FIRST_CALL = """
import json, os, resource, sys, time
class Context:
    function_name = "bench"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    def get_remaining_time_in_millis(self):
        return 28000
begun = time.perf_counter()
module = __import__("handlers." + sys.argv[1], fromlist=["handler"])
imported = time.perf_counter()
module.handler(json.loads(os.environ["BENCH_EVENT"]), Context())
called = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"import_ms": (imported - begun) * 1000, "first_call_ms": (called - imported)
    * 1000, "process_cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000}))
"""


class DynamoDBStub(http.server.BaseHTTPRequestHandler):
    """Answers every DynamoDB call at once, as a success with nothing in it."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        query = self.headers.get("X-Amz-Target", "").endswith(".Query")
        body = b'{"Items": [], "Count": 0, "ScannedCount": 0}' if query else b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


def serve(server: http.server.HTTPServer) -> None:
    threading.Thread(target=server.serve_forever, daemon=True).start()


def sample_events(key: token_factory.SigningKey) -> dict[str, dict[str, Any]]:
    now = int(time.time())
    token = key.sign(token_factory.access_claims(exp=now + 3600, iat=now, auth_time=now))
    authorizer = load("authorizer_request")
    authorizer["headers"] = {"Authorization": f"Bearer {token}"}
    authorizer["multiValueHeaders"] = {"Authorization": [f"Bearer {token}"]}
    return {
        "authorizer": authorizer,
        "processor": load("post_upload"),
        "reader": load("list_uploads"),
    }


def function_env(dynamodb: str, jwks_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": dynamodb,
        "TABLE_NAME": "bench",
        "COGNITO_ISSUER": token_factory.ISSUER,
        "COGNITO_CLIENT_ID": token_factory.CLIENT_ID,
        "JWKS_URL": jwks_url,
    }


def first_call(python: str, code: Path, layer: Path, name: str, env: dict[str, str]) -> Any:
    run = subprocess.run(  # noqa: S603 - the function runtime's interpreter
        [python, "-B", "-S", "-s", "-c", FIRST_CALL, name],
        capture_output=True, text=True, cwd=code, check=True,
        env={**env, "PYTHONPATH": f"{code}:{layer}"},
    )  # fmt: skip
    return json.loads(run.stdout.splitlines()[-1])


def first_calls(python: str, code: Path, layer: Path, samples: int) -> dict[str, Any]:
    """Per handler, p50 of the import, the first call and the process's CPU, interleaved."""
    key = token_factory.SigningKey("bench")
    jwks = JwksServer(token_factory.jwks(key))
    stub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DynamoDBStub)
    serve(jwks.httpd)
    serve(stub)
    try:
        env = function_env(f"http://127.0.0.1:{stub.server_address[1]}", jwks.url)
        events = sample_events(key)
        runs: dict[str, list[Any]] = {name: [] for name in HANDLERS}
        for _ in range(samples):
            for name in HANDLERS:
                event = {**env, "BENCH_EVENT": json.dumps(events[name])}
                runs[name].append(first_call(python, code, layer, name, event))
    finally:
        jwks.httpd.shutdown()
        stub.shutdown()
    return {name: p50s(found) for name, found in runs.items()}


def p50s(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: round(statistics.median(r[k] for r in runs), 1) for k in runs[0]}


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
    imported, first = handler_imports(max(5, args.samples // 2))
    results["handler_import_ms"] = imported
    results["handler_first_invocation"] = first
    results["load_average_1m"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
