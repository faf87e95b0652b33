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


def interpreter_for(runtime: str) -> Interpreter:
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
    return Interpreter(sys.executable, current, False)


def missing_message(runtime: str, version: str, current: str) -> str:
    """Loud: a function on another Python passes here and may fail on AWS."""
    return (
        f"localenv: WARNING: no python{version} on this machine for Runtime {runtime}; "
        f"its functions run on Python {current} instead, which is not what AWS runs. "
        f"Install it: `pyenv install {version}` (or your system's python{version} package), "
        "then restart `localenv up`."
    )


WARNINGS_FILE = "runtime-warnings.txt"


def record_warning(directory: Path, message: str) -> None:
    """Kept for `localenv status` and the detached `localenv up` (stderr goes to a log)."""
    path = directory / WARNINGS_FILE
    known = path.read_text().splitlines() if path.exists() else []
    if message not in known:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([*known, message]) + "\n")


def recorded_warnings(directory: Path) -> list[str]:
    path = directory / WARNINGS_FILE
    return path.read_text().splitlines() if path.exists() else []


def runtime_layer(interpreter: Interpreter, cache: Path) -> Path:
    """awslambdaric + boto3 for this interpreter's version, installed once."""
    key = hashlib.sha256(f"{interpreter.version}/{RUNTIME_PACKAGES}".encode()).hexdigest()[:12]
    target = cache / "runtime" / f"python{interpreter.version}-{key}"
    layer = install_platform_wheels(
        list(RUNTIME_PACKAGES), interpreter.version, target, "the runtime layer"
    )
    compile_once(interpreter.executable, layer)
    return layer


def compile_once(executable: str, layer: Path) -> None:
    """Byte-compile the layer: mounted read-only, it could never cache its .pyc files,
    and every cold start would compile boto3 again (Lambda's runtime ships compiled)."""
    marker = layer / ".compiled"
    if marker.exists():
        return
    subprocess.run(  # noqa: S603 - the interpreter the layer is for
        [executable, "-m", "compileall", "-q", "-j0", str(layer)],
        capture_output=True,
        check=False,
        timeout=600,
    )
    layer.chmod(0o755)
    marker.touch()
