"""Sample events come out of the gateway's own steps: the event a generated request
yields is the one the integration gets through the gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localenv.gateway.core import Gateway
from localenv.sample_events import EventKind, EventNotReachedError, generate
from tests.unit.test_gateway_core import FakeLambda, model, request

VOLATILE = ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch")


def stable(event: dict[str, Any]) -> dict[str, Any]:
    """The event without what differs per request (ids, times, measured latency)."""
    context = {k: v for k, v in event["requestContext"].items() if k not in VOLATILE}
    if "authorizer" in context:
        context["authorizer"] = {
            k: v for k, v in context["authorizer"].items() if k != "integrationLatency"
        }
    # API Gateway gives each request its own trace id (X-Amzn-Trace-Id).
    headers = {k: v for k, v in event["headers"].items() if k != "X-Amzn-Trace-Id"}
    multi = {k: v for k, v in event["multiValueHeaders"].items() if k != "X-Amzn-Trace-Id"}
    return {**event, "requestContext": context, "headers": headers, "multiValueHeaders": multi}


def test_a_generated_proxy_event_is_the_one_the_integration_gets() -> None:
    sent = request("/prod/things/7")
    through_gateway = FakeLambda()
    Gateway(model(), through_gateway).handle(sent)
    received = through_gateway.calls[-1][1]
    authorizer = FakeLambda()
    generated = generate(model(), sent, EventKind.PROXY, authorizer)
    assert stable(generated) == stable(received)
    assert generated["requestContext"]["authorizer"]["sub"] == "u1"  # the authorizer ran
    assert [function for function, _ in authorizer.calls] == ["auth-fn"]  # and only it


def test_a_generated_authorizer_event_runs_no_function() -> None:
    fake = FakeLambda()
    event = generate(model(), request("/prod/things"), EventKind.AUTHORIZER, fake)
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/things"
    # The request's headers plus what API Gateway adds (X-Forwarded-*, X-Amzn-Trace-Id), as in
    # AWS's example REQUEST authorizer input.
    assert event["headers"]["Authorization"] == "Bearer t"
    assert {"X-Forwarded-For", "X-Amzn-Trace-Id"} <= set(event["headers"])
    assert fake.calls == []


@pytest.mark.parametrize(
    ("sent", "answer"),
    [
        (request("/prod/nope"), "403"),  # no route
        (request("/prod/things", headers=[]), "401"),  # no identity source
    ],
)
def test_a_request_the_gateway_refuses_yields_no_event(sent: Any, answer: str) -> None:
    with pytest.raises(EventNotReachedError, match=f"answered {answer}"):
        generate(model(), sent, EventKind.PROXY, FakeLambda())


def test_an_authorizer_denial_is_reported_not_turned_into_an_event() -> None:
    deny = FakeLambda(authorizer_output="Unauthorized")
    with pytest.raises(EventNotReachedError, match="401"):
        generate(model(), request("/prod/things"), EventKind.PROXY, deny)
    assert json.loads(json.dumps(deny.calls[0][1]))["type"] == "REQUEST"
