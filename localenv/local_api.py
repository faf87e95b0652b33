"""The local API: runtime, gateway and observers of a deployed stack, served on localhost."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localenv.alarm_schedule import AlarmSchedule
from localenv.deployer import StackState
from localenv.edge.calls import AwsCall
from localenv.edge.errors import EdgeResponse
from localenv.edge.lambda_invoke import LambdaInvoke
from localenv.errors import LocalenvError
from localenv.gateway import api_model
from localenv.gateway.core import unobserved
from localenv.gateway.http_server import GatewayHttpServer
from localenv.gateway.requests import Request, Response
from localenv.gateway.serving import ServedApi
from localenv.gateway.trace import Trace
from localenv.iam.guard import IamGuard
from localenv.observe import access_logs
from localenv.observe.alarm_engine import AlarmEngine
from localenv.observe.clock import Clock
from localenv.observe.cloudwatch_api import CloudWatchApi
from localenv.observe.control import ControlServer
from localenv.observe.metrics import MetricPublisher, MetricStore
from localenv.observe.notifications import Notifier
from localenv.observe.pending import PendingObservations
from localenv.resources.base import DeployContext
from localenv.runtime import debugger, interpreters, sandbox
from localenv.runtime.embedded_logs import EmbeddedLogs
from localenv.runtime.environment import Outcome
from localenv.runtime.functions import load_functions
from localenv.runtime.log_shipper import LogShipper
from localenv.runtime.log_tail import LogTap
from localenv.runtime.pool import Runtime, ThrottledError
from localenv.stack import deployed_functions, served_api
from localenv.workspace import Workspace


class NotStartedError(LocalenvError):
    """Asked for a part only a started stack has."""


@dataclass(frozen=True)
class Observers:
    """Where function output, request metrics and alarms go (built when the stack starts:
    they hold the emulator's clients; ``LocalApi.start`` starts their sender threads)."""

    logs: LogShipper
    metrics: MetricPublisher
    alarms: AlarmEngine
    # CloudWatch calls the harness answers at the edge (alarm history, percentiles).
    cloudwatch_api: CloudWatchApi
    # Lambda's Invoke at the edge, served by this runtime (localenv/edge/lambda_invoke.py).
    lambda_invoke: LambdaInvoke


class LocalApi:
    """The runtime, the gateway and the observers of a deployed stack.

    The constructor stores configuration; ``start(ctx, ...)`` builds what needs the
    emulator's clients, loads functions and the API, and serves."""

    def __init__(
        self,
        workspace: Workspace,
        cache: Path,
        host: str,
        port: int,
        iam: IamGuard,
        clock: Clock,
        worker_env: dict[str, str],
    ):
        self.workspace = workspace
        self.cache = cache
        self.host, self.port = host, port
        self.iam = iam
        iam.sink = self.iam_warning
        self.clock = clock
        self.store = MetricStore()
        self.cloudwatch_lock = threading.Lock()
        # The tap lets Invoke return an invocation's log tail.
        self.log_tap = LogTap(self.function_logs)
        self.runtime = Runtime(self.executable_for, worker_env, self.log_tap)
        self.debug: debugger.DebugTarget | None = None  # `up --debug`, set before start()
        self.serving = ServedApi(workspace.directory, self.invoke, self.observe, clock.now)
        self.embedded = False  # moto runs in this process (every call crosses the edge)
        self.server: GatewayHttpServer | None = None
        # Answered requests whose metrics are not yet written: reads of metrics wait.
        self.pending = PendingObservations()
        self.control = ControlServer(
            {
                ("POST", "/alarms/evaluate"): self.evaluate_alarms,
                ("GET", "/alarms/failures"): self.alarm_failures,
                ("GET", "/metrics"): self.metric_datapoints,
                ("GET", "/iam/report"): iam.report,
            }
        )
        self.schedule = AlarmSchedule(self.evaluate_scheduled)
        self.context: DeployContext | None = None
        self.emulator_id = ""
        self.parts: Observers | None = None

    @property
    def started(self) -> bool:
        return self.parts is not None

    @property
    def ctx(self) -> DeployContext:
        if self.context is None:
            raise NotStartedError("the local API has not started")
        return self.context

    @property
    def observers(self) -> Observers:
        if self.parts is None:
            raise NotStartedError("the local API has not started")
        return self.parts

    def build_observers(self, ctx: DeployContext, embedded: bool) -> Observers:
        cloudwatch = ctx.client("cloudwatch")
        # Lambda delivers function logs itself, not as the account's calls: with moto in
        # this process, straight into its logs backend (localenv/runtime/embedded_logs.py).
        logs = EmbeddedLogs(ctx.account_id, ctx.region) if embedded else ctx.client("logs")
        alarms = AlarmEngine(
            cloudwatch,
            self.store,
            self.clock,
            Notifier(
                ctx.client("sns"), self.workspace.directory, ctx.client("sqs"), ctx.client("kms")
            ),
            ctx.account_id,
            ctx.region,
            self.alarm_names,
            self.cloudwatch_lock,
        )
        return Observers(
            LogShipper(logs),
            MetricPublisher(self.store, cloudwatch, self.clock, self.cloudwatch_lock),
            alarms,
            CloudWatchApi(self.store, alarms.history, self.clock),
            LambdaInvoke(
                lambda: {name: pool.config for name, pool in self.runtime.pools.items()},
                self.invoke,
                self.log_tap,
                ctx.region,
                ctx.account_id,
            ),
        )

    def answer_cloudwatch(self, call: AwsCall) -> EdgeResponse | None:
        """The edge interceptor for CloudWatch reads; nothing to answer before the start."""
        return self.parts.cloudwatch_api(call) if self.parts is not None else None

    @functools.cache  # noqa: B019 - one lookup per runtime for the life of the stack
    def executable_for(self, runtime: str) -> tuple[str, Path]:
        interpreter = interpreters.interpreter_for(runtime)
        # What differs from AWS's sandbox is loud, and kept for `localenv status`.
        for message in sandbox.warnings(runtime, interpreter):
            interpreters.record_warning(self.workspace.directory, message)
        return interpreter.executable, interpreters.runtime_layer(interpreter, self.cache)

    def invoke(
        self,
        function: str,
        payload: bytes,
        request_id: str | None = None,
        debug_port: int | None = None,
    ) -> Outcome:
        """Run the function in the stack's runtime (the gateway's integrations, the edge's
        Invoke); ``debug_port``: in a one-off environment under debugpy."""
        metrics = self.observers.metrics
        try:
            invoked = self.runtime.invoke(function, payload, request_id, debug_port)
        except ThrottledError:
            metrics.lambda_throttle(function)
            raise
        outcome = invoked.outcome
        metrics.lambda_invocation(function, outcome.kind, outcome.duration_ms, invoked.concurrency)
        return outcome

    def function_logs(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        """Function output to CloudWatch Logs; Embedded Metric Format lines become metrics."""
        observers = self.observers
        for _, line in lines:
            if '"_aws"' in line:
                observers.metrics.emf(line)
        self.iam.lambda_writes_logs(group, stream, self.ctx.region)
        observers.logs(group, stream, lines)

    def observe(self, trace: Trace, model: api_model.ApiModel) -> None:
        """Metrics and the access log line of one request through the gateway (its trace),
        as the deployment that served it says (a reload may come before it is written)."""
        self.observers.metrics.api_request(
            trace.api_name, trace.stage, trace.status, trace.latency_ms, trace.integration_ms
        )
        group = access_logs.group_of(model.access_log_destination)
        if group and model.access_log_format:
            line = access_logs.format_line(model.access_log_format, trace.access_record())
            self.observers.logs(group, "localenv-access", [(int(trace.time * 1000), line)])

    def iam_warning(self, group: str, line: str) -> None:
        """A would-be denial (--iam warn), in the function's log group."""
        self.observers.logs(group, "localenv-iam", [(int(time.time() * 1000), line)])

    def state(self) -> StackState:
        ctx = self.ctx
        return StackState.load(self.workspace.state_file, ctx.stack_name, self.emulator_id)

    def alarm_names(self) -> list[str]:
        resources = self.state().resources.values()
        return [r.physical_id for r in resources if r.type == "AWS::CloudWatch::Alarm"]

    def evaluate_alarms(self, query: dict[str, str]) -> dict[str, object]:
        self.pending.settle()  # the requests already answered count in this period
        advance = float(query.get("advance", "0"))
        if advance:
            self.clock.advance(advance)
        if "next_period" in query:
            self.clock.to_next_period(float(query["next_period"]))
        changes = self.observers.alarms.evaluate_all()
        return {"now": self.clock.now(), "changes": [vars(c) for c in changes]}

    def evaluate_scheduled(self) -> None:
        self.observers.alarms.evaluate_all()

    def alarm_failures(self, _query: dict[str, str]) -> dict[str, object]:
        return {"failures": list(self.schedule.failures)}

    def metric_datapoints(self, query: dict[str, str]) -> dict[str, object]:
        self.pending.settle()
        found = self.store.find(query["name"], query.get("namespace"))
        return {
            "series": [
                {
                    "namespace": k.namespace,
                    "name": k.name,
                    "dimensions": dict(k.dimensions),
                    "datapoints": v[-50:],
                }
                for k, v in found.items()
            ]
        }

    def handle(self, request: Request) -> tuple[Response, Callable[[], None]]:
        """The gateway's response, and what it does once the response is sent."""
        gateway = self.serving.gateway
        if gateway is None:
            starting = b'{"message":"the local API is starting"}'
            return Response(503, [("Content-Type", "application/json")], starting), unobserved
        response, observe = gateway.answer(request)
        return response, self.pending.track(observe)

    def load(self) -> None:
        """(Re)read functions and the API from the emulator; recycle changed environments.
        Every configuration gap (an unsupported authorizer, integration or setting)
        surfaces here, once, not on a request."""
        ctx, state = self.ctx, self.state()
        functions = debugger.apply(
            self.debug,
            load_functions(
                ctx.client("lambda"), ctx.endpoint_url, deployed_functions(ctx, state), self.cache
            ),
        )
        self.runtime.configure(self.iam.attach(ctx.client("iam"), ctx.client("sts"), functions))
        for config in self.runtime.pools.values():
            self.executable_for(config.config.runtime)  # install runtime layers up front
        self.serving.serve(ctx, served_api(state), self.embedded, self.debug)

    def reserve_port(self) -> None:
        """Bind the API's port now, serve it in ``start()``: the runtime's servers bind
        ports the system picks, and one of them could be the API's while it is free."""
        self.server = GatewayHttpServer(self.host, self.port, self.handle)
        self.server.listen()

    def release_port(self) -> None:
        """Close a port ``reserve_port`` bound, when the API never started."""
        if self.server is not None and not self.started:
            self.server.stop()
            self.server = None

    def start(
        self,
        ctx: DeployContext,
        emulator_id: str,
        alarm_interval: float = 60.0,
        embedded: bool = False,  # moto runs in this process
    ) -> None:
        self.context, self.emulator_id, self.embedded = ctx, emulator_id, embedded
        self.parts = self.build_observers(ctx, embedded)
        self.parts.logs.start()
        self.parts.metrics.start()
        self.runtime.start()
        self.load()
        self.observers.lambda_invoke.start()
        if self.server is None:
            self.server = GatewayHttpServer(self.host, self.port, self.handle)
        self.server.start()
        self.control.start()
        self.schedule.start(alarm_interval)

    def recycle(self) -> None:
        self.runtime.recycle()

    def stop(self) -> None:
        self.serving.stop_watching()
        self.schedule.stop()
        self.control.stop()
        if self.server is not None:
            self.server.stop()
        if self.parts is not None:
            self.parts.lambda_invoke.stop()
        self.serving.stop_gateway()
        self.runtime.stop()
        if self.parts is not None:
            self.parts.metrics.stop()
            self.parts.logs.stop()
