"""The Lambda REQUEST authorizer step: identity sources, result cache, policy evaluation.

API Gateway checks the identity sources *before* invoking the authorizer: with
result caching on (TTL > 0) a missing or empty source is a 401 and the
authorizer never runs. Results are cached by the identity-source values for the
TTL, and a cached policy is evaluated against each request's method ARN.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from localenv.gateway.api_model import Authorizer
from localenv.gateway.errors import GatewayError, GatewayFailure
from localenv.gateway.permissions import as_list
from localenv.gateway.requests import Request
from localenv.iam.matching import action_matches, glob
from localenv.runtime.environment import Outcome, OutcomeKind
from localenv.runtime.pool import ThrottledError


class Invoker(Protocol):
    def __call__(self, function: str, payload: bytes) -> Outcome: ...


# Why API Gateway may not invoke an authorizer's function (None: it may).
Refusal = Callable[[Authorizer], "str | None"]


class AuthorizerOutputError(ValueError):
    """The authorizer returned something API Gateway cannot use."""


@dataclass(frozen=True)
class Decision:
    error: GatewayError | None
    authorizer_context: dict[str, Any] | None = None
    reason: str = ""  # for the logs: why the gateway answered ``error``


def identity_values(authorizer: Authorizer, request: Request) -> tuple[str, ...] | None:
    values = []
    for source in authorizer.identity_sources:
        if source.startswith("method.request.header."):
            value = request.header(source.removeprefix("method.request.header."))
        elif source.startswith("method.request.querystring."):
            name = source.removeprefix("method.request.querystring.")
            value = next((v for k, v in reversed(request.query_pairs()) if k == name), None)
        else:
            raise AuthorizerOutputError(f"identity source {source} is not emulated")
        if not value:
            return None
        values.append(value)
    return tuple(values)


def statement_matches(statement: Mapping[str, Any], method_arn: str) -> bool:
    # IAM's wildcards (iam/matching.py): actions case-insensitive; `*` in a resource is any
    # run of characters, newlines included, so a cached Allow for prod/*/* covers a path
    # with %0A. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
    actions = as_list(statement.get("Action", []))
    if not any(action_matches(str(a), "execute-api:Invoke") for a in actions):
        return False
    return any(glob(str(r), method_arn) for r in as_list(statement.get("Resource", [])))


def validate(payload: bytes) -> dict[str, Any]:
    try:
        output = json.loads(payload)
    except ValueError as exc:
        raise AuthorizerOutputError("output is not JSON") from exc
    if not isinstance(output, dict) or not isinstance(output.get("principalId"), str):
        raise AuthorizerOutputError("no principalId")
    document = output.get("policyDocument")
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list | dict):
        raise AuthorizerOutputError("no policyDocument.Statement")
    for statement in as_list(document["Statement"]):
        if not isinstance(statement, dict) or statement.get("Effect") not in {"Allow", "Deny"}:
            raise AuthorizerOutputError("a statement without Effect Allow or Deny")
    context = output.get("context") or {}
    if not isinstance(context, dict) or not all(
        isinstance(v, str | int | float | bool) for v in context.values()
    ):
        # API Gateway accepts only strings, numbers and booleans as context values.
        raise AuthorizerOutputError("context values must be strings, numbers or booleans")
    return output


def evaluate(output: Mapping[str, Any], method_arn: str) -> Decision:
    statements = as_list(output["policyDocument"]["Statement"])
    matching = [s for s in statements if statement_matches(s, method_arn)]
    if any(s["Effect"] == "Deny" for s in matching):
        return Decision(GatewayError.EXPLICIT_DENY)
    if not any(s["Effect"] == "Allow" for s in matching):
        return Decision(GatewayError.IMPLICIT_DENY)
    return Decision(None, {"principalId": output["principalId"], **(output.get("context") or {})})


class ResultCache:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.entries: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple[str, tuple[str, ...]]) -> dict[str, Any] | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or entry[0] <= self.clock():
                self.entries.pop(key, None)
                return None
            return entry[1]

    def put(self, key: tuple[str, tuple[str, ...]], output: dict[str, Any], ttl: int) -> None:
        with self.lock:
            self.entries[key] = (self.clock() + ttl, output)


class Authorization:
    def __init__(self, invoke: Invoker, refusal: Refusal, cache: ResultCache | None = None):
        self.invoke = invoke
        self.refusal = refusal
        self.cache = cache or ResultCache()
        self.invocations = 0

    def decide(self, authorizer: Authorizer, request: Request, event: dict[str, Any]) -> Decision:
        values = identity_values(authorizer, request)
        caching = authorizer.ttl_seconds > 0
        if values is None and caching:
            return Decision(GatewayError.UNAUTHORIZED)  # the authorizer is not invoked
        key = (authorizer.id, values or ())
        output = self.cache.get(key) if caching else None
        refused = self.refusal(authorizer) if output is None else None
        if refused is not None:
            # API Gateway cannot invoke the authorizer: 500, the authorizer's configuration error.
            return Decision(GatewayError.AUTHORIZER_FAILURE, reason=refused)
        if output is None:
            try:
                output = self.call(authorizer, event)
            except GatewayFailure as failure:
                return Decision(failure.error, reason=failure.reason)
            if caching:
                self.cache.put(key, output, authorizer.ttl_seconds)
        return evaluate(output, event["methodArn"])

    def call(self, authorizer: Authorizer, event: dict[str, Any]) -> dict[str, Any]:
        """The authorizer's output; raises GatewayFailure with API Gateway's answer when the
        function says Unauthorized (401) or fails in any other way (500)."""
        self.invocations += 1
        try:
            outcome = self.invoke(authorizer.function, json.dumps(event).encode())
        except ThrottledError:
            raise GatewayFailure(GatewayError.AUTHORIZER_FAILURE) from None
        # The function raising exactly `Unauthorized` is API Gateway's 401; any other failure 500.
        said_unauthorized = outcome.error.get("errorMessage") == "Unauthorized"
        if outcome.kind is OutcomeKind.FUNCTION_ERROR and said_unauthorized:
            raise GatewayFailure(GatewayError.UNAUTHORIZED)
        if outcome.kind is not OutcomeKind.OK:
            raise GatewayFailure(GatewayError.AUTHORIZER_FAILURE)
        try:
            return validate(outcome.payload)
        except AuthorizerOutputError:
            raise GatewayFailure(GatewayError.AUTHORIZER_FAILURE) from None
