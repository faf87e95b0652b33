"""A function's environment under debugpy, for `localenv up --debug FUNCTION[:PORT]` and
`localenv invoke FUNCTION --debug-port PORT`.

Both set `FunctionConfig.debug_port` (`debug_config`): `up --debug` on the function's
configuration for the life of the stack, `invoke --debug-port` on a one-off environment
for one invocation (the pool stops it afterwards, as `sam local invoke` runs a fresh
container). debugpy listens on 127.0.0.1:PORT and waits for a Debug Adapter Protocol
client before the runtime starts; the environment then runs without the function's
timeout, as SAM CLI does when debugging
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-sam-cli-using-debugging.html).
debugpy is not part of Lambda's runtime: it is installed once per Python version into the
harness's cache and mounted beside the runtime only for the debugged function.
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from localenv.build import BuildError
from localenv.errors import LocalenvError
from localenv.intrinsics import UnsupportedError

if TYPE_CHECKING:
    from localenv.gateway.api_model import Method
    from localenv.runtime.environment import FunctionConfig

K = TypeVar("K")

DEBUGPY = "debugpy==1.8.22"
DEFAULT_PORT = 5890


@dataclass(frozen=True)
class DebugTarget:
    """`FUNCTION[:PORT]`: a function by name or logical id, and the port debugpy listens on."""

    function: str
    port: int

    @classmethod
    def parse(cls, text: str) -> DebugTarget:
        name, _, port = text.partition(":")
        if not name or (port and not port.isdigit()):
            raise ValueError(f"--debug takes FUNCTION[:PORT], got {text!r}")
        return cls(name, int(port) if port else DEFAULT_PORT)

    def matches(self, function_name: str) -> bool:
        return self.function == function_name


def debugger_argv(port: int | None) -> list[str]:
    """Interpreter arguments that start debugpy before the runtime (none without a port)."""
    if port is None:
        return []
    return ["-m", "debugpy", "--listen", f"127.0.0.1:{port}", "--wait-for-client"]


@functools.cache
def debugger_layer(executable: str, runtime_layer: Path) -> Path:
    """debugpy for this interpreter, installed once beside the runtime layer."""
    target = runtime_layer.parent / f"{runtime_layer.name}-{DEBUGPY.replace('==', '-')}"
    if target.is_dir():
        return target
    staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=target.parent))
    result = subprocess.run(  # noqa: S603 - the function's interpreter installing debugpy
        [executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--target", str(staging), DEBUGPY],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        raise BuildError(f"pip could not install {DEBUGPY}: {result.stderr.strip()[-300:]}")
    staging.chmod(0o755)
    staging.rename(target)
    return target


NO_TIMEOUT_MS = 24 * 3600 * 1000  # a day: the integration waits for the person debugging


class DebugPortInUseError(LocalenvError):
    """debugpy could not listen: something else holds the port."""


def debug_config(config: FunctionConfig, port: int) -> FunctionConfig:
    """The function's configuration, run under debugpy on 127.0.0.1:<port>."""
    return dataclasses.replace(config, debug_port=port)


def check_port_free(port: int) -> None:
    """Refuse a port debugpy could not listen on, before anything runs."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise DebugPortInUseError(
                f"127.0.0.1:{port} is in use ({exc.strerror}): pick another debug port"
            ) from exc


def apply(target: DebugTarget | None, configs: list[FunctionConfig]) -> list[FunctionConfig]:
    """The debugged function's configuration with its debug port; unknown names are loud."""
    if target is None:
        return configs
    if not any(target.matches(c.name) for c in configs):
        names = ", ".join(sorted(c.name for c in configs))
        raise UnsupportedError(f"--debug {target.function}: no such function (have: {names})")
    return [debug_config(c, target.port) if target.matches(c.name) else c for c in configs]


def integration_timeouts(target: DebugTarget | None, methods: dict[K, Method]) -> dict[K, Method]:
    """While a debugger holds the function, API Gateway's integration timeout is lifted too."""
    if target is None:
        return methods
    return {
        key: dataclasses.replace(m, timeout_ms=NO_TIMEOUT_MS)
        if m.function is not None and target.matches(m.function)
        else m
        for key, m in methods.items()
    }
