"""The API's resource policy, evaluated for every request as API Gateway does.

Resource policies use IAM's grammar and evaluation logic (here: localenv/iam):
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-resource-policies.html
How the verdict combines with the method's authorization:
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
- no authorization (NONE): the policy must explicitly allow; an implicit or an
  explicit deny refuses the caller;
- a Lambda authorizer: an explicit deny refuses the caller before the authorizer
  is called; otherwise the authorizer decides (an Allow in the policy is not
  needed, and does not override the authorizer's Deny).

Callers of this gateway are never IAM-signed (``AWS_IAM`` methods are refused
when the API loads), so they are ``anonymous``: only statements whose principal
is everyone (``"*"`` or ``{"AWS": "*"}``) apply to them. The abbreviated resource
form ``execute-api:/stage/VERB/path`` is expanded to the API's ARN, as API Gateway
does when it saves the policy. The condition keys a request here supplies are
below; a policy using any other key is refused when the API loads, never
evaluated as if the key were absent by accident.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from localenv.gateway.requests import Request
from localenv.iam.evaluator import IamRequest, Verdict, resource_policy_verdict
from localenv.iam.policy import Policy, PolicyError, parse_statement, raw_statements
from localenv.intrinsics import UnsupportedError

ACTION = "execute-api:Invoke"
EVERYONE = ("*", {"AWS": "*"})
# Global condition keys of a request that reaches API Gateway's public endpoint
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
# The VPC keys are known and never present: a local request never comes through a
# VPC endpoint, like any request to a regional or edge-optimized API.
SUPPLIED_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:useragent",
        "aws:referer",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:vpcsourceip",
    }
)


@dataclass(frozen=True)
class ResourcePolicy:
    policy: Policy  # the statements that apply to anonymous callers
    api_arn: str  # arn:aws:execute-api:<region>:<account>:<api id>


def expanded(resource: str, api_arn: str) -> str:
    """``execute-api:/prod/GET/x`` -> ``<api arn>/prod/GET/x``, as API Gateway saves it."""
    prefix = "execute-api:/"
    return f"{api_arn}/{resource[len(prefix) :]}" if resource.startswith(prefix) else resource


def anonymous_statement(raw: Mapping[str, Any], api_arn: str, where: str) -> dict[str, Any] | None:
    """The statement without its principal if it applies to anonymous callers, else None."""
    if "NotPrincipal" in raw:
        raise UnsupportedError(f"{where}: NotPrincipal in an API's resource policy")
    if raw.get("Principal") not in EVERYONE:
        return None  # names IAM principals: only SigV4-signed callers can be one of them
    statement = {k: v for k, v in raw.items() if k != "Principal"}
    for key in ("Resource", "NotResource"):
        if key in statement:
            values = statement[key] if isinstance(statement[key], list) else [statement[key]]
            statement[key] = [expanded(str(v), api_arn) for v in values]
    return statement


def parse(document: str | Mapping[str, Any], api_arn: str, where: str) -> ResourcePolicy:
    """The policy as stored by API Gateway (a JSON string) or as a template writes it."""
    statements = []
    for index, item in enumerate(raw_statements(document)):
        at = f"{where}: resource policy statement {item.get('Sid', index)}"
        statement = anonymous_statement(item, api_arn, at)
        if statement is not None:
            try:
                statements.append(parse_statement(statement, at, SUPPLIED_KEYS))
            except PolicyError as error:
                raise UnsupportedError(str(error)) from None
    return ResourcePolicy(Policy("resource policy", tuple(statements)), api_arn)


def context(request: Request, now: float) -> dict[str, Sequence[str]]:
    """The request's condition keys (lower case). The endpoint API Gateway serves is
    HTTPS only, so ``aws:SecureTransport`` is true for every request that reaches it."""
    keys: dict[str, Sequence[str]] = {
        "aws:sourceip": [request.source_ip],
        "aws:securetransport": ["true"],
        "aws:currenttime": [datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now))],
    }
    for key, header in (("aws:useragent", "User-Agent"), ("aws:referer", "Referer")):
        value = request.header(header)
        if value is not None:
            keys[key] = [value]
    return keys


def verdict(policy: ResourcePolicy, method_arn: str, keys: Mapping[str, Sequence[str]]) -> Verdict:
    request = IamRequest(ACTION, (method_arn,), keys)
    return resource_policy_verdict(policy.policy, request, method_arn)


def refusal(verdict_: Verdict, method_arn: str, has_authorizer: bool) -> str | None:
    """AWS's message when the caller is refused, else None. Message form:
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_access-denied.html"""
    if verdict_ is Verdict.ALLOW or (verdict_ is Verdict.IMPLICIT_DENY and has_authorizer):
        return None
    reason = (
        "with an explicit deny in a resource-based policy"
        if verdict_ is Verdict.EXPLICIT_DENY
        else f"because no resource-based policy allows the {ACTION} action"
    )
    subject = f"User: anonymous is not authorized to perform: {ACTION}"
    return f"{subject} on resource: {method_arn} {reason}"
