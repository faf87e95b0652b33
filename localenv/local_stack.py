"""The whole stack as one object: the AWS endpoint (edge + emulator), the deploy, the
runtime, the gateway, the observers and the run record.

Shaped like moto's ``ThreadedMotoServer``: the constructor only stores
configuration and wires the parts together; ``start()`` returns once the API
answers; ``stop()`` tears everything down; the object is a context manager. The
CLI's foreground ``localenv up`` and the pytest plugin's in-process backend both
run the stack through it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from localenv import build, emulator, stack
from localenv.deployer import DeployResult
from localenv.edge.calls import RawRequest
from localenv.edge.dynamodb_limits import dynamodb_limits
from localenv.edge.errors import EdgeResponse
from localenv.edge.faults import FaultBook, control_routes
from localenv.edge.in_process import InProcessSender
from localenv.edge.lambda_invoke import InvokeSlot
from localenv.edge.server import Edge, Interceptor, Observer
from localenv.errors import LocalenvError, aws_call_errors
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi, NotStartedError
from localenv.observe.clock import Clock
from localenv.observe.emulator_repairs import EmulatorRepairs
from localenv.resources.base import DeployContext
from localenv.runtime import interpreters
from localenv.runtime.debugger import DebugTarget
from localenv.workspace import RunRecord, RunStatus

Progress = Callable[[str], None]


class PortInUseError(LocalenvError):
    """The gateway's port is taken before anything started."""


@dataclass(frozen=True)
class RunOptions:
    """Where the AWS endpoint listens and what stands behind it; how IAM and alarms run."""

    host: str = emulator.DEFAULT_HOST
    port: int = emulator.DEFAULT_PORT
    backend_url: str | None = None  # an emulator someone else runs; None: embedded moto
    iam: Mode = Mode.ENFORCE
    alarm_interval: float = 60.0  # CloudWatch evaluates standard alarms every 60 s
    debug: DebugTarget | None = None  # one function under debugpy (`up --debug`)


def quiet(_message: str) -> None:
    """The progress sink of a stack nobody watches (tests)."""


def worker_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """What every worker starts with (Lambda's runtime sets the same kind of variables)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        # boto3 in the function talks to the stack's edge, which evaluates its calls
        # against its role (the role session's credentials come per function).
        "AWS_ENDPOINT_URL": endpoint_url,
    }


class LocalStack:
    def __init__(
        self,
        options: stack.StackOptions,
        run: RunOptions | None = None,
        progress: Progress = quiet,
    ):
        self.options = options
        self.run = run or RunOptions()
        self.progress = progress
        self.workspace = options.workspace
        self.clock = Clock()
        self.iam = IamGuard(self.run.iam)
        self.invoke_slot = InvokeSlot()  # Lambda's Invoke, served by the runtime once it runs
        self.faults = FaultBook(self.forward)  # `localenv faults`, the localenv_faults fixture
        self.emulator = emulator.Emulator(self.run.host, self.run.port, self.run.backend_url)
        self.api = LocalApi(
            self.workspace,
            options.root / build.CACHE,
            options.api_host,
            options.api_port,
            self.iam,
            self.clock,
            worker_environment(self.emulator.endpoint_url, options.region),
        )
        self.api.debug = self.run.debug
        self.api.control.routes.update(control_routes(self.faults))
        runtime_faults = self.api.runtime.faults
        self.api.control.routes[("POST", "/faults/runtime")] = runtime_faults.set
        self.api.control.routes[("GET", "/faults/runtime")] = runtime_faults.view
        self.emulator.interceptors, self.emulator.observers = self.edge_chain()
        self.record = RunRecord(
            os.getpid(),
            self.emulator.endpoint_url,
            self.emulator.emulator_id,
            self.emulator.embedded,
            options.stack_name,
            options.region,
            RunStatus.STARTING,
        )
        self.deployed: tuple[dict[str, Any], DeployResult] | None = None
        self.ctx: DeployContext | None = None
        self.started_in = 0.0
        self.runtime_setup: threading.Thread | None = None
        self.own_edge: Edge | None = None  # the edge the stack's own calls reach, kept

    def edge_chain(self) -> tuple[list[Interceptor], list[Observer]]:
        """What every AWS call meets at the edge, built from the stack's parts, in order:
        interceptors may answer (the first answer wins), observers see every call.
        Wire a new interceptor (an answer served from the harness, a fault) here."""
        interceptors: list[Interceptor] = [
            self.iam.enforcer,
            dynamodb_limits,  # what DynamoDB refuses and the emulator writes
            self.faults,  # after IAM: a denied call is denied, faults or not
            self.invoke_slot,
            self.api.answer_cloudwatch,
            EmulatorRepairs(self.forward),
        ]
        observers: list[Observer] = [self.api.serving.api_writes]
        return interceptors, observers

    def forward(self, raw: RawRequest) -> EdgeResponse:
        """A call straight to the emulator behind the edge (for answers the edge repairs)."""
        edge = self.emulator.edge
        if edge is None:
            raise NotStartedError("the AWS endpoint has not started")
        return edge.backend.forward(raw)

    @property
    def endpoint_url(self) -> str:
        return self.emulator.endpoint_url

    @property
    def outputs(self) -> dict[str, Any]:
        return self.deployment()[0]

    @property
    def result(self) -> DeployResult:
        return self.deployment()[1]

    def deployment(self) -> tuple[dict[str, Any], DeployResult]:
        if self.deployed is None:
            raise NotStartedError("the stack is not deployed yet: call start() first")
        return self.deployed

    def start(self) -> LocalStack:
        """Start the edge, deploy the template, serve the API; return once it answers."""
        started = time.monotonic()
        if emulator.port_in_use(self.options.api_host, self.options.api_port):
            raise PortInUseError(
                f"API port {self.options.api_port} is in use: pick another with --api-port"
            )
        try:
            with aws_call_errors():
                self.start_parts()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - started
        return self

    def start_parts(self) -> None:
        self.api.reserve_port()
        (self.workspace.directory / interpreters.WARNINGS_FILE).unlink(missing_ok=True)
        self.prepare_runtime()
        self.emulator.start()
        self.own_edge = self.emulator.edge
        behind = "moto (embedded)" if self.emulator.embedded else self.run.backend_url
        self.progress(f"AWS endpoint: {self.endpoint_url} -> {behind}; IAM {self.iam.mode.value}")
        self.record.write(self.workspace)
        self.deploy()
        self.runtime_prepared()
        self.api.start(
            self.context(),
            self.emulator.emulator_id,
            self.run.alarm_interval,
            embedded=self.emulator.embedded,
        )
        self.invoke_slot.target = self.api.observers.lambda_invoke
        self.record.status = RunStatus.READY
        self.record.api_url = str(self.outputs.get("ApiEndpoint", ""))
        self.record.control_url = self.api.control.url
        self.record.write(self.workspace)

    def prepare_runtime(self) -> None:
        """Locate the interpreter and install the runtime layer of the runtime the build
        targets (python3.12) while the emulator starts and the stack deploys: child
        processes (an interpreter probe; with an empty cache, uv and compileall for
        seconds) that need not wait for the deploy. The API's start waits for it."""
        runtime = f"python{build.PYTHON_VERSION}"

        def prepare() -> None:
            # A failure is raised again, loudly, where the API's start asks for the layer.
            with contextlib.suppress(Exception):
                self.api.executable_for(runtime)

        self.runtime_setup = threading.Thread(target=prepare, daemon=True, name="runtime-setup")
        self.runtime_setup.start()

    def runtime_prepared(self) -> None:
        if self.runtime_setup is not None:
            self.runtime_setup.join()
            self.runtime_setup = None

    def context(self) -> DeployContext:
        """The stack's one deploy context: its SDK clients and account id serve the
        deploy, every redeploy and the running API alike."""
        if self.ctx is None:
            self.ctx = stack.context(
                self.options,
                self.endpoint_url,
                lambda message: self.progress("  " + message),
                InProcessSender(self.handle).attach,
            )
        return self.ctx

    def handle(self, raw: RawRequest) -> EdgeResponse:
        """A call through the whole edge (interceptors, emulator, observers), no socket.
        The stack's own threads may still call while it stops (a last metric flush): the
        edge answers them as its HTTP server answered calls on open connections."""
        if self.own_edge is None:
            raise NotStartedError("the AWS endpoint has not started")
        return self.own_edge.handle(raw)

    def deploy(self) -> DeployResult:
        """Build and deploy (or update) the template into the emulator."""
        with aws_call_errors():
            self.deployed = stack.deploy(
                self.options,
                self.endpoint_url,
                self.emulator.emulator_id,
                lambda message: self.progress("  " + message),
                self.context(),
            )
        return self.deployed[1]

    def reload(self) -> None:
        """Re-read functions and the API after a redeploy; recycle changed environments."""
        self.context().code_reads.clear()  # another process may have deployed new code
        self.api.load()

    def stop(self) -> None:
        """Stop everything started; keep the state, drop the run record; safe to repeat."""
        self.runtime_prepared()
        if self.api.started:
            self.api.stop()
            self.iam.save(self.workspace.iam_report_file)
        self.api.release_port()
        self.emulator.stop()
        if self.record_is_ours():
            self.workspace.run_file.unlink(missing_ok=True)

    def record_is_ours(self) -> bool:
        current = RunRecord.read(self.workspace)
        return current is not None and current.emulator_id == self.record.emulator_id

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
