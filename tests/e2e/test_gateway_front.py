"""The gateway's HTTP front with a real socket and an in-memory Lambda (no emulator):
what a client meets before any integration runs (issue 14)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
import requests

from localenv.gateway.api_model import ApiModel, Method
from localenv.gateway.core import Gateway
from localenv.gateway.http_server import GatewayHttpServer
from localenv.gateway.permissions import InvokePermissions
from localenv.gateway.trace import Trace
from localenv.runtime.environment import Outcome, OutcomeKind

GRANT = {
    "Effect": "Allow",
    "Principal": {"Service": "apigateway.amazonaws.com"},
    "Action": "lambda:InvokeFunction",
}


def ok(function: str, payload: bytes) -> Outcome:
    return Outcome(OutcomeKind.OK, payload=json.dumps({"statusCode": 200, "body": "ok"}).encode())


def api_model() -> ApiModel:
    method = Method("GET", "r1", "/things", "NONE", None, "AWS_PROXY", "fn", 29_000)
    return ApiModel(
        "api1",
        "api",
        "prod",
        "us-east-1",
        "123456789012",
        (),
        {("/things", "GET"): method},
        None,
        permissions=InvokePermissions({"fn": (GRANT,)}),
    )


@pytest.fixture
def base() -> Iterator[str]:
    gateway = Gateway(api_model(), ok)
    server = GatewayHttpServer("127.0.0.1", 0, gateway.answer)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.stop()
        gateway.stop()


def test_the_client_has_its_response_before_the_request_is_observed() -> None:
    """Metrics and the access log line are written after the response is sent: an
    observer that waits holds the client up for nothing."""
    released, observed = threading.Event(), []

    def observer(trace: Trace) -> None:
        released.wait(20)
        observed.append(trace.status)

    gateway = Gateway(api_model(), ok, observer=observer)
    server = GatewayHttpServer("127.0.0.1", 0, gateway.answer)
    server.start()
    try:
        response = requests.get(f"http://127.0.0.1:{server.server_port}/prod/things", timeout=5)
        assert (response.status_code, response.text, observed) == (200, "ok", [])
        released.set()
        deadline = time.monotonic() + 10
        while not observed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert observed == [200]
    finally:
        released.set()
        server.stop()
        gateway.stop()


def test_a_request_whose_client_has_gone_is_still_observed() -> None:
    """A client that gives up on a slow integration still leaves its access log line and
    metrics: writing the answer fails, the observation is made all the same."""
    observed: list[int] = []

    def slow(function: str, payload: bytes) -> Outcome:
        time.sleep(1.0)
        return ok(function, payload)

    gateway = Gateway(api_model(), slow, observer=lambda trace: observed.append(trace.status))
    server = GatewayHttpServer("127.0.0.1", 0, gateway.answer)
    server.start()
    try:
        for _ in range(2):
            with pytest.raises(requests.exceptions.ReadTimeout):
                requests.get(f"http://127.0.0.1:{server.server_port}/prod/things", timeout=0.2)
        deadline = time.monotonic() + 10
        while len(observed) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert observed == [200, 200]
    finally:
        server.stop()
        gateway.stop()


@pytest.mark.parametrize("verb", ["TRACE", "QUERY", "FOO"])
def test_a_method_the_api_lacks_is_403_missing_authentication_token(base: str, verb: str) -> None:
    response = requests.request(verb, f"{base}/prod/things", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"]


def test_requests_reads_the_413_for_an_11_mb_body(base: str) -> None:
    response = requests.post(f"{base}/prod/things", data=b"x" * (11 * 1024 * 1024), timeout=30)
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}


def test_no_server_header(base: str) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/prod/things")
    response = connection.getresponse()
    assert response.status == 200 and response.getheader("Server") is None


def test_urllib_reads_the_413_for_an_11_mb_body(base: str) -> None:
    # urllib (http.client) sends the whole body before reading: without the drain it gets
    # a broken pipe or a reset connection instead of the answer.
    request = urllib.request.Request(
        f"{base}/prod/things", data=b"x" * (11 * 1024 * 1024), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=30)
    assert raised.value.code == 413
    assert json.loads(raised.value.read()) == {"message": "Request Too Long"}
