"""The API the local stack serves: its stage's current deployment, reloaded when it changes.

A stage serves the API as its deployment captured it (localenv/gateway/deployments.py);
the watcher reloads the gateway when the stage moves to another deployment, as API
Gateway serves a change only once it is deployed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from localenv.errors import LocalenvError
from localenv.gateway import api_model, deployments, permissions
from localenv.gateway.authorization import Invoker
from localenv.gateway.core import Gateway
from localenv.gateway.trace import Trace
from localenv.resources.base import DeployContext
from localenv.runtime import debugger

Observe = Callable[[Trace, api_model.ApiModel], None]


class NotServingError(LocalenvError):
    """Asked for what only a served API has."""


class ServedApi:
    """The REST API and stage the stack serves, the gateway serving its deployment, and the
    watcher that reloads it. The constructor stores configuration; ``serve()`` loads the
    deployment and starts watching."""

    def __init__(
        self, state_dir: Path, invoke: Invoker, observe: Observe, clock: Callable[[], float]
    ):
        self.invoke = invoke
        self.observe = observe
        self.clock = clock
        self.snapshots = deployments.SnapshotStore.of_stack(state_dir)
        self.served = ("", "")  # (REST API id, stage)
        self.gateway: Gateway | None = None
        self.watcher: deployments.DeploymentWatcher | None = None
        # API Gateway writes seen at the edge: the watcher reads the emulator after one.
        self.api_writes = deployments.ApiWrites()
        self.context: DeployContext | None = None
        self.embedded = False  # moto runs in this process (every call crosses the edge)
        self.debug: debugger.DebugTarget | None = None  # `up --debug`

    @property
    def ctx(self) -> DeployContext:
        if self.context is None:
            raise NotServingError("the API is not served yet")
        return self.context

    def serve(
        self,
        ctx: DeployContext,
        served: tuple[str, str],
        embedded: bool,
        debug: debugger.DebugTarget | None,
    ) -> None:
        self.context, self.served, self.embedded, self.debug = ctx, served, embedded, debug
        self.load_gateway()
        self.watch()

    def load_gateway(self) -> None:
        """Serve the stage's deployment, with the functions' resource policies as they are now."""
        # One clock (the stack's) reaches the gateway's throttling and authorizer cache.
        model = self.model()
        gateway = Gateway(
            model,
            self.invoke,
            observer=lambda trace: self.observe(trace, model),
            clock=self.clock,
        )
        old, self.gateway = self.gateway, gateway
        if old is not None:
            old.stop()

    def model(self) -> api_model.ApiModel:
        api_id, stage = self.served
        ctx = self.ctx
        apigateway = ctx.client("apigateway")
        stage_info = apigateway.get_stage(restApiId=api_id, stageName=stage)
        snapshot = deployments.capture(
            apigateway, self.snapshots, api_id, stage_info["deploymentId"]
        )
        model = api_model.load(snapshot, stage_info, api_id, ctx.region, ctx.account_id)
        model.permissions = permissions.load(ctx.client("lambda"), model.functions)
        model.methods = debugger.integration_timeouts(self.debug, model.methods)
        return model

    def watch(self) -> None:
        watcher = self.watcher
        if watcher is not None and (watcher.api_id, watcher.stage) == self.served:
            return
        if watcher is not None:
            watcher.stop()
        self.watcher = deployments.DeploymentWatcher(
            self.ctx.client("apigateway"),
            self.snapshots,
            *self.served,
            self.load_gateway,
            self.api_writes if self.embedded else None,
        )
        self.watcher.start()

    def stop_watching(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()

    def stop_gateway(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
