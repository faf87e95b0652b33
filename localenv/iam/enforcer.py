"""The edge interceptor that evaluates a function's calls against its role's policies.

Modes: ``enforce`` answers a denied call with the service's own access-denied
error; ``warn`` lets it through and reports the would-be denial (to the
function's log group, and in ``localenv iam report``); ``off`` evaluates nothing.
Calls not signed with a function's session pass as the stack's own
(administrator) calls; unsigned calls (Cognito's public JWKS) pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from enum import Enum

from localenv.edge.calls import AwsCall
from localenv.edge.errors import EdgeResponse, access_denied
from localenv.edge.resources import resources_of
from localenv.iam.evaluator import Decision, IamRequest, denial_message, evaluate
from localenv.iam.identities import FunctionIdentity, IdentityRegistry
from localenv.iam.usage import UsageLog

log = logging.getLogger(__name__)
# AWS authorizes no caller for these: "No permissions are required to perform this operation."
# https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
UNCHECKED = frozenset({"sts:GetCallerIdentity"})


class Mode(Enum):
    ENFORCE = "enforce"
    WARN = "warn"
    OFF = "off"


WarnSink = Callable[[FunctionIdentity, str], None]


def request_context(identity: FunctionIdentity, region: str) -> dict[str, list[str]]:
    """The global condition keys a role session's request carries on AWS:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
    SDK calls to AWS endpoints are HTTPS, so aws:SecureTransport is true."""
    now = time.time()
    return {
        "aws:principalarn": [identity.role_arn],
        "aws:principalaccount": [identity.account],
        "aws:principaltype": ["AssumedRole"],
        "aws:userid": [f"{identity.role_id}:{identity.function}"],
        "aws:requestedregion": [region],
        "aws:securetransport": ["true"],
        "aws:viaawsservice": ["false"],
        "aws:currenttime": [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))],
        "aws:epochtime": [str(int(now))],
    }


class Enforcer:
    def __init__(self, mode: Mode, registry: IdentityRegistry, usage: UsageLog, warn: WarnSink):
        self.mode = mode
        self.registry = registry
        self.usage = usage
        self.warn = warn
        self.action_only: set[str] = set()

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        if self.mode is Mode.OFF or call.signer is None:
            return None
        identity = self.registry.lookup(call.signer.access_key)
        if identity is None or call.action in UNCHECKED:
            return None
        if call.operation is None:
            # Without the operation there is no action to evaluate: refuse loudly.
            return access_denied(
                call,
                f"localenv: cannot tell which {call.signer.service} operation "
                f"{call.raw.method} {call.raw.path} calls, so it is not authorised",
            )
        decision = self.decide(identity, call)
        if decision.allowed:
            return None
        message = denial_message(identity.principal, call.action, decision)
        if self.mode is Mode.WARN:
            self.warn(identity, message)
            return None
        return access_denied(call, message)

    def decide(self, identity: FunctionIdentity, call: AwsCall) -> Decision:
        resources = resources_of(call, identity.account)
        if resources is None:
            resources = ("*",)
            self.say_action_only(call)
        region = call.signer.region if call.signer else ""
        return self.check(identity, call.action, resources, region)

    def check(
        self, identity: FunctionIdentity, action: str, resources: tuple[str, ...], region: str
    ) -> Decision:
        """Each resource evaluated and recorded; the first denied one decides."""
        context = request_context(identity, region)
        decisions = [
            evaluate(IamRequest(action, (r,), context), identity.policies, identity.boundary)
            for r in resources
        ]
        for d in decisions:
            self.usage.record(identity.function, action, (d.resource,), d.allowed)
        return next((d for d in decisions if not d.allowed), decisions[0])

    def say_action_only(self, call: AwsCall) -> None:
        service = call.signer.service if call.signer else "?"
        if service not in self.action_only:
            self.action_only.add(service)
            log.warning("iam: %s calls are checked by action only (resource *)", service)
