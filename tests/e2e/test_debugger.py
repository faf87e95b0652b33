"""`localenv up --debug FUNCTION:PORT`: a Debug Adapter Protocol client stops in a handler.

The client is the smallest one that speaks DAP (https://microsoft.github.io/debug-adapter-protocol/):
Content-Length framed JSON over TCP, the attach sequence VS Code uses.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv.pytest_plugin import StackProcess, free_port, new_user
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
    process = StackProcess.start(
        ROOT,
        tmp_path_factory.mktemp("debug"),
        "--stack-name",
        name,
        "--debug",
        f"{name}-processor:{debug_port}",
        "--parameter",
        f"ProcessorTimeout={FUNCTION_TIMEOUT}",
        *localenv_backend_args,
    )
    try:
        yield process
    finally:
        process.stop()


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
