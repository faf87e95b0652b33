"""The execution environment's filesystem, user and limits, built as Lambda builds them.

On AWS a function runs as an unprivileged user (uid 993) on a read-only root with its code
at ``/var/task`` (read-only, owned by root), layers at ``/opt``, the runtime (awslambdaric,
boto3) at ``/var/runtime``, the interpreter at ``/var/lang`` and a private ``/tmp`` of
``EphemeralStorage`` MB; ``PATH`` and ``LD_LIBRARY_PATH`` point there and nowhere else.
https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime

On Linux the worker gets its own mount namespace (util-linux ``unshare``; no extra system
package): a fresh tmpfs root with those bind mounts (read-only), entered with ``chroot``,
then ``setpriv`` drops to uid 993 and every capability. Elsewhere, or where mount
namespaces are refused, ``FallbackSandbox`` comes as close as a plain process can and
says what differs (``FALLBACK_DIFFERENCES``).
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from localenv.runtime.interpreters import Interpreter, missing_message

TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
LANG_DIR = "/var/lang"
# Lambda's values for these variables (recorded from AWS by LocalStack:
# tests/aws/services/lambda_/test_lambda.snapshot.json, test_runtime_introspection_x86).
LAMBDA_PATH = "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
LAMBDA_LD_LIBRARY_PATH = (
    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
)
# The sandbox user Lambda runs functions as (sbx_user1051: uid 993, gid 990).
SANDBOX_UID, SANDBOX_GID = 993, 990
# Lambda's resource limits (LocalStack's AWS-validated test_runtime_ulimits: nofile 1024,
# nproc 742, core unlimited, stack 8 MiB soft / unlimited hard, memlock 64 KiB).
ULIMITS = (
    "--nofile=1024:1024",
    "--nproc=742:742",
    "--core=unlimited:unlimited",
    "--stack=8388608:unlimited",
    "--memlock=65536:65536",
)
# Host directories the interpreter and its shared libraries need, mounted read-only.
SYSTEM_DIRS = ("usr/lib", "usr/lib64", "usr/libexec", "usr/share", "etc")
# A shell and core utilities, as Lambda's base image has them; no compilers, no other
# Python, no AWS CLI (the host's /usr/bin is not mounted).
BASE_TOOLS = (
    "sh", "bash", "dash", "env", "cat", "ls", "cp", "mv", "rm", "mkdir", "rmdir", "ln",
    "echo", "pwd", "id", "uname", "date", "sleep", "head", "tail", "grep", "sed", "touch",
    "chmod", "find", "xargs", "tr", "wc", "sort", "true", "false", "test", "readlink",
)  # fmt: skip
FORCE_FALLBACK = "LOCALENV_SANDBOX"  # =fallback: no namespaces even where they work
FALLBACK_DIFFERENCES = (
    "the code is a read-only copy, not at /var/task (run as root, writes still succeed)",
    "/tmp is shared and unlimited (TMPDIR points to a private directory)",  # noqa: S108
    "the function runs as this user, with this machine's PATH tools, ulimits and files",
)


@dataclass(frozen=True)
class InterpreterLayout:
    """Where an interpreter lives: the prefix mounted at /var/lang, and its site dirs."""

    executable: str
    prefix: Path
    version: str  # "3.12"
    site_dirs: tuple[Path, ...]

    @property
    def sandboxed_executable(self) -> str:
        return f"{LANG_DIR}/bin/python{self.version}"


@functools.cache
def layout_of(executable: str) -> InterpreterLayout:
    """Ask the interpreter where its prefix and site-packages are (the venv's base, if any)."""
    probe = (
        "import site, sys; print(sys.base_prefix); "
        "print('%d.%d' % sys.version_info[:2]); print('\\n'.join(site.getsitepackages()))"
    )
    out = subprocess.run(  # noqa: S603 - the interpreter we located
        [executable, "-S", "-c", probe], capture_output=True, text=True, check=True, timeout=20
    ).stdout.splitlines()
    prefix = Path(out[0])
    base = prefix / "bin" / f"python{out[1]}"
    return InterpreterLayout(
        str(base if base.exists() else executable),
        prefix,
        out[1],
        tuple(Path(p) for p in out[2:] if Path(p).is_dir() and Path(p).is_relative_to(prefix)),
    )


@functools.cache
def namespaces_available() -> bool:
    """Whether this machine lets us build a mount namespace (Linux, root or userns)."""
    tools = ("unshare", "setpriv", "prlimit", "mount", "chroot")
    if os.environ.get(FORCE_FALLBACK) == "fallback":
        return False  # asked for (benchmarks compare both); still said loudly
    if not sys.platform.startswith("linux") or not all(shutil.which(t) for t in tools):
        return False
    with tempfile.TemporaryDirectory() as probe:
        try:
            done = subprocess.run(  # noqa: S603 - util-linux, probing for namespaces
                [tool("unshare"), "--mount", "--", tool("mount"), "-t", "tmpfs", "probe", probe],
                capture_output=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0


@dataclass(frozen=True)
class SandboxSpec:
    """What one environment's sandbox is made of."""

    root: Path  # an empty directory of the harness: the mount point of the sandbox's root
    code_dir: Path
    runtime_dir: Path
    interpreter: InterpreterLayout
    tmp_mb: int
    extra_path: tuple[Path, ...] = ()  # mounted at /var/runtime-extra/<n> (e.g. debugpy)


class NamespaceSandbox:
    """A Linux mount namespace laid out like Lambda's execution environment."""

    kind = "namespaces"

    def __init__(self, spec: SandboxSpec):
        self.spec = spec

    @property
    def cwd(self) -> Path:
        return self.spec.root.parent  # the real cwd is set inside, by chroot

    def prepare(self) -> None:
        """The sandbox user must read what is mounted (installers create some dirs 0700)."""
        for path in (self.spec.code_dir, self.spec.runtime_dir, *self.spec.extra_path):
            path.chmod(path.stat().st_mode | 0o555)

    def environment(self) -> dict[str, str]:
        extra = [f"{RUNTIME_DIR}-extra/{n}" for n, _ in enumerate(self.spec.extra_path)]
        return {
            "PATH": LAMBDA_PATH,
            "LD_LIBRARY_PATH": LAMBDA_LD_LIBRARY_PATH,
            "LAMBDA_TASK_ROOT": TASK_ROOT,
            "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
            "PYTHONPATH": ":".join([RUNTIME_DIR, *extra]),
            "PWD": TASK_ROOT,
            "SHLVL": "0",
        }

    def command(self, argv: list[str]) -> list[str]:
        """``argv`` (interpreter first) run inside the sandbox; one shell builds the mounts."""
        python = [self.spec.interpreter.sandboxed_executable, *argv[1:]]
        return ["prlimit", *ULIMITS, "--", "unshare", "--mount", "--", "sh", "-ec",
                self.script(python)]  # fmt: skip

    def script(self, argv: list[str]) -> str:
        r = shlex.quote(str(self.spec.root))
        lines = [f"r={r}", "mount -t tmpfs -o mode=755,size=64m localenv-sandbox $r"]
        lines.append("cd $r && mkdir -p " + " ".join(self.directories()))
        lines += self.lambda_mounts() + self.system_mounts() + self.links() + self.tools()
        lines.append("mount -o remount,ro,bind $r")  # Lambda's root filesystem is read-only
        lines.append(f"exec {tool('chroot')} $r /usr/sbin/setpriv {DROP} -- {launcher(argv)}")
        return "\n".join(lines)

    def directories(self) -> list[str]:
        extra = [f"var/runtime-extra/{n}" for n, _ in enumerate(self.spec.extra_path)]
        fixed = ["var/task", "var/runtime", "var/lang", "opt", "tmp", "proc", "dev"]
        return [*fixed, "usr/bin", "usr/sbin", "usr/local/bin", *SYSTEM_DIRS, *extra]

    def lambda_mounts(self) -> list[str]:
        """Code, runtime, interpreter (without its site-packages), extras, a sized /tmp."""
        s, prefix = self.spec, self.spec.interpreter.prefix
        lines = [bind(s.code_dir, TASK_ROOT), bind(s.runtime_dir, RUNTIME_DIR)]
        lines.append(bind(prefix, LANG_DIR))
        lines += [hide(LANG_DIR / p.relative_to(prefix)) for p in s.interpreter.site_dirs]
        lines += [bind(p, f"{RUNTIME_DIR}-extra/{n}") for n, p in enumerate(s.extra_path)]
        lines.append(f"mount -t tmpfs -o mode=1777,size={s.tmp_mb}m localenv-tmp $r/tmp")
        return lines

    def system_mounts(self) -> list[str]:
        lines = [bind(Path("/", d), f"/{d}") for d in SYSTEM_DIRS if Path("/", d).is_dir()]
        return [*lines, "mount --rbind /dev $r/dev", "mount -t proc proc $r/proc"]

    def tools(self) -> list[str]:
        found = [shlex.quote(t) for t in map(shutil.which, BASE_TOOLS) if t and Path(t).is_file()]
        return [f"cp {' '.join(found)} $r/usr/bin/", f"cp {tool('setpriv')} $r/usr/sbin/"]

    def links(self) -> list[str]:
        """/bin, /lib, /lib64, /sbin as this machine has them (usually links into /usr)."""
        out = []
        for name in ("bin", "lib", "lib64", "sbin"):
            host = Path("/", name)
            if host.is_symlink():
                out.append(f"ln -s {shlex.quote(str(host.readlink()))} $r/{name}")
            elif host.is_dir() and name in ("lib", "lib64"):
                out += [f"mkdir -p $r/{name}", bind(host, f"/{name}")]
        return out


def tool(name: str) -> str:
    """A host tool by absolute path (the script runs with Lambda's PATH already set)."""
    return shlex.quote(shutil.which(name) or name)


DROP = (
    f"--reuid={SANDBOX_UID} --regid={SANDBOX_GID} --clear-groups "
    "--inh-caps=-all --bounding-set=-all --no-new-privs"
)


def launcher(argv: list[str]) -> str:
    """Start in /var/task as Lambda does (chroot starts in /)."""
    quoted = " ".join(shlex.quote(a) for a in argv)
    return f"sh -c {shlex.quote(f'cd {TASK_ROOT} && exec {quoted}')}"


def bind(source: Path, target: str) -> str:
    return f"mount -o bind,ro {shlex.quote(str(source.resolve()))} $r{shlex.quote(target)}"


def hide(path: Path) -> str:
    """An empty directory over it: the interpreter's own site-packages is not Lambda's."""
    return f"mount -t tmpfs -o mode=755,size=1m localenv-empty $r{shlex.quote(str(path))}"


class FallbackSandbox:
    """No namespaces: a read-only copy of the code, a private TMPDIR, no site-packages."""

    kind = "fallback"

    def __init__(self, spec: SandboxSpec):
        self.spec = spec

    @property
    def code(self) -> Path:
        return self.spec.root / "task"

    @property
    def cwd(self) -> Path:
        return self.code

    def prepare(self) -> None:
        shutil.copytree(self.spec.code_dir, self.code)
        for path in [*self.code.rglob("*"), self.code]:
            path.chmod(path.stat().st_mode & 0o555)
        (self.spec.root / "tmp").mkdir(mode=0o700)

    def environment(self) -> dict[str, str]:
        paths = [str(self.spec.runtime_dir), *map(str, self.spec.extra_path)]
        return {
            "LAMBDA_TASK_ROOT": str(self.code),
            "LAMBDA_RUNTIME_DIR": str(self.spec.runtime_dir),
            "PYTHONPATH": ":".join(paths),
            "TMPDIR": str(self.spec.root / "tmp"),
            "PWD": str(self.code),
        }

    def command(self, argv: list[str]) -> list[str]:
        # -S: no site-packages (the harness's own packages must not import); -s: no user site.
        return [self.spec.interpreter.executable, "-S", "-s", *argv[1:]]


Sandbox = NamespaceSandbox | FallbackSandbox


def make_writable(root: Path) -> None:
    """Let the harness delete a fallback copy it made read-only."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o700)


def sandbox_for(spec: SandboxSpec) -> Sandbox:
    return NamespaceSandbox(spec) if namespaces_available() else FallbackSandbox(spec)


def warnings(runtime: str, interpreter: Interpreter) -> list[str]:
    """What differs from AWS for functions of this runtime, printed once on the console."""
    found = []
    if not interpreter.matches_runtime:
        current = interpreter.version
        found.append(missing_message(runtime, runtime.removeprefix("python"), current))
    if not namespaces_available():
        found.append(
            "localenv: WARNING: no mount namespaces here: functions run without Lambda's "
            "sandbox (" + "; ".join(FALLBACK_DIFFERENCES) + ")"
        )
    for message in found:
        print(message, file=sys.stderr, flush=True)
    return found
