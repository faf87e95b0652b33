"""The local API: runtime + gateway for a deployed stack, served on localhost."""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path

from localenv import emulator
from localenv.deployer import StackState
from localenv.gateway import api_model, deployments, permissions
from localenv.gateway.core import Exchange, Gateway
from localenv.gateway.http_server import GatewayHttpServer
from localenv.gateway.requests import Request, Response
from localenv.iam.guard import IamGuard
from localenv.intrinsics import UnsupportedError
from localenv.observe import access_logs
from localenv.observe.alarms import AlarmEngine
from localenv.observe.clock import Clock
from localenv.observe.control import ControlServer
from localenv.observe.metrics import MetricPublisher, MetricStore
from localenv.observe.notifications import Notifier
from localenv.resources.base import DeployContext
from localenv.runtime import debugger, interpreters, sandbox
from localenv.runtime.environment import Outcome
from localenv.runtime.functions import load_functions
from localenv.runtime.log_shipper import LogShipper
from localenv.runtime.pool import Runtime, ThrottledError
from localenv.workspace import RunRecord, Workspace


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


class LocalApi:
    def __init__(
        self,
        ctx: DeployContext,
        emulator_id: str,
        state_file: Path,
        cache: Path,
        host: str,
        port: int,
        iam: IamGuard,
    ):
        self.ctx = ctx
        self.iam = iam
        iam.sink = self.iam_warning
        self.emulator_id = emulator_id
        self.state_file = state_file
        self.cache = cache
        self.logs = LogShipper(ctx.client("logs"))
        self.clock = Clock()
        self.store = MetricStore()
        cloudwatch, cloudwatch_lock = ctx.client("cloudwatch"), threading.Lock()
        self.metrics = MetricPublisher(self.store, cloudwatch, self.clock, cloudwatch_lock)
        self.alarms = AlarmEngine(
            cloudwatch,
            self.store,
            self.clock,
            Notifier(ctx.client("sns"), state_file.parent),
            ctx.account_id,
            ctx.region,
            self.alarm_names,
            cloudwatch_lock,
        )
        self.runtime = Runtime(
            self.executable_for,
            worker_environment(ctx.endpoint_url, ctx.region),
            self.function_logs,
        )
        self.gateway: Gateway | None = None
        self.debug: debugger.DebugTarget | None = None  # [w19 --debug] set before start()
        self.snapshots = deployments.SnapshotStore.of_stack(state_file.parent)
        self.served = ("", "")
        self.watcher: deployments.DeploymentWatcher | None = None
        self.server = GatewayHttpServer(host, port, self.handle)
        self.control = ControlServer(
            {
                ("POST", "/alarms/evaluate"): self.evaluate_alarms,
                ("GET", "/metrics"): self.metric_datapoints,
                ("GET", "/iam/report"): iam.report,
            }
        )

    @functools.cache  # noqa: B019 - one lookup per runtime for the life of the stack
    def executable_for(self, runtime: str) -> tuple[str, Path]:
        interpreter = interpreters.interpreter_for(runtime)
        # [w19 sandbox] what differs from AWS is loud, and kept for `localenv status`.
        for message in sandbox.warnings(runtime, interpreter):
            interpreters.record_warning(self.state_file.parent, message)
        return interpreter.executable, interpreters.runtime_layer(interpreter, self.cache)

    def invoke(self, function: str, payload: bytes) -> Outcome:
        try:
            invoked = self.runtime.invoke(function, payload)
        except ThrottledError:
            self.metrics.lambda_throttle(function)
            raise
        outcome = invoked.outcome
        self.metrics.lambda_invocation(
            function, outcome.kind, outcome.duration_ms, invoked.concurrency
        )
        return outcome

    def function_logs(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        """Function output to CloudWatch Logs; Embedded Metric Format lines become metrics."""
        for _, line in lines:
            if '"_aws"' in line:
                self.metrics.emf(line)
        self.iam.lambda_writes_logs(group, stream, self.ctx.region)
        self.logs(group, stream, lines)

    def observe(self, exchange: Exchange) -> None:
        """Metrics and the access log line of one request through the gateway."""
        model = self.gateway.model if self.gateway else None
        if model is None:
            return
        response = exchange.response
        self.metrics.api_request(
            model.name, model.stage, response.status, exchange.latency_ms, response.integration_ms
        )
        group = access_logs.group_of(model.access_log_destination)
        if group and model.access_log_format:
            line = access_logs.format_line(model.access_log_format, access_record(model, exchange))
            self.logs(group, "localenv-access", [(int(exchange.time * 1000), line)])

    def iam_warning(self, group: str, line: str) -> None:
        """A would-be denial (--iam warn), in the function's log group."""
        self.logs(group, "localenv-iam", [(int(time.time() * 1000), line)])

    def alarm_names(self) -> list[str]:
        state = StackState.load(self.state_file, self.ctx.stack_name, self.emulator_id)
        return [
            r.physical_id for r in state.resources.values() if r.type == "AWS::CloudWatch::Alarm"
        ]

    def evaluate_alarms(self, query: dict[str, str]) -> dict[str, object]:
        advance = float(query.get("advance", "0"))
        if advance:
            self.clock.advance(advance)
        if "next_period" in query:
            self.clock.to_next_period(float(query["next_period"]))
        changes = self.alarms.evaluate_all()
        return {"now": self.clock.now(), "changes": [vars(c) for c in changes]}

    def metric_datapoints(self, query: dict[str, str]) -> dict[str, object]:
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

    def handle(self, request: Request) -> Response:
        gateway = self.gateway
        if gateway is None:
            return Response(
                503,
                [("Content-Type", "application/json")],
                b'{"message":"the local API is starting"}',
            )
        return gateway.handle(request)

    def load(self) -> None:
        """(Re)read functions and the API from the emulator; recycle changed environments."""
        state = StackState.load(self.state_file, self.ctx.stack_name, self.emulator_id)
        functions = debugger.apply(self.debug, load_functions(self.ctx, state, self.cache))
        self.runtime.configure(
            self.iam.attach(self.ctx.client("iam"), self.ctx.client("sts"), functions)
        )
        for config in self.runtime.pools.values():
            self.executable_for(config.config.runtime)  # install runtime layers up front
        self.served = served_api(state)
        self.load_gateway()
        self.watch()

    def load_gateway(self) -> None:
        """Serve the stage's deployment, with the functions' resource policies as they are now."""
        old, self.gateway = self.gateway, Gateway(self.model(), self.invoke, observer=self.observe)
        if old is not None:
            old.stop()

    def model(self) -> api_model.ApiModel:
        api_id, stage = self.served
        apigateway = self.ctx.client("apigateway")
        stage_info = apigateway.get_stage(restApiId=api_id, stageName=stage)
        snapshot = deployments.capture(
            apigateway, self.snapshots, api_id, stage_info["deploymentId"]
        )
        model = api_model.load(snapshot, stage_info, api_id, self.ctx.region, self.ctx.account_id)
        model.permissions = permissions.load(self.ctx.client("lambda"), model.functions)
        model.methods = debugger.integration_timeouts(self.debug, model.methods)  # [w19 --debug]
        return model

    def watch(self) -> None:
        watcher = self.watcher
        if watcher is not None and (watcher.api_id, watcher.stage) == self.served:
            return
        if watcher is not None:
            watcher.stop()
        self.watcher = deployments.DeploymentWatcher(
            self.ctx.client("apigateway"), self.snapshots, *self.served, self.load_gateway
        )
        self.watcher.start()

    def start(self, alarm_interval: float = 60.0) -> None:
        self.load()
        self.server.start()
        self.control.start()
        self.alarms.start(alarm_interval)

    def recycle(self) -> None:
        self.runtime.recycle()

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.alarms.stop()
        self.control.stop()
        self.server.stop()
        if self.gateway is not None:
            self.gateway.stop()
        self.runtime.stop()
        self.metrics.stop()
        self.logs.stop()


def stack_drift(workspace: Workspace, record: RunRecord) -> deployments.Drift | None:
    """Whether the API's definition differs from what its stage serves (None: it does not)."""
    state = StackState.load(workspace.state_file, record.stack_name, record.emulator_id)
    try:
        api_id, stage = served_api(state)
    except UnsupportedError:
        return None  # no API (or not one the local gateway serves): nothing to compare
    apigateway = emulator.session(record.region).client(
        "apigateway", endpoint_url=record.endpoint_url
    )
    store = deployments.SnapshotStore.of_stack(workspace.directory)
    return deployments.drift(apigateway, store, api_id, stage)


def served_api(state: StackState) -> tuple[str, str]:
    """The stack's REST API and stage (id, name): the local gateway serves one of each."""
    apis = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::RestApi"]
    stages = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::Stage"]
    if len(apis) != 1 or len(stages) != 1:
        raise UnsupportedError("the local gateway serves one REST API with one stage per stack")
    return apis[0].physical_id, stages[0].physical_id


def access_record(model: api_model.ApiModel, exchange: Exchange) -> dict[str, object]:
    request, response = exchange.request, exchange.response
    return {
        "time": exchange.time,
        "request_id": exchange.request_id,
        "source_ip": request.source_ip,
        "user_agent": request.header("User-Agent"),
        "method": request.method,
        "resource_path": response.resource_path,
        "path": request.path,
        "status": response.status,
        "response_length": len(response.body),
        "stage": model.stage,
        "api_id": model.api_id,
        "principal_id": response.principal_id,
        "integration_latency": (
            int(response.integration_ms) if response.integration_ms is not None else None
        ),
        "latency_ms": exchange.latency_ms,
        "error": response.error_message,
        "integration_status": None,
    }
