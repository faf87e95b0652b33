"""The sandbox's layout, Lambda's log lines, reserved variables and --debug, without I/O."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from localenv.gateway.api_model import Method
from localenv.intrinsics import UnsupportedError
from localenv.resources.compute import check_reserved_variables, reserved_keys_error, size_error
from localenv.resources.preview import Planned
from localenv.runtime import debugger, lambda_logs, sandbox
from localenv.runtime.environment import Environment, FunctionConfig
from localenv.template_loader import Node

LAYOUT = sandbox.InterpreterLayout(
    "/opt/py/bin/python3.12",
    Path("/opt/py"),
    "3.12",
    (Path("/opt/py/lib/python3.12/site-packages"),),
)


def spec(root: Path = Path("/srv/sandbox/root")) -> sandbox.SandboxSpec:
    return sandbox.SandboxSpec(root, Path("/code/abc"), Path("/cache/rt"), LAYOUT, 700)


def config(**changes: object) -> FunctionConfig:
    base = FunctionConfig(
        name="f",
        arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        handler="m.handler",
        runtime="python3.12",
        timeout=3.0,
        memory_mb=128,
        environment={},
        code_dir=Path("/code/abc"),
        log_group="/aws/lambda/f",
        reserved_concurrency=None,
    )
    return FunctionConfig(**{**base.__dict__, **changes})  # type: ignore[arg-type]


# --- the namespace sandbox -------------------------------------------------------------


def test_the_worker_starts_under_lambdas_ulimits_in_its_own_mount_namespace() -> None:
    command = sandbox.NamespaceSandbox(spec()).command(["/usr/bin/python3", "-m", "x"])
    assert command[0] == "prlimit"
    assert "--nofile=1024:1024" in command
    assert command[command.index("--") + 1 : command.index("--") + 3] == ["unshare", "--mount"]


def test_the_script_mounts_code_runtime_and_interpreter_read_only() -> None:
    script = sandbox.NamespaceSandbox(spec()).script(["/var/lang/bin/python3.12", "-m", "x"])
    assert "mount -o bind,ro /code/abc $r/var/task" in script
    assert "mount -o bind,ro /cache/rt $r/var/runtime" in script
    assert "mount -o bind,ro /opt/py $r/var/lang" in script
    # the interpreter's own site-packages is hidden: only the runtime's packages import
    assert "localenv-empty $r/var/lang/lib/python3.12/site-packages" in script
    assert "mode=1777,size=700m localenv-tmp $r/tmp" in script
    assert "mount -o remount,ro,bind $r" in script
    assert "--reuid=993 --regid=990" in script.splitlines()[-1]
    assert "cd /var/task && exec /var/lang/bin/python3.12 -m x" in script.splitlines()[-1]


def test_the_hosts_bin_directories_are_not_mounted() -> None:
    script = sandbox.NamespaceSandbox(spec()).script(["p"])
    assert "/usr/bin $r" not in script
    assert "/usr/local" not in script.replace("$r/usr/local/bin", "")


def test_the_environment_is_lambdas() -> None:
    env = sandbox.NamespaceSandbox(spec()).environment()
    assert env["PATH"] == "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin"
    assert env["LD_LIBRARY_PATH"].startswith("/var/lang/lib:/lib64:/usr/lib64:/var/runtime")
    assert env["LD_LIBRARY_PATH"].endswith("/var/task:/var/task/lib:/opt/lib")
    assert env["PYTHONPATH"] == "/var/runtime"
    assert env["PWD"] == env["LAMBDA_TASK_ROOT"] == "/var/task"


def test_an_extra_path_is_mounted_beside_the_runtime_and_importable() -> None:
    extra = sandbox.SandboxSpec(
        Path("/r"), Path("/c"), Path("/rt"), LAYOUT, 512, (Path("/cache/debugpy"),)
    )
    box = sandbox.NamespaceSandbox(extra)
    assert box.environment()["PYTHONPATH"] == "/var/runtime:/var/runtime-extra/0"
    assert "mount -o bind,ro /cache/debugpy $r/var/runtime-extra/0" in box.script(["p"])


def test_the_fallback_runs_the_interpreter_without_site_packages() -> None:
    box = sandbox.FallbackSandbox(spec(Path("/w/root")))
    assert box.command(["/ignored", "-m", "awslambdaric", "h"]) == [
        "/opt/py/bin/python3.12", "-S", "-s", "-m", "awslambdaric", "h",
    ]  # fmt: skip
    env = box.environment()
    assert env["TMPDIR"] == "/w/root/tmp"
    assert env["LAMBDA_TASK_ROOT"] == "/w/root/task"


def test_a_missing_interpreter_says_how_to_install_it() -> None:
    from localenv.runtime.interpreters import Interpreter

    found = sandbox.warnings("python3.14", Interpreter("/usr/bin/python3.11", "3.11", False))
    assert "no python3.14" in found[0]
    assert "Python 3.11" in found[0]
    assert "pyenv install 3.14" in found[0]


# --- Environment: the constructor only stores configuration ----------------------------


def open_sockets() -> int:
    return sum(
        os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        for fd in os.listdir("/proc/self/fd")
        if os.path.exists(f"/proc/self/fd/{fd}")
    )


def test_constructing_an_environment_starts_nothing() -> None:
    sockets, threads = open_sockets(), threading.active_count()
    env = Environment(config(), "/no/such/python", Path("/no/layer"), {}, lambda *_: None)
    assert open_sockets() == sockets  # no Runtime API listening
    assert threading.active_count() == threads  # no reader thread
    assert not hasattr(env, "process")  # no worker
    assert env.stream[:10] == time.strftime("%Y/%m/%d", time.gmtime())


# --- Lambda's log lines ---------------------------------------------------------------


def test_lambdas_own_lines_end_with_a_newline_and_report_with_a_tab() -> None:
    assert lambda_logs.start("r") == "START RequestId: r Version: $LATEST\n"
    assert lambda_logs.end("r") == "END RequestId: r\n"
    report = lambda_logs.report("r", 1.5, 128, 40, 200.25)
    assert report == (
        "REPORT RequestId: r\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 200.25 ms\t\n"
    )


def test_init_start_names_the_runtime_version_and_its_arn() -> None:
    line = lambda_logs.init_start("python3.12", "eu-west-1", "pkgs")
    assert line.startswith("INIT_START Runtime Version: python:3.12.local\t")
    assert "Runtime Version ARN: arn:aws:lambda:eu-west-1::runtime:" in line
    assert line.endswith("\n")


def test_an_error_record_keeps_its_newlines() -> None:
    raw = "[ERROR] ValueError: x\rTraceback (most recent call last):\r  File ...\n"
    assert lambda_logs.output_line(raw) == (
        "[ERROR] ValueError: x\nTraceback (most recent call last):\n  File ...\n"
    )
    assert lambda_logs.output_line("progress\r50%\n") == "progress\r50%\n"


def test_the_stream_is_dated_in_utc_whatever_the_hosts_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    try:
        name = lambda_logs.stream_name("abc")
        assert name[:10] == time.strftime("%Y/%m/%d", time.gmtime())
        assert name.endswith("/[$LATEST]abc")
    finally:
        monkeypatch.undo()
        time.tzset()


# --- reserved variables ---------------------------------------------------------------


def test_reserved_keys_are_named_in_lambdas_message() -> None:
    message = reserved_keys_error({"AWS_REGION": "eu-west-1", "A": "1", "_HANDLER": "x"})
    assert message is not None
    assert message.endswith("Reserved keys used in this request: AWS_REGION,_HANDLER")


def test_tz_lang_and_paths_are_not_reserved() -> None:
    allowed = {k: "v" for k in ("TZ", "LANG", "PATH", "LD_LIBRARY_PATH", "PYTHONPATH")}
    assert reserved_keys_error(allowed) is None


def planned_function(variables: dict[str, str]) -> Planned:
    node = Node(Type="AWS::Lambda::Function")
    node.line = 10
    values = Node(variables)
    values.line = 15
    node["Properties"] = Node(Environment=Node(Variables=values))
    props = {"Environment": {"Variables": dict(variables)}}
    return Planned("Fn", "AWS::Lambda::Function", node, props, "fn", "", True)


def test_the_deploy_check_names_the_resource_the_key_and_its_line() -> None:
    planned = {"Fn": planned_function({"A": "1", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "9"})}
    with pytest.raises(Exception, match=r"line 10\): Environment\.Variables\.") as failed:
        check_reserved_variables(planned)
    assert "AWS_LAMBDA_FUNCTION_MEMORY_SIZE (line 16)" in str(failed.value)


def test_environment_variables_over_4_kb_fail_the_deploy_as_lambda_refuses_them() -> None:
    """4,096 bytes of compact JSON pass; one more byte is Lambda's refusal."""
    base = len('{"A":""}')
    check_reserved_variables({"Fn": planned_function({"A": "x" * (4096 - base)})})
    over = {"Fn": planned_function({"A": "x" * (4097 - base)})}
    with pytest.raises(Exception, match=r"Fn .*line 10\): Environment\.Variables: .*4KB limit"):
        check_reserved_variables(over)
    assert size_error({"A": "e" * 2045}) is None
    assert size_error({"A": "é" * 2045}) is not None  # UTF-8 bytes, not characters


# --- --debug ------------------------------------------------------------------------


def test_debug_target_parses_function_and_port() -> None:
    assert debugger.DebugTarget.parse("f:6000") == debugger.DebugTarget("f", 6000)
    assert debugger.DebugTarget.parse("f").port == debugger.DEFAULT_PORT
    with pytest.raises(ValueError, match="FUNCTION"):
        debugger.DebugTarget.parse("f:x")


def test_only_the_debugged_function_gets_the_port_and_an_unknown_one_is_loud() -> None:
    configs = [config(name="a"), config(name="b")]
    applied = debugger.apply(debugger.DebugTarget("b", 7000), configs)
    assert [c.debug_port for c in applied] == [None, 7000]
    with pytest.raises(UnsupportedError, match="no such function"):
        debugger.apply(debugger.DebugTarget("zzz", 7000), configs)


def test_the_integration_timeout_is_lifted_for_the_debugged_function_only() -> None:
    methods = {
        ("/a", "GET"): Method("GET", "r1", "/a", "NONE", None, "AWS_PROXY", "a", 29000),
        ("/b", "GET"): Method("GET", "r2", "/b", "NONE", None, "AWS_PROXY", "b", 29000),
    }
    lifted = debugger.integration_timeouts(debugger.DebugTarget("b", 1), methods)
    assert lifted[("/a", "GET")].timeout_ms == 29000
    assert lifted[("/b", "GET")].timeout_ms == debugger.NO_TIMEOUT_MS
