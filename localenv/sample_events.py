"""Sample events from the gateway's own code path: a request goes through a ``Gateway``
over the stack's served deployment; the event the gateway hands to the integration
(or to the authorizer) is captured instead of being invoked.

One source of truth: the event a function gets through the API and the one
``localenv events`` prints come from the same builder and the same steps
(routing, identity sources, the real authorizer run for the context).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import Enum
from typing import Any

from localenv.gateway.api_model import ApiModel
from localenv.gateway.core import Gateway
from localenv.gateway.requests import Request, Response
from localenv.runtime.environment import Outcome, OutcomeKind

# What the integration "returns" once its event is captured: a valid proxy response.
CAPTURED = json.dumps({"statusCode": 200, "body": ""}).encode()
# What the authorizer "returns" once its event is captured: nothing goes further.
DENY = json.dumps(
    {
        "principalId": "localenv-events",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}],
        },
    }
).encode()


class EventKind(Enum):
    PROXY = "apigateway"
    AUTHORIZER = "authorizer"


class EventNotReachedError(Exception):
    """The gateway answered before it built the event (no route, 401, 403, ...)."""


def is_authorizer_event(event: dict[str, Any]) -> bool:
    return event.get("type") == "REQUEST" and "methodArn" in event


class Capture:
    """The gateway's invoker: runs the authorizer for real (``authorize``), keeps the event."""

    def __init__(self, kind: EventKind, authorize: Callable[[str, bytes], Outcome]):
        self.kind = kind
        self.authorize = authorize
        self.event: dict[str, Any] | None = None

    def __call__(self, function: str, payload: bytes) -> Outcome:
        event = json.loads(payload)
        authorizer = is_authorizer_event(event)
        if authorizer and self.kind is EventKind.PROXY:
            return self.authorize(function, payload)
        self.event = event
        return Outcome(OutcomeKind.OK, payload=DENY if authorizer else CAPTURED)


def generate(
    model: ApiModel,
    request: Request,
    kind: EventKind,
    authorize: Callable[[str, bytes], Outcome],
) -> dict[str, Any]:
    """The event the gateway builds for ``request``, of the kind asked for."""
    capture = Capture(kind, authorize)
    gateway = Gateway(model, capture, workers=1)
    try:
        response = gateway.handle(request)
    finally:
        gateway.stop()
    if capture.event is None:
        raise EventNotReachedError(refusal(response))
    return capture.event


def refusal(response: Response) -> str:
    body = response.body.decode("utf-8", "replace")
    return f"the gateway answered {response.status} {body} before building the event"
