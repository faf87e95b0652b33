"""The interpreter and runtime layer an environment runs with.

Lambda's python3.12 runtime is CPython 3.12 with the bootstrap (awslambdaric)
and boto3 provided by the runtime, not the function. Locally: the matching
interpreter when installed (pyenv versions included), else this one with a
warning; and a runtime layer with awslambdaric and boto3 for that version,
installed once per version into the cache.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from localenv.build import BuildError, install_platform_wheels

RUNTIME_PACKAGES = ("awslambdaric==4.2.2", "boto3==1.44.8")
RUNTIME = re.compile(r"python(\d+)\.(\d+)")


@dataclass(frozen=True)
class Interpreter:
    executable: str
    version: str  # "3.12"
    matches_runtime: bool


def candidates(version: str) -> list[str]:
    found = []
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    for path in sorted(Path(pyenv_root, "versions").glob(f"{version}.*/bin/python{version}")):
        found.append(str(path))
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(on_path)
    return found


def works(executable: str) -> bool:
    try:
        result = subprocess.run(  # noqa: S603 - a Python interpreter we located
            [executable, "-c", "import sys"], capture_output=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def interpreter_for(runtime: str, warn: bool = True) -> Interpreter:
    match = RUNTIME.fullmatch(runtime)
    if match is None:
        raise BuildError(
            f"runtime {runtime!r} is not a Python runtime; only python3.x runs locally"
        )
    version = f"{match.group(1)}.{match.group(2)}"
    for executable in candidates(version):
        if works(executable):
            return Interpreter(executable, version, True)
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if warn:
        print(
            f"localenv: warning: no python{version} found for {runtime}; "
            f"running with Python {current}",
            file=sys.stderr,
        )
    return Interpreter(sys.executable, current, False)


def runtime_layer(interpreter: Interpreter, cache: Path) -> Path:
    """awslambdaric + boto3 for this interpreter's version, installed once."""
    key = hashlib.sha256(f"{interpreter.version}/{RUNTIME_PACKAGES}".encode()).hexdigest()[:12]
    target = cache / "runtime" / f"python{interpreter.version}-{key}"
    return install_platform_wheels(
        list(RUNTIME_PACKAGES), interpreter.version, target, "the runtime layer"
    )
