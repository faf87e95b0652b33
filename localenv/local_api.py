"""The local API: runtime + gateway for a deployed stack, served on localhost."""

from __future__ import annotations

import functools
import os
from pathlib import Path

from localenv import emulator
from localenv.deployer import StackState
from localenv.gateway import api_model
from localenv.gateway.core import Gateway
from localenv.gateway.http_server import GatewayHttpServer
from localenv.gateway.requests import Request, Response
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployContext
from localenv.runtime import interpreters
from localenv.runtime.environment import Outcome
from localenv.runtime.functions import load_functions
from localenv.runtime.log_shipper import LogShipper
from localenv.runtime.pool import Runtime


def worker_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """What every worker starts with (Lambda's runtime sets the same kind of variables)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": emulator.CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": emulator.CREDENTIALS["aws_secret_access_key"],
        "AWS_SESSION_TOKEN": "local",
        # boto3 in the function talks to the emulator (DESIGN.md §7).
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
    ):
        self.ctx = ctx
        self.emulator_id = emulator_id
        self.state_file = state_file
        self.cache = cache
        self.logs = LogShipper(ctx.client("logs"))
        self.runtime = Runtime(
            self.executable_for, worker_environment(ctx.endpoint_url, ctx.region), self.logs
        )
        self.gateway: Gateway | None = None
        self.server = GatewayHttpServer(host, port, self.handle)

    @functools.cache  # noqa: B019 - one lookup per runtime for the life of the stack
    def executable_for(self, runtime: str) -> tuple[str, Path]:
        interpreter = interpreters.interpreter_for(runtime)
        return interpreter.executable, interpreters.runtime_layer(interpreter, self.cache)

    def invoke(self, function: str, payload: bytes) -> Outcome:
        return self.runtime.invoke(function, payload).outcome

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
        self.runtime.configure(load_functions(self.ctx, state, self.cache))
        for config in self.runtime.pools.values():
            self.executable_for(config.config.runtime)  # install runtime layers up front
        old, self.gateway = self.gateway, Gateway(self.model(state), self.invoke)
        if old is not None:
            old.stop()

    def model(self, state: StackState) -> api_model.ApiModel:
        apis = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::RestApi"]
        stages = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::Stage"]
        if len(apis) != 1 or len(stages) != 1:
            raise UnsupportedError("the local gateway serves one REST API with one stage per stack")
        return api_model.load(
            self.ctx.client("apigateway"),
            apis[0].physical_id,
            stages[0].physical_id,
            self.ctx.region,
            self.ctx.account_id,
        )

    def start(self) -> None:
        self.load()
        self.server.start()

    def recycle(self) -> None:
        self.runtime.recycle()

    def stop(self) -> None:
        self.server.stop()
        if self.gateway is not None:
            self.gateway.stop()
        self.runtime.stop()
        self.logs.stop()
