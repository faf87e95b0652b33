"""What an emulator's CloudFormation really did with the template, told in one place.

An emulator's CloudFormation can answer ``CREATE_COMPLETE`` for a resource it never
created: LocalStack 4.14 "deploys as a fallback" every type it has no provider for (its
message, from ``localstack/services/cloudformation/engine/v2/change_set_model_executor.py``:
"Resource type X is not supported but was deployed as a fallback", physical id
``unknown``). AWS never does that, so the report counts a fallback as not deployed.
The report reads the stack's resources and events through the public CloudFormation
API (DescribeStackResources, DescribeStackEvents):
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackEvents.html
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

FALLBACK_MARKER = "deployed as a fallback"
FALLBACK_PHYSICAL_ID = "unknown"
NO_REASON = "no reason given by the emulator"


class Outcome(enum.Enum):
    CREATED = "created"
    FALLBACK = "fallback"
    FAILED = "failed"
    PENDING = "in progress"
    ABSENT = "not in the stack"


@dataclass(frozen=True)
class ResourceOutcome:
    logical_id: str
    resource_type: str
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True)
class Edition:
    """What the emulator behind the endpoint can do, as far as it tells."""

    name: str
    version: str
    cognito: bool
    authorizers: bool
    lambda_code: str

    def lacks(self) -> list[str]:
        missing = [] if self.cognito else ["Cognito (AWS::Cognito::*)"]
        if not self.authorizers:
            missing.append("API Gateway authorizers (AWS::ApiGateway::Authorizer)")
        return missing


@dataclass
class DeployReport:
    stack_status: str
    edition: Edition | None
    resources: list[ResourceOutcome] = field(default_factory=list)
    stuck: str = ""

    def of(self, outcome: Outcome) -> list[ResourceOutcome]:
        return [r for r in self.resources if r.outcome is outcome]

    @property
    def complete(self) -> bool:
        return not self.stuck and all(r.outcome is Outcome.CREATED for r in self.resources)

    def as_json(self) -> dict[str, Any]:
        edition = self.edition
        return {
            "StackStatus": self.stack_status,
            "Complete": self.complete,
            "Stuck": self.stuck or None,
            "Edition": None if edition is None else edition.__dict__,
            **{
                outcome.name.title(): {r.logical_id: r.reason or r.resource_type for r in found}
                for outcome in Outcome
                if (found := self.of(outcome))
            },
        }


def outcome_of(resource: Mapping[str, Any], reasons: Mapping[str, str]) -> ResourceOutcome:
    logical_id, status = resource["LogicalResourceId"], resource["ResourceStatus"]
    reason = resource.get("ResourceStatusReason") or reasons.get(logical_id, "")
    kind = resource["ResourceType"]
    if FALLBACK_MARKER in reason or resource.get("PhysicalResourceId") == FALLBACK_PHYSICAL_ID:
        return ResourceOutcome(logical_id, kind, Outcome.FALLBACK, reason or "physical id unknown")
    if status.endswith("_FAILED"):
        return ResourceOutcome(logical_id, kind, Outcome.FAILED, reason or NO_REASON)
    if status.endswith("_IN_PROGRESS"):
        return ResourceOutcome(logical_id, kind, Outcome.PENDING, status)
    return ResourceOutcome(logical_id, kind, Outcome.CREATED)


def latest_reasons(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each resource's most recent non-empty reason (events come newest first)."""
    reasons: dict[str, str] = {}
    for event in events:
        reason = event.get("ResourceStatusReason")
        if reason:
            reasons.setdefault(event["LogicalResourceId"], reason)
    return reasons


def resource_outcomes(
    resources: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
    template_resources: Mapping[str, Any],
) -> list[ResourceOutcome]:
    reasons = latest_reasons(events)
    found = {r["LogicalResourceId"]: outcome_of(r, reasons) for r in resources}
    for logical_id, resource in template_resources.items():
        if logical_id not in found and "Condition" not in resource:
            found[logical_id] = ResourceOutcome(
                logical_id, resource["Type"], Outcome.ABSENT, "never attempted"
            )
    return sorted(found.values(), key=lambda r: (r.outcome.value, r.logical_id))


def read_report(
    cfn: Any, stack_name: str, template_resources: Mapping[str, Any], edition: Edition | None
) -> DeployReport:
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources = cfn.describe_stack_resources(StackName=stack_name)["StackResources"]
    events = cfn.describe_stack_events(StackName=stack_name)["StackEvents"]
    report = DeployReport(stack["StackStatus"], edition)
    report.resources = resource_outcomes(resources, events, template_resources)
    return report


def render(report: DeployReport) -> list[str]:
    """The report as lines: every fallback, failure and absence, one per line."""
    lines = [f"stack status: {report.stack_status}"]
    if report.stuck:
        lines.append(f"STUCK: {report.stuck}")
    if report.edition is None:
        lines.append(
            "emulator: not LocalStack, or /_localstack/info did not answer: capabilities unknown"
        )
    else:
        lines += render_edition(report.edition)
    for outcome in Outcome:
        found = report.of(outcome)
        lines.append(f"{outcome.value}: {len(found)}")
        lines += [f"  {r.logical_id} ({r.resource_type}){_reason(r)}" for r in found]
    verdict = "deployed as on AWS" if report.complete else "NOT deployed as on AWS"
    lines.append(f"verdict: {verdict}")
    return lines


def render_edition(edition: Edition) -> list[str]:
    lines = [f"emulator: {edition.name} {edition.version}"]
    lines += [f"  this edition has no {missing}" for missing in edition.lacks()]
    lines.append(f"  Lambda code: {edition.lambda_code}")
    return lines


def _reason(resource: ResourceOutcome) -> str:
    return f": {resource.reason}" if resource.reason else ""
