"""Function configurations from the deployed stack: emulator first, harness state second.

Handler, runtime, timeout, memory, environment, reserved concurrency and the
code's SHA-256 are read from the emulator's Lambda API. The code bytes come
from where the deployer took them and must match the emulator's CodeSha256.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from localenv.deployer import StackState
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployContext
from localenv.resources.compute import code_bytes
from localenv.runtime.environment import FunctionConfig

COGNITO_JWKS = re.compile(
    r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/([\w-]+_[0-9A-Za-z]+)/\.well-known/jwks\.json"
)


def local_overrides(environment: dict[str, str], endpoint_url: str) -> dict[str, str]:
    """Cognito's public JWKS URL -> the emulator's, the one address that differs locally."""
    return {
        key: COGNITO_JWKS.sub(lambda m: f"{endpoint_url}/{m.group(1)}/.well-known/jwks.json", value)
        for key, value in environment.items()
    }


def extract(code: bytes, cache: Path) -> Path:
    target = cache / "code" / hashlib.sha256(code).hexdigest()
    if not target.is_dir():
        staging = target.with_name(target.name + ".tmp")
        staging.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(io.BytesIO(code)) as archive:
            archive.extractall(staging)
        staging.rename(target)
    return target


def load_functions(ctx: DeployContext, state: StackState, cache: Path) -> list[FunctionConfig]:
    lam = ctx.client("lambda")
    configs = []
    for name, saved in state.resources.items():
        if saved.type != "AWS::Lambda::Function":
            continue
        function: Any = lam.get_function(FunctionName=saved.physical_id)
        conf = function["Configuration"]
        code = code_bytes(ctx, saved.local["Code"], f"{name}.Code")
        digest = base64.b64encode(hashlib.sha256(code).digest()).decode()
        if digest != conf["CodeSha256"]:
            raise UnsupportedError(
                f"{name}: the code on disk changed since it was deployed (run `localenv up` again)"
            )
        variables = conf.get("Environment", {}).get("Variables", {})
        configs.append(
            FunctionConfig(
                name=conf["FunctionName"],
                arn=conf["FunctionArn"],
                handler=conf["Handler"],
                runtime=conf["Runtime"],
                timeout=float(conf["Timeout"]),
                memory_mb=int(conf["MemorySize"]),
                environment=local_overrides(variables, ctx.endpoint_url),
                code_dir=extract(code, cache),
                log_group=saved.local["LogGroup"],
                reserved_concurrency=function.get("Concurrency", {}).get(
                    "ReservedConcurrentExecutions"
                ),
                role=conf["Role"],
                ephemeral_mb=int(conf.get("EphemeralStorage", {}).get("Size", 512)),
            )
        )
    return configs
