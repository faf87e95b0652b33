"""Logs, metrics and alarms locally: alarms fire on real traffic through the local API, the
emulator records each state change, and SNS delivers the notifications to a subscriber."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess, new_user
from tests.e2e.stacks import STOPS, queue_for_topic
from tests.template_model import ROOT

TEMPLATE = Path(__file__).parent / "stack" / "template.yaml"


def client(stack: StackProcess, service: str) -> Any:
    return emulator.session("us-east-1").client(
        service, endpoint_url=stack.outputs["AwsEndpointUrl"]
    )


def evaluate(stack: StackProcess) -> list[dict[str, Any]]:
    """Complete the current minute on the stack's clock and evaluate every alarm now
    (`localenv alarms evaluate --next-period 60`). Called before and after some
    traffic, it makes that traffic the latest complete one-minute period."""
    control = json.loads((stack.state_dir / "run.json").read_text())["control_url"]
    response = requests.post(f"{control}/alarms/evaluate", params={"next_period": 60}, timeout=60)
    assert response.status_code == 200, response.text
    return list(response.json()["changes"])


def states(stack: StackProcess) -> dict[str, dict[str, Any]]:
    alarms = client(stack, "cloudwatch").describe_alarms()["MetricAlarms"]
    return {a["AlarmName"]: a for a in alarms}


class Subscriber:
    """An SQS queue subscribed to the alarm topic, read through the emulator."""

    def __init__(self, stack: StackProcess, topic_arn: str):
        self.sqs = client(stack, "sqs")
        name = f"alarms-{time.monotonic_ns()}"
        self.url = queue_for_topic(self.sqs, client(stack, "sns"), topic_arn, name)
        self.received: list[dict[str, Any]] = []

    def messages(self, wait: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            batch = self.sqs.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in batch:
                self.received.append(json.loads(json.loads(message["Body"])["Message"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            if not batch and self.received:
                break
        return self.received

    def transitions(self, alarm: str) -> list[str]:
        return [m["NewStateValue"] for m in self.messages() if m["AlarmName"] == alarm]


class HttpSubscriber:
    """An HTTP endpoint on loopback subscribed to the topic (SNS posts notifications to it)."""

    def __init__(self, stack: StackProcess, topic_arn: str):
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/alarms"
        self.sns = client(stack, "sns")
        self.arn = self.sns.subscribe(
            TopicArn=topic_arn, Protocol="http", Endpoint=endpoint, ReturnSubscriptionArn=True
        )["SubscriptionArn"]

    def transitions(self, alarm: str) -> list[str]:
        messages = [
            json.loads(r["Message"]) for r in self.received if r.get("Type") == "Notification"
        ]
        return [m["NewStateValue"] for m in messages if m["AlarmName"] == alarm]

    def close(self) -> None:
        self.sns.unsubscribe(SubscriptionArn=self.arn)
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def test_stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    process = StackProcess.start(
        ROOT,
        tmp_path_factory.mktemp("alarms"),
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "al",
        "--alarm-interval",
        "3600",
        *localenv_backend_args,
    )
    evaluate(process)  # settle: every alarm leaves INSUFFICIENT_DATA where data says so
    try:
        yield process
    finally:
        STOPS.stop(process)


def test_failing_function_alarms_then_recovers_with_both_notifications(
    test_stack: StackProcess,
) -> None:
    topic = test_stack.outputs["AlarmTopicArn"]
    subscriber = Subscriber(test_stack, topic)
    http = HttpSubscriber(test_stack, topic)
    client(test_stack, "sns").subscribe(
        TopicArn=topic, Protocol="email", Endpoint="oncall@example.com"
    )
    url = test_stack.outputs["ApiEndpoint"]
    for _ in range(2):
        assert (
            requests.get(f"{url}/fail", headers={"Authorization": "t"}, timeout=30).status_code
            == 502
        )
    time.sleep(0.3)
    changes = evaluate(test_stack)
    assert {"alarm": "al-FailErrors", "old": "OK", "new": "ALARM"} in [
        {k: c[k] for k in ("alarm", "old", "new")} for c in changes
    ]
    alarm = states(test_stack)["al-FailErrors"]
    assert alarm["StateValue"] == "ALARM"
    # AWS's grammar: "1 datapoint [2.0 (dd/mm/yy HH:MM:SS)] was greater than ... (1.0)."
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 datapoint [2.0 (")
    evaluate(test_stack)  # a minute without errors
    assert states(test_stack)["al-FailErrors"]["StateValue"] == "OK"
    assert subscriber.transitions("al-FailErrors") == ["ALARM", "OK"]
    assert http.transitions("al-FailErrors") == ["ALARM", "OK"]
    http.close()
    outbox = [
        json.loads(p.read_text()) for p in sorted((test_stack.state_dir / "outbox").iterdir())
    ]
    assert [
        m["message"]["NewStateValue"]
        for m in outbox
        if m["message"]["AlarmName"] == "al-FailErrors"
    ] == ["ALARM", "OK"]
    assert outbox[-1]["to"] == "oncall@example.com"
    listed = StackProcess.run(ROOT, test_stack.state_dir, "notifications").stdout
    assert 'ALARM: "al-FailErrors" in US East (N. Virginia)' in listed
    assert 'OK: "al-FailErrors"' in listed
    message = next(m for m in subscriber.received if m["AlarmName"] == "al-FailErrors")
    assert message["Trigger"]["MetricName"] == "Errors"
    assert message["Trigger"]["Dimensions"] == [{"value": "al-fail", "name": "FunctionName"}]
    assert message["OldStateValue"] == "OK"


def test_slow_function_trips_the_p99_duration_alarm(test_stack: StackProcess) -> None:
    url = test_stack.outputs["ApiEndpoint"]
    assert requests.get(f"{url}/hang", timeout=30).status_code == 504
    # The function itself runs on for 3 s after the gateway gave up: wait for its Duration.
    control = json.loads((test_stack.state_dir / "run.json").read_text())["control_url"]

    def recorded() -> bool:
        series = requests.get(
            f"{control}/metrics", timeout=30, params={"name": "Duration", "namespace": "AWS/Lambda"}
        ).json()
        return any(s["dimensions"] == {"FunctionName": "al-hang"} for s in series["series"])

    deadline = time.monotonic() + 30
    while not recorded() and time.monotonic() < deadline:
        time.sleep(0.2)
    evaluate(test_stack)
    alarm = states(test_stack)["al-HangDurationP99"]
    assert alarm["StateValue"] == "ALARM", alarm["StateReason"]


def test_throttling_trips_the_throttles_alarm(test_stack: StackProcess) -> None:
    url = test_stack.outputs["ApiEndpoint"]
    with ThreadPoolExecutor(3) as pool:
        statuses = sorted(
            r.status_code
            for r in pool.map(lambda _: requests.get(f"{url}/limited", timeout=30), range(3))
        )
    assert 500 in statuses and 200 in statuses
    evaluate(test_stack)
    assert states(test_stack)["al-LimitedThrottles"]["StateValue"] == "ALARM"


def test_alarm_whose_dimensions_name_another_function_stays_ok(test_stack: StackProcess) -> None:
    url = test_stack.outputs["ApiEndpoint"]
    requests.get(f"{url}/fail", headers={"Authorization": "t"}, timeout=30)
    time.sleep(0.3)
    evaluate(test_stack)
    all_states = states(test_stack)
    assert all_states["al-FailErrors"]["StateValue"] == "ALARM"
    assert all_states["al-OtherFunctionErrors"]["StateValue"] == "OK"


def test_treat_missing_data_variants(test_stack: StackProcess) -> None:
    evaluate(test_stack)
    all_states = states(test_stack)
    assert all_states["al-MissingBreaching"]["StateValue"] == "ALARM"
    assert all_states["al-MissingNotBreaching"]["StateValue"] == "OK"
    assert all_states["al-MissingMissing"]["StateValue"] == "INSUFFICIENT_DATA"
    assert all_states["al-MissingIgnore"]["StateValue"] == "INSUFFICIENT_DATA"  # kept as it was


@pytest.fixture(scope="module")
def real_stack(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    """The real template, with thresholds a test can cross in seconds (parameters only)."""
    process = StackProcess.start(
        ROOT,
        tmp_path_factory.mktemp("real-alarms"),
        "--stack-name",
        "ra",
        "--alarm-interval",
        "3600",
        "--parameter",
        "ProcessorDurationP99ThresholdMs=1",
        "--parameter",
        "ApiLatencyP99ThresholdMs=1",
        "--parameter",
        "ProcessorReservedConcurrency=1",
        *localenv_backend_args,
    )
    evaluate(process)
    try:
        yield process
    finally:
        STOPS.stop(process)


def test_real_template_alarms_fire_on_real_traffic(real_stack: StackProcess) -> None:
    outputs = real_stack.outputs
    subscriber = Subscriber(real_stack, outputs["AlarmTopicArn"])
    user = new_user(outputs)
    auth = {"Authorization": f"Bearer {user.token}", "Content-Type": "text/plain"}
    url = outputs["ApiEndpoint"]
    for minute in range(5):
        requests.post(url, data=f"minute {minute}\n".encode(), headers=auth, timeout=30)
        for _ in range(3):
            requests.post(url, data=b"x", timeout=30)  # no token: 401
        time.sleep(0.3)
        evaluate(real_stack)
    fired = {name for name, a in states(real_stack).items() if a["StateValue"] == "ALARM"}
    assert {"ra-api-4xx-rate", "ra-api-latency-p99", "ra-processor-duration-p99"} <= fired
    body = b"line\n" * 500_000
    with ThreadPoolExecutor(4) as pool:
        statuses = list(
            pool.map(
                lambda n: (
                    requests.post(
                        url, data=body + str(n).encode(), headers=auth, timeout=60
                    ).status_code
                ),
                range(4),
            )
        )
    assert 500 in statuses  # reserved concurrency 1: the others were throttled
    dynamodb = client(real_stack, "dynamodb")
    dynamodb.update_table(TableName=outputs["TableName"], DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=outputs["TableName"])  # storage gone: the functions fail
    assert requests.post(url, data=b"after\n", headers=auth, timeout=30).status_code == 502
    assert requests.get(url, headers=auth, timeout=30).status_code == 502
    time.sleep(0.3)
    evaluate(real_stack)
    fired = {name for name, a in states(real_stack).items() if a["StateValue"] == "ALARM"}
    assert {
        "ra-processor-throttles",
        "ra-processor-errors",
        "ra-reader-errors",
        "ra-api-5xx",
    } <= fired
    notified = {m["AlarmName"] for m in subscriber.messages() if m["NewStateValue"] == "ALARM"}
    assert {"ra-api-4xx-rate", "ra-processor-errors", "ra-api-5xx"} <= notified


def test_emf_lines_become_metrics_and_access_logs_are_written(real_stack: StackProcess) -> None:
    control = json.loads((real_stack.state_dir / "run.json").read_text())["control_url"]
    series = requests.get(
        f"{control}/metrics", params={"name": "UploadsStored", "namespace": "DataProc"}, timeout=30
    ).json()["series"]
    assert series and series[0]["dimensions"] == {"service": "processor"}
    logs = client(real_stack, "logs")
    events = logs.filter_log_events(logGroupName="/aws/apigateway/ra-access")["events"]
    lines = [json.loads(e["message"]) for e in events]
    assert {line["status"] for line in lines} >= {"201", "401"}
    assert all(line["requestId"] != "-" for line in lines)
    authorized = next(line for line in lines if line["status"] == "201")
    assert authorized["resourcePath"] == "/dataproc"
    assert authorized["principalId"] != "-"


@pytest.fixture
def hanging_jwks() -> Iterator[str]:
    """A JWKS URL whose server answers a byte every 0.25 s and never finishes: no socket
    operation waits past the authorizer's 1 s socket timeout, so only its 2 s fetch
    deadline would end the fetch, and the function's 1 s timeout comes first."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def drip(connection: socket.socket) -> None:
        answer = b"HTTP/1.1 200 OK\r\n" + b"X-Drip: 1\r\n" * 90
        for byte in answer:
            if stop.wait(0.25):
                return
            with contextlib.suppress(OSError):
                connection.sendall(bytes([byte]))

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection = listener.accept()[0]
            except OSError:
                continue
            held.append(connection)
            threading.Thread(target=drip, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/jwks.json"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_authorizer_errors_alarm_fires_when_the_authorizer_fails(
    tmp_path: Path, hanging_jwks: str, localenv_backend_args: list[str]
) -> None:
    process = StackProcess.start(
        ROOT,
        tmp_path / "auth-alarm",
        "--stack-name",
        "aa",
        "--alarm-interval",
        "3600",
        "--parameter",
        "AuthorizerTimeout=1",
        "--parameter",
        f"JwksUrl={hanging_jwks}",
        *localenv_backend_args,
    )
    try:
        token = new_user(process.outputs).token
        evaluate(process)  # the traffic below starts a period of its own
        response = requests.get(
            process.outputs["ApiEndpoint"], timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
        assert (response.status_code, response.text) == (500, '{"message": null}')
        time.sleep(0.3)
        evaluate(process)
        assert states(process)["aa-authorizer-errors"]["StateValue"] == "ALARM"
    finally:
        STOPS.stop(process)
