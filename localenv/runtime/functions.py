"""Function configurations from the deployed stack: emulator first, harness state second.

Handler, runtime, timeout, memory, environment, reserved concurrency and the
code's SHA-256 are read from the emulator's Lambda API. The code bytes come
from where the deploy took them (the stack object reads them from its state and
hands them in) and must match the emulator's CodeSha256.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localenv import atomic
from localenv.errors import LocalenvError
from localenv.resources.code import FunctionCode
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


def extract(code: FunctionCode, cache: Path) -> Path:
    """The code's files, unpacked once per content into the cache (``localenv.atomic``:
    stacks sharing a cache unpack the same bytes, the first to finish is kept)."""
    target = cache / "code" / code.hexdigest
    if target.is_dir():
        return target

    def unpack(staging: Path) -> None:
        with zipfile.ZipFile(io.BytesIO(code.data)) as archive:
            archive.extractall(staging)

    return atomic.publish_dir(target, unpack)


@dataclass(frozen=True)
class DeployedFunction:
    """What the deploy recorded about one function: its name in the emulator, the code
    bytes it deployed, and its log group."""

    logical_id: str
    physical_id: str
    code: FunctionCode
    log_group: str


class CodeChangedError(LocalenvError):
    """The code on disk is not the code the emulator holds (a redeploy is due)."""


def load_functions(
    lam: Any, endpoint_url: str, deployed: list[DeployedFunction], cache: Path
) -> list[FunctionConfig]:
    return [load_function(lam, endpoint_url, function, cache) for function in deployed]


def load_function(
    lam: Any, endpoint_url: str, deployed: DeployedFunction, cache: Path
) -> FunctionConfig:
    function: Any = lam.get_function(FunctionName=deployed.physical_id)
    conf = function["Configuration"]
    if deployed.code.code_sha256 != conf["CodeSha256"]:
        raise CodeChangedError(
            f"{deployed.logical_id}: the code on disk changed since it was deployed "
            "(run `localenv up` again)"
        )
    variables = conf.get("Environment", {}).get("Variables", {})
    return FunctionConfig(
        name=conf["FunctionName"],
        arn=conf["FunctionArn"],
        handler=conf["Handler"],
        runtime=conf["Runtime"],
        timeout=float(conf["Timeout"]),
        memory_mb=int(conf["MemorySize"]),
        environment=local_overrides(variables, endpoint_url),
        code_dir=extract(deployed.code, cache),
        log_group=deployed.log_group,
        reserved_concurrency=function.get("Concurrency", {}).get("ReservedConcurrentExecutions"),
        role=conf["Role"],
        ephemeral_mb=int(conf.get("EphemeralStorage", {}).get("Size", 512)),
    )
