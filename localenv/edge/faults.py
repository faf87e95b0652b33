"""Faults AWS produces, injected at the edge: throttling, internal errors, partial
batch writes and latency, each answered exactly as the service answers.

A rule names a service (the SigV4 signing name, e.g. ``dynamodb``; ``cognito-idp``
with operation ``jwks`` for the user pool's unsigned JWKS GET), optionally one
operation, one fault and how often (``rate``) and how long (``duration``) it
applies. The edge consults the book after IAM, so a denied call is still denied.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from localenv.edge import dynamodb_faults
from localenv.edge.calls import AwsCall, RawRequest
from localenv.edge.errors import EdgeResponse
from localenv.errors import LocalenvError

Forward = Callable[[RawRequest], EdgeResponse]
Views = list[dict[str, Any]]
JWKS_PATH = re.compile(r"/[^/]+/\.well-known/jwks\.json")
JWKS = "jwks"


class FaultRuleError(LocalenvError):
    """A fault rule the edge cannot inject (an unknown error, a rate out of range)."""


class FaultKind(Enum):
    ERROR = "error"
    UNPROCESSED = "unprocessed"
    LATENCY = "latency"


@dataclass(frozen=True)
class FaultRule:
    service: str
    kind: FaultKind
    operation: str | None = None
    error: str | None = None  # FaultKind.ERROR: the service's error code
    fraction: float = 0.0  # FaultKind.UNPROCESSED: the share of items left unprocessed
    latency_ms: int = 0  # FaultKind.LATENCY: the delay before the call goes on
    rate: float = 1.0  # the share of matching calls that get the fault
    duration: float | None = None  # seconds from the rule's creation; None: until cleared

    def check(self) -> FaultRule:
        if not 0.0 < self.rate <= 1.0:
            raise FaultRuleError(f"--rate must be in (0, 1], got {self.rate}")
        if self.kind is FaultKind.ERROR:
            dynamodb_faults.error_of(self.service, self.error)
        if self.kind is FaultKind.UNPROCESSED:
            if self.service != "dynamodb" or self.operation not in {None, "BatchWriteItem"}:
                raise FaultRuleError("--unprocessed applies to DynamoDB's BatchWriteItem only")
            if not 0.0 < self.fraction < 1.0:
                raise FaultRuleError(f"--unprocessed must be in (0, 1), got {self.fraction}")
        return self


@dataclass
class ActiveRule:
    rule: FaultRule
    id: int
    created: float
    injected: int = 0

    def live(self, now: float) -> bool:
        return self.rule.duration is None or now < self.created + self.rule.duration

    def view(self, now: float) -> dict[str, Any]:
        rule = {k: v for k, v in asdict(self.rule).items() if v is not None}
        rule["kind"] = self.rule.kind.value
        return {"id": self.id, **rule, "injected": self.injected, "active": self.live(now)}


def call_target(call: AwsCall) -> tuple[str, str | None]:
    """(service, operation) of a call; the unsigned JWKS GET is Cognito's ``jwks``."""
    if call.signer is None and JWKS_PATH.fullmatch(call.raw.path):
        return "cognito-idp", JWKS
    return (call.signer.service if call.signer else "", call.operation)


@dataclass
class FaultBook:
    """The edge interceptor: the first live rule matching a call, drawn at its rate."""

    forward: Forward
    seed: int | None = None
    rules: list[ActiveRule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_id: int = 1
    draw: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.draw = random.Random(self.seed)  # noqa: S311 - a fault draw, not a secret

    def add(self, rule: FaultRule) -> dict[str, Any]:
        with self.lock:
            active = ActiveRule(rule.check(), self.next_id, time.monotonic())
            self.next_id += 1
            self.rules.append(active)
            return active.view(active.created)

    def rules_now(self) -> Views:
        now = time.monotonic()
        with self.lock:
            return [active.view(now) for active in self.rules]

    def clear(self) -> Views:
        """Remove every rule; return them with their counts."""
        with self.lock:
            now = time.monotonic()
            cleared = [active.view(now) for active in self.rules]
            self.rules.clear()
            return cleared

    def chosen(self, call: AwsCall) -> ActiveRule | None:
        service, operation = call_target(call)
        now = time.monotonic()
        with self.lock:
            for active in self.rules:
                rule = active.rule
                if rule.service != service or rule.operation not in {None, operation}:
                    continue
                if active.live(now) and self.draw.random() < rule.rate:
                    return active
        return None

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        active = self.chosen(call)
        if active is None:
            return None
        answer, injected = self.inject(active.rule, call)
        if injected:
            with self.lock:
                active.injected += 1
        return answer

    def inject(self, rule: FaultRule, call: AwsCall) -> tuple[EdgeResponse | None, bool]:
        if rule.kind is FaultKind.LATENCY:
            time.sleep(rule.latency_ms / 1000)
            return None, True  # the call goes on to the emulator, late
        if rule.kind is FaultKind.ERROR:
            return dynamodb_faults.error_answer(call, rule.error or ""), True
        if call.operation != "BatchWriteItem":
            return None, False
        return dynamodb_faults.partial_batch_write(call, rule.fraction, self.forward)


DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)?")
UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}


def seconds(text: str) -> float:
    """``60s``, ``500ms``, ``2m`` or a plain number of seconds."""
    match = DURATION.fullmatch(text.strip())
    if match is None:
        raise FaultRuleError(f"--for takes e.g. 60s, 500ms or 2m, got {text!r}")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def kind_of(query: dict[str, str]) -> FaultKind:
    given = [kind for kind in FaultKind if query.get(kind.value)]
    if len(given) != 1:
        raise FaultRuleError("a rule takes exactly one of --error, --unprocessed, --latency-ms")
    return given[0]


def rule_from(query: dict[str, str]) -> FaultRule:
    """A rule from the control server's query (the CLI's flags, by name)."""
    if not query.get("service"):
        raise FaultRuleError("a rule needs --service")
    duration = query.get("for")
    return FaultRule(
        query["service"],
        kind_of(query),
        query.get("operation") or None,
        query.get("error") or None,
        float(query.get("unprocessed") or 0),
        int(query.get("latency") or 0),
        float(query.get("rate") or 1),
        seconds(duration) if duration else None,
    )


def control_routes(faults: FaultBook) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    """The control server's routes for ``localenv faults`` and the pytest fixture."""
    return {
        ("POST", "/faults"): lambda query: faults.add(rule_from(query)),
        ("GET", "/faults"): lambda _query: faults.rules_now(),
        ("POST", "/faults/clear"): lambda _query: faults.clear(),
    }
