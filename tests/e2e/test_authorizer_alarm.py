"""The real template's authorizer alarm: rejected tokens are not failures, a JWKS outage is.

Lambda counts the authorizer's "Unauthorized" raise (a 401) in Errors; the alarm
is the metric math Errors - FILL(RejectedTokens, 0), evaluated locally with
CloudWatch's semantics, on the stack's drivable clock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from handlers.tokens import JWKS_REFETCH_SECONDS
from localenv.pytest_plugin import StackProcess
from tests.e2e.stacks import running
from tests.e2e.test_alarms import Subscriber, client, states
from tests.jwks_server import JwksServer, serving
from tests.token_factory import SigningKey, access_claims, jwks

LIVE_KEY = SigningKey("live-key")
ROTATED_KEY = SigningKey("rotated-key")  # a kid the function has not cached: it refetches
ALARM = "ae-authorizer-errors"
UPLOADS = 50


@pytest.fixture(scope="module")
def jwks_server() -> Iterator[JwksServer]:
    with serving(jwks(LIVE_KEY)) as server:
        yield server


@pytest.fixture(scope="module")
def auth_stack(
    tmp_path_factory: pytest.TempPathFactory,
    localenv_backend_args: list[str],
    jwks_server: JwksServer,
) -> Iterator[StackProcess]:
    with running(
        tmp_path_factory.mktemp("authorizer-alarm"),
        "--stack-name",
        "ae",
        "--alarm-interval",
        "3600",
        "--parameter",
        f"JwksUrl={jwks_server.url}",
        *localenv_backend_args,
    ) as process:
        yield process


def control(stack: StackProcess) -> str:
    return str(json.loads((stack.state_dir / "run.json").read_text())["control_url"])


def next_period(stack: StackProcess) -> float:
    """Evaluate every alarm at the start of the next minute; returns that minute's start."""
    response = requests.post(
        f"{control(stack)}/alarms/evaluate", params={"next_period": 60}, timeout=60
    )
    assert response.status_code == 200, response.text
    return float(response.json()["now"])


def total_since(stack: StackProcess, namespace: str, name: str, start: float) -> float:
    series = requests.get(
        f"{control(stack)}/metrics", params={"name": name, "namespace": namespace}, timeout=30
    ).json()["series"]
    dims = {"AWS/Lambda": {"FunctionName": "ae-authorizer"}, "DataProc": {"service": "authorizer"}}
    return float(
        sum(
            value
            for s in series
            if s["dimensions"] == dims[namespace]
            for when, value in s["datapoints"]
            if when >= start
        )
    )


def wait_for(stack: StackProcess, namespace: str, name: str, start: float, total: float) -> None:
    """Metrics leave the request path in batches: wait until the period holds ``total``."""
    deadline = time.monotonic() + 60
    while total_since(stack, namespace, name, start) < total and time.monotonic() < deadline:
        time.sleep(0.2)
    assert total_since(stack, namespace, name, start) == total


def token(stack: StackProcess, key: SigningKey, **claims: Any) -> str:
    pool = stack.outputs["UserPoolId"]
    return key.sign(
        access_claims(
            iss=f"https://cognito-idp.us-east-1.amazonaws.com/{pool}",
            client_id=stack.outputs["UserPoolClientId"],
            **claims,
        )
    )


def upload(stack: StackProcess, bearer: str) -> int:
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "text/plain"}
    return requests.post(
        stack.outputs["ApiEndpoint"], data=b"line\n", headers=headers, timeout=30
    ).status_code


def test_rejected_tokens_leave_it_ok_and_a_jwks_outage_alarms_and_notifies(
    auth_stack: StackProcess, jwks_server: JwksServer
) -> None:
    subscriber = Subscriber(auth_stack, auth_stack.outputs["AlarmTopicArn"])
    next_period(auth_stack)  # settle: no data is not breaching
    assert states(auth_stack)[ALARM]["StateValue"] == "OK"
    assert "Metrics" in states(auth_stack)[ALARM]  # a metric-math alarm, as deployed

    start = next_period(auth_stack)
    # Distinct tokens: each reaches the authorizer (none is answered from its result cache).
    expired = [token(auth_stack, LIVE_KEY, exp=1000, jti=f"expired-{n}") for n in range(UPLOADS)]
    assert {upload(auth_stack, bearer) for bearer in expired} == {401}
    fetched = time.monotonic()  # the function fetched the JWKS for the first of them
    wait_for(auth_stack, "AWS/Lambda", "Errors", start, UPLOADS)  # Lambda counts each 401
    wait_for(auth_stack, "DataProc", "RejectedTokens", start, UPLOADS)
    next_period(auth_stack)
    alarm = states(auth_stack)[ALARM]
    assert alarm["StateValue"] == "OK", alarm["StateReason"]

    # The JWKS endpoint fails; a token signed with a rotated key makes the function refetch,
    # which it does at most every JWKS_REFETCH_SECONDS (real time, not the drivable clock).
    jwks_server.status = 500
    time.sleep(max(0.0, JWKS_REFETCH_SECONDS + 0.5 - (time.monotonic() - fetched)))
    start = next_period(auth_stack)
    requests_before = jwks_server.requests
    assert upload(auth_stack, token(auth_stack, ROTATED_KEY, exp=int(time.time()) + 600)) == 401
    assert jwks_server.requests == requests_before + 1
    wait_for(auth_stack, "AWS/Lambda", "Errors", start, 1)
    assert total_since(auth_stack, "DataProc", "RejectedTokens", start) == 0
    changes = requests.post(
        f"{control(auth_stack)}/alarms/evaluate", params={"next_period": 60}, timeout=60
    ).json()["changes"]
    assert {"alarm": ALARM, "old": "OK", "new": "ALARM"} in [
        {k: c[k] for k in ("alarm", "old", "new")} for c in changes
    ]
    (message,) = [
        m
        for m in subscriber.messages()
        if m["AlarmName"] == ALARM and m["NewStateValue"] == "ALARM"
    ]
    # AWS's grammar for a one-period alarm: "1 datapoint [1.0 (dd/mm/yy HH:MM:SS)] was ..."
    assert message["NewStateReason"].startswith("Threshold Crossed: 1 datapoint [1.0 (")
    expression = [q["Expression"] for q in message["Trigger"]["Metrics"] if "Expression" in q]
    assert expression == ["errors - FILL(rejected, 0)"]
    assert (
        client(auth_stack, "cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0][
            "StateValue"
        ]
        == "ALARM"
    )
