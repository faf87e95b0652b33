"""Build the Lambda artifact: handlers/ plus their dependencies, byte-for-byte reproducible.

One zip serves the three functions (each picks its module through ``Handler``).
Dependencies are Lambda platform wheels (manylinux2014 x86_64, CPython 3.12,
matching the template's Runtime and Architectures), installed by uv (or pip) with
``--only-binary=:all:`` and cached by the hash of the requirements. The zip is
cached by the hash of everything that goes into it, and written with fixed
timestamps, modes and order, so the same sources give the same sha256.

Every ``.py`` ships with its bytecode for the template's runtime
(``__pycache__/*.cpython-312.pyc``), compiled by that runtime's interpreter, hash-checked
(PEP 552) and with a fixed hash seed, so it is reproducible too. ``/var/task`` is read-only
on AWS (and in the local sandbox): Python cannot cache what it compiles there, so without
shipped bytecode every cold start compiles every module it imports again
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).

Standard library only: the ``cfn`` test env builds without installing the package.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from localenv import atomic
from localenv.errors import LocalenvError

if TYPE_CHECKING:
    from localenv.runtime.interpreters import Interpreter

PLATFORM = "manylinux2014_x86_64"
# zlib's default level: level 9 took ~3.5x as long for a 0.6 % smaller zip (measured
# on the artifact's ~21 MB of files), and every change of handlers/ rebuilds it.
ZIP_LEVEL = 6
PYTHON_VERSION = "3.12"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = {"__pycache__"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
ARTIFACT = Path("build/lambda/functions.zip")
ARCHIVE_ROOT = "/var/task"  # where Lambda unpacks the zip: the file names the bytecode records
CACHE = Path(".localenv/cache")


class BuildError(LocalenvError):
    """The artifact could not be built (pip failed, sources missing)."""


@dataclass(frozen=True)
class Compiler:
    """The function runtime's interpreter, which alone may write its bytecode (the magic
    number and the code objects belong to one CPython version)."""

    executable: str
    version: str  # "3.12.1": the compiler can change in a patch release, so it keys the cache


@dataclass(frozen=True)
class BuildResult:
    path: Path
    sha256: str
    size: int
    cached: bool
    data: bytes = field(default=b"", repr=False)  # the artifact, read once to hash it

    @property
    def digest(self) -> bytes:
        return bytes.fromhex(self.sha256)


def source_files(root: Path) -> list[Path]:
    handlers = root / "handlers"
    files = [p for p in handlers.rglob("*") if p.is_file() and included(p.relative_to(root))]
    if not files:
        raise BuildError(f"no handler sources under {handlers}")
    return sorted(files)


def included(relative: Path) -> bool:
    return not (EXCLUDED_PARTS & set(relative.parts)) and relative.suffix not in EXCLUDED_SUFFIXES


def digest_files(root: Path, files: list[Path], extra: str) -> str:
    digest = hashlib.sha256(extra.encode())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def install_platform_wheels(
    pip_arguments: list[str],
    python_version: str,
    target: Path,
    what: str,
    commands: list[list[str]] | None = None,
) -> Path:
    """Install Lambda-platform wheels into ``target``, once, atomically.

    Installed into a fresh staging directory and renamed into place, so concurrent
    builds (two tox environments) never see a half-installed tree. uv installs them
    when it is there (~0.5 s against ~5 s for pip with warm caches: an empty build
    cache is mostly this); pip does when uv is missing or fails (uv does not read
    pip's configuration, so an index only pip knows still works).
    """
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for command in commands or installers(python_version):
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=target.parent))
        result = subprocess.run(  # noqa: S603 - an installer with our own arguments
            [*command, "--target", str(staging), *pip_arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode == 0:
            try:
                staging.rename(target)
            except OSError:  # another build finished first: use its tree
                shutil.rmtree(staging, ignore_errors=True)
            return target
        shutil.rmtree(staging, ignore_errors=True)
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1].strip()
        failures.append(f"{installer_name(command)}: {last}")
    raise BuildError(f"could not install {what}: {'; '.join(failures)}")


def installers(python_version: str) -> list[list[str]]:
    """uv first when found, then pip: the same platform wheels, no bytecode."""
    pip = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
        "--disable-pip-version-check", "--no-warn-conflicts", "--only-binary=:all:",
        "--platform", PLATFORM, "--implementation", "cp", "--python-version", python_version,
    ]  # fmt: skip
    uv = uv_binary()
    if uv is None:
        return [pip]
    policy, _, machine = PLATFORM.partition("_")  # uv spells it x86_64-manylinux2014
    uv_install = [
        uv, "pip", "install", "--quiet", "--only-binary", ":all:",
        "--python-platform", f"{machine}-{policy}", "--python-version", python_version,
    ]  # fmt: skip
    return [uv_install, pip]


def installer_name(command: list[str]) -> str:
    return "pip" if command[1:3] == ["-m", "pip"] else Path(command[0]).name


def uv_binary() -> str | None:
    try:
        import uv  # noqa: PLC0415 - optional: the package may be used without it

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def install_dependencies(requirements: Path, cache: Path) -> Path:
    """Lambda-platform wheels for the requirements, installed once per requirements hash."""
    key = hashlib.sha256(
        requirements.read_bytes() + f"{PLATFORM}/{PYTHON_VERSION}".encode()
    ).hexdigest()[:16]
    return install_platform_wheels(
        ["-r", str(requirements)], PYTHON_VERSION, cache / "deps" / key, requirements.name
    )


# Hash-checked .pyc (PEP 552): valid whatever mtimes unzipping gives the sources, and still
# checked against them (a source edited in place is compiled again, never run stale).
# A file that does not compile is left as source, as pip and compileall leave it.
COMPILE = """
import importlib.util, json, py_compile, sys
mode = py_compile.PycInvalidationMode.CHECKED_HASH
for source, name in json.load(sys.stdin):
    cfile = sys.argv[1] + "/" + importlib.util.cache_from_source(name, optimization="")
    dfile = sys.argv[2] + "/" + name
    py_compile.compile(source, cfile, dfile, quiet=2, optimize=0, invalidation_mode=mode)
"""


def bytecode_compiler(cache: Path) -> Compiler | None:
    """The template runtime's interpreter; without it the artifact ships source only (loud).
    Looked up by running the candidates once per set of candidate files (every build asks,
    and two interpreter starts would cost each `localenv up`), then remembered in the cache."""
    # Imported here: the interpreters module builds the runtime layer with this module.
    from localenv.runtime import interpreters  # noqa: PLC0415

    memo = cache / "bytecode" / "compilers.json"
    known = json.loads(memo.read_text()) if memo.is_file() else {}
    identity = candidates_identity(interpreters.candidates(PYTHON_VERSION))
    if identity not in known:
        known[identity] = probe_compiler(interpreters.interpreter_for(f"python{PYTHON_VERSION}"))
        text = json.dumps(known, indent=2) + "\n"
        atomic.publish_file(memo, lambda staging: staging.write_text(text))
    if known[identity] is None:
        print(
            f"localenv: WARNING: no python{PYTHON_VERSION} on this machine: the artifact ships "
            "without bytecode, so every cold start compiles its modules (on AWS too)",
            file=sys.stderr,
            flush=True,
        )
        return None
    return Compiler(**known[identity])


def candidates_identity(candidates: list[str]) -> str:
    """The candidate interpreters as files: a new or replaced one changes it."""
    found = [(p, os.stat(p)) for p in candidates if os.path.exists(p)]
    return ";".join(f"{p}:{s.st_size}:{s.st_mtime_ns}" for p, s in found)


def probe_compiler(interpreter: Interpreter) -> dict[str, str] | None:
    if not interpreter.matches_runtime:
        return None
    probe = [interpreter.executable, "-c", "import platform; print(platform.python_version())"]
    version = subprocess.run(  # noqa: S603 - the interpreter we located
        probe, capture_output=True, text=True, check=True, timeout=20
    ).stdout.strip()
    return {"executable": interpreter.executable, "version": version}


def compile_tree(compiler: Compiler, base: Path, files: list[Path], target: Path) -> None:
    """Bytecode of ``files`` (under ``base``) into ``target``, at their names in the zip."""
    names = [[str(p), p.relative_to(base).as_posix()] for p in files if p.suffix == ".py"]
    target.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603 - the function runtime's interpreter
        [compiler.executable, "-s", "-S", "-c", COMPILE, str(target), ARCHIVE_ROOT],
        input=json.dumps(names),
        capture_output=True,
        text=True,
        check=False,
        # A fixed hash seed: set and frozenset constants are marshalled in hash order.
        env={**os.environ, "PYTHONHASHSEED": "0"},
        timeout=600,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BuildError(f"python{PYTHON_VERSION} could not compile the artifact: {last}")


def compiled_dependencies(deps: Path, compiler: Compiler, cache: Path) -> Path:
    """The dependencies' bytecode, compiled once per dependency tree and compiler."""
    target = cache / "bytecode" / f"{deps.name}-{compiler.version}"
    if target.is_dir():
        return target
    return atomic.publish_dir(
        target, lambda staging: compile_tree(compiler, deps, tree_files(deps), staging)
    )


def write_zip(destination: Path, trees: list[tuple[Path, list[Path]]]) -> None:
    """Deterministic zip: sorted names, fixed timestamps and modes, fixed compression."""
    entries: dict[str, Path] = {}
    for base, files in trees:
        for path in files:
            entries[path.relative_to(base).as_posix()] = path
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3
            archive.writestr(info, entries[name].read_bytes(), compresslevel=ZIP_LEVEL)


def tree_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file() and included(p.relative_to(base)))


def all_files(base: Path) -> list[Path]:
    return sorted(p for p in base.rglob("*") if p.is_file())


def build(root: Path, output: Path | None = None, cache: Path | None = None) -> BuildResult:
    """Build (or reuse from the cache) the artifact and place it at ``output``."""
    output = output or root / ARTIFACT
    cache = cache or root / CACHE
    cache.mkdir(parents=True, exist_ok=True)
    requirements = root / "handlers" / "requirements.txt"
    sources = source_files(root)
    compiler = bytecode_compiler(cache)
    compiled = compiler.version if compiler else "source-only"
    key = digest_files(root, sources, f"{PLATFORM}/{PYTHON_VERSION}/v3/{compiled}")
    cached_zip = cache / "artifacts" / f"{key}.zip"
    cached = cached_zip.is_file()
    if not cached:
        deps = install_dependencies(requirements, cache)
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            trees = [(deps, tree_files(deps)), (root, sources)]
            if compiler is not None:
                trees += bytecode_trees(compiler, trees, cache, Path(scratch))
            # Concurrent `up`s on an empty cache build the same bytes (reproducible).
            atomic.publish_file(cached_zip, lambda staging: write_zip(staging, trees))
    data = cached_zip.read_bytes()  # read once: copied to the output and hashed
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return BuildResult(output, hashlib.sha256(data).hexdigest(), len(data), cached, data)


def bytecode_trees(
    compiler: Compiler, trees: list[tuple[Path, list[Path]]], cache: Path, scratch: Path
) -> list[tuple[Path, list[Path]]]:
    """The dependencies' bytecode (cached) and the handlers' (compiled now, in ``scratch``)."""
    (deps, _), (root, sources) = trees
    compiled_deps = compiled_dependencies(deps, compiler, cache)
    compile_tree(compiler, root, sources, scratch)
    return [(compiled_deps, all_files(compiled_deps)), (scratch, all_files(scratch))]
