"""Resource-based policies judging an AWS service that acts for this account.

An alarm's notification crosses three of them on AWS, and fails there when one
does not allow it: the topic policy must let ``cloudwatch.amazonaws.com``
``sns:Publish``; a topic encrypted with a customer managed key needs that key's
policy to let CloudWatch ``kms:GenerateDataKey*`` and ``kms:Decrypt``
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
an SQS subscriber's queue policy must let ``sns.amazonaws.com`` ``sqs:SendMessage``
(https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).

A statement applies to the service when its principal is everyone (``"*"``,
``{"AWS": "*"}``) or names the service. Evaluation is IAM's (localenv/iam):
an explicit Deny wins, else an Allow is needed. The condition keys such a request
carries are below; a statement using any other key cannot be judged here and is
reported as such, never taken as allowing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localenv.iam.evaluator import IamRequest, Verdict, resource_policy_verdict
from localenv.iam.policy import Policy, PolicyError, parse_statement, raw_statements

# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
# (aws:SourceOwner: SNS's own key for the source account, used by its default policy).
SUPPLIED_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
    }
)


@dataclass(frozen=True)
class ServiceRequest:
    service: str  # e.g. cloudwatch.amazonaws.com
    action: str
    resource: str
    source_account: str
    source_arn: str

    def context(self) -> dict[str, Sequence[str]]:
        return {
            "aws:sourceaccount": [self.source_account],
            "aws:sourceowner": [self.source_account],
            "aws:sourcearn": [self.source_arn],
            "aws:securetransport": ["true"],  # AWS services call each other over TLS
        }


def names(principal: Any, service: str) -> bool:
    if principal in ("*", {"AWS": "*"}):
        return True
    if not isinstance(principal, Mapping):
        return False
    listed = principal.get("Service", [])
    return service in (listed if isinstance(listed, list) else [listed])


def applying(document: str | Mapping[str, Any], service: str, where: str) -> Policy:
    """The statements that apply to ``service``, without their principals."""
    statements = []
    for index, item in enumerate(raw_statements(document)):
        if "NotPrincipal" in item:
            raise PolicyError(f"{where} statement {index}: NotPrincipal is not evaluated locally")
        if names(item.get("Principal"), service):
            body = {k: v for k, v in item.items() if k != "Principal"}
            statements.append(parse_statement(body, f"{where} statement {index}", SUPPLIED_KEYS))
    return Policy(where, tuple(statements))


def verdict(document: str | Mapping[str, Any], request: ServiceRequest, where: str) -> Verdict:
    """Raises PolicyError when a statement that applies cannot be judged here."""
    policy = applying(document, request.service, where)
    iam_request = IamRequest(request.action, (request.resource,), request.context())
    return resource_policy_verdict(policy, iam_request, request.resource)


def refusal(document: str | Mapping[str, Any], request: ServiceRequest, where: str) -> str | None:
    """Why the policy refuses the request, or None when it allows it."""
    try:
        found = verdict(document, request, where)
    except PolicyError as error:
        return f"{error}: the request cannot be judged, so it is not made"
    if found is Verdict.ALLOW:
        return None
    return f"{where} does not allow {request.service} to {request.action} ({found.value})"
