"""Lambda's own log lines, as CloudWatch Logs stores them.

Every event Lambda writes ends with a newline; REPORT's fields are tab-separated and the
line ends with a tab before the newline; a cold start begins with ``INIT_START`` naming
the runtime version (recorded from AWS by LocalStack:
tests/aws/services/lambda_/test_lambda_runtimes.snapshot.json and test_lambda.snapshot.json;
https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path

# Locally the runtime version is this harness's build of the runtime, named as AWS names
# its own ("python:3.12.mainlinev2.v43"); the ARN's hash is of the runtime's packages.
LOCAL_RUNTIME_BUILD = "local"


def init_start(runtime: str, region: str, packages: str) -> str:
    version = f"{runtime.replace('python', 'python:')}.{LOCAL_RUNTIME_BUILD}"
    digest = hashlib.sha256(f"{runtime}/{packages}".encode()).hexdigest()
    arn = f"arn:aws:lambda:{region}::runtime:{digest}"
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: {arn}\n"


def start(request_id: str) -> str:
    return f"START RequestId: {request_id} Version: $LATEST\n"


def end(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def timed_out(request_id: str, timeout: float) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds\n"


def report(
    request_id: str, duration_ms: float, memory_mb: int, max_used_mb: int, init_ms: float | None
) -> str:
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {max_used_mb} MB",
    ]
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    return "\t".join(parts) + "\t\n"


def peak_memory_mb(pid: int) -> int:
    """REPORT's Max Memory Used of a running worker: its peak resident memory (VmHWM)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return math.ceil(int(line.split()[1]) / 1024)
    return 0


def output_line(raw: str) -> str:
    """One line the function printed, as its own event ending in a newline.

    awslambdaric writes an unhandled exception's ``[ERROR]`` record to stdout with its
    newlines replaced by ``\\r`` (so it stays one line); on AWS the record travels through
    the runtime's log channel and keeps ``\\n``.
    """
    line = raw.rstrip("\n")
    if line.startswith("[ERROR]"):
        line = line.replace("\r", "\n")
    return line + "\n"


def stream_name(uuid_hex: str) -> str:
    """``YYYY/MM/DD/[$LATEST]<id>``, dated in UTC as Lambda dates it."""
    return time.strftime("%Y/%m/%d/[$LATEST]", time.gmtime()) + uuid_hex


def dated_today(stream: str) -> bool:
    """Whether a stream named by ``stream_name`` is dated today (UTC)."""
    return stream == stream_name(stream.rsplit("]", 1)[1])
