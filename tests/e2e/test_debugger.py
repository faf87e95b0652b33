"""`localenv up --debug FUNCTION:PORT` and `localenv invoke FUNCTION --debug-port PORT`:
a Debug Adapter Protocol client stops in a handler.

The client is the smallest one that speaks DAP (https://microsoft.github.io/debug-adapter-protocol/):
Content-Length framed JSON over TCP, the attach sequence VS Code uses.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv.pytest_plugin import StackProcess, free_port, new_user
from tests.e2e.stacks import running
from tests.template_model import ROOT

PROCESSOR = ROOT / "handlers" / "processor.py"
TIMEOUT = 120.0
FUNCTION_TIMEOUT = 1  # seconds: the test holds the function at its breakpoint for longer


class DapClient:
    """Requests, responses and events of one debug session, over a socket."""

    def __init__(self, port: int):
        self.port = port
        self.seq = 0
        self.buffer = b""

    def connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT)

    def send(self, command: str, **arguments: Any) -> int:
        self.seq += 1
        body = json.dumps(
            {"seq": self.seq, "type": "request", "command": command, "arguments": arguments}
        ).encode()
        self.sock.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        return self.seq

    def receive(self) -> dict[str, Any]:
        while b"\r\n\r\n" not in self.buffer:
            self.read_more()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        length = int(header.split(b":")[1])
        while len(rest) < length:
            self.buffer = header + b"\r\n\r\n" + rest
            self.read_more()
            header, _, rest = self.buffer.partition(b"\r\n\r\n")
        self.buffer = rest[length:]
        return dict(json.loads(rest[:length]))

    def read_more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the debug adapter closed the connection")
        self.buffer += chunk

    def wait_for(self, kind: str, name: str) -> dict[str, Any]:
        """The next event (or response) called ``name``; others are skipped."""
        while True:
            message = self.receive()
            if message["type"] == kind and name in (message.get("event"), message.get("command")):
                return message

    def close(self) -> None:
        self.sock.close()


def breakpoint_line() -> int:
    """The handler's first statement: `rid = request_id(...)`."""
    lines = PROCESSOR.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if "rid = request_id(" in line)


@pytest.fixture(scope="module")
def debug_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str], debug_port: int
) -> Iterator[StackProcess]:
    name = f"d{uuid.uuid4().hex[:8]}"
    with running(
        tmp_path_factory.mktemp("debug"),
        "--stack-name",
        name,
        "--debug",
        f"{name}-processor:{debug_port}",
        "--parameter",
        f"ProcessorTimeout={FUNCTION_TIMEOUT}",
        *localenv_backend_args,
    ) as process:
        yield process


def upload(url: str, token: str, into: dict[str, Any]) -> None:
    response = requests.post(
        url,
        data=b"first line\nsecond line\n",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
        timeout=TIMEOUT,
    )
    into["status"] = response.status_code


def connect_when_listening(client: DapClient) -> None:
    """debugpy listens once the environment starts (the first request starts it)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            client.connect()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
        else:
            return


def attach(client: DapClient, line: int) -> None:
    client.send("initialize", adapterID="python", pathFormat="path", linesStartAt1=True)
    client.wait_for("response", "initialize")
    mapping = [{"localRoot": str(ROOT), "remoteRoot": "/var/task"}]
    client.send("attach", pathMappings=mapping, justMyCode=False)
    client.wait_for("event", "initialized")
    client.send("setBreakpoints", source={"path": str(PROCESSOR)}, breakpoints=[{"line": line}])
    verified = client.wait_for("response", "setBreakpoints")
    assert verified["success"], verified
    client.send("configurationDone")


def test_a_breakpoint_in_the_processor_is_hit_through_the_api(
    stack: StackProcess, debug_port: int
) -> None:
    user = new_user(stack.outputs)
    result: dict[str, Any] = {}
    request = threading.Thread(
        target=upload, args=(stack.outputs["ApiEndpoint"], user.token, result)
    )
    request.start()
    client = DapClient(debug_port)
    connect_when_listening(client)
    line = breakpoint_line()
    attach(client, line)
    stopped = client.wait_for("event", "stopped")
    assert stopped["body"]["reason"] == "breakpoint"
    client.send("stackTrace", threadId=stopped["body"]["threadId"], levels=1)
    frame = client.wait_for("response", "stackTrace")["body"]["stackFrames"][0]
    assert Path(frame["source"]["path"]) == PROCESSOR  # mapped back to handlers/ here
    assert frame["line"] == line
    # Held at the breakpoint past the function's timeout: a debugged function is not killed.
    request.join(FUNCTION_TIMEOUT + 1.0)
    assert request.is_alive()
    client.send("disconnect", terminateDebuggee=False)
    client.wait_for("response", "disconnect")
    client.close()
    request.join(TIMEOUT)
    assert result.get("status") == 201


@pytest.fixture(scope="module")
def plain_stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    """A stack started without --debug: `localenv invoke --debug-port` needs nothing else."""
    with running(
        tmp_path_factory.mktemp("debuginvoke"),
        "--stack-name",
        f"i{uuid.uuid4().hex[:8]}",
        "--parameter",
        f"ProcessorTimeout={FUNCTION_TIMEOUT}",
        *localenv_backend_args,
    ) as process:
        yield process


def post_event(stack: StackProcess, tmp_path: Path) -> Path:
    """The proxy event the gateway builds for a POST of two lines (`localenv events`)."""
    user = new_user(stack.outputs)
    body = tmp_path / "two.txt"
    body.write_bytes(b"first line\nsecond line\n")
    done = StackProcess.run(
        stack.root, stack.state_dir, "events", "apigateway", "--method", "POST",
        "--body-file", str(body), "--user", user.username, "--password", user.password,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    event = tmp_path / "event.json"
    event.write_text(done.stdout)
    return event


def debug_invoke(stack: StackProcess, event: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-m", "localenv", "--root", str(stack.root),
            "--state-dir", str(stack.state_dir),
            "invoke", "ProcessorFunction", "--event", str(event), "--debug-port", str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_invoke_debug_port_stops_at_a_breakpoint_then_prints_the_payload(
    plain_stack: StackProcess, tmp_path: Path
) -> None:
    port = free_port()
    invoked = debug_invoke(plain_stack, post_event(plain_stack, tmp_path), port)
    client = DapClient(port)
    connect_when_listening(client)
    line = breakpoint_line()
    attach(client, line)
    stopped = client.wait_for("event", "stopped")
    assert stopped["body"]["reason"] == "breakpoint"
    client.send("stackTrace", threadId=stopped["body"]["threadId"], levels=1)
    frame = client.wait_for("response", "stackTrace")["body"]["stackFrames"][0]
    assert (Path(frame["source"]["path"]), frame["line"]) == (PROCESSOR, line)
    # Held at the breakpoint past the function's timeout: a debugged invocation is not killed.
    with pytest.raises(subprocess.TimeoutExpired):
        invoked.wait(FUNCTION_TIMEOUT + 1.0)
    # Detaching resumes the handler (the debuggee runs on); the invocation then completes.
    client.send("disconnect", terminateDebuggee=False)
    client.wait_for("response", "disconnect")
    client.close()
    out, err = invoked.communicate(timeout=TIMEOUT)
    assert invoked.returncode == 0, err
    assert f"under debugpy on 127.0.0.1:{port}" in err and "REPORT RequestId:" in err
    response = json.loads(out)
    assert response["statusCode"] == 201
    assert json.loads(response["body"])["lines"] == 2
    with pytest.raises(ConnectionRefusedError):  # the one-off environment is gone
        socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
