"""Deploy-time checks AWS makes, all run before the first resource is created.

CloudFormation fails the stack when a service refuses a resource; these are the
refusals the emulator does not make itself. Each failure is one line naming
the logical id and template line, with the service's own message. Which checks
are reproduced, and which are not, is listed in localenv/ARCHITECTURE.md.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from localenv.intrinsics import UnsupportedError
from localenv.resources import policy_match
from localenv.resources.base import DeployContext, DeployError
from localenv.resources.compute import check_reserved_variables
from localenv.resources.preview import NAME_PROPERTIES, Planned

# What the AWS managed policy AmazonAPIGatewayPushToCloudWatchLogs allows, on "*".
# https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
PUSH_TO_CLOUDWATCH_LOGS = (
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogGroups",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)
# Lambda keeps 100 of the account's concurrency unreserved.
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
UNRESERVED_MINIMUM = 100


def of_type(planned: Mapping[str, Planned], kind: str) -> list[Planned]:
    return [p for p in planned.values() if p.type == kind and p.props is not None]


def fail(resource: Planned, message: str) -> DeployError:
    return DeployError(f"{resource.where}: {message}")


def role_named(planned: Mapping[str, Planned], arn: str) -> Planned | None:
    return next((p for p in of_type(planned, "AWS::IAM::Role") if p.arn == arn), None)


def managed_document(ctx: DeployContext, arn: str) -> dict[str, Any]:
    """An attached managed policy's document: from the emulator, else AWS's own (moto's data)."""
    iam = ctx.client("iam")
    try:
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
        return dict(document["PolicyVersion"]["Document"])
    except iam.exceptions.NoSuchEntityException:
        pass
    from moto.iam.aws_managed_policies import aws_managed_policies_data  # noqa: PLC0415

    known = json.loads(aws_managed_policies_data)
    name = arn.rsplit("/", 1)[-1]
    if not arn.startswith("arn:aws:iam::aws:policy/") or name not in known:
        raise DeployError(f"managed policy {arn} is unknown to the emulator")
    return dict(known[name]["Document"])


def role_documents(ctx: DeployContext, role: Planned) -> list[dict[str, Any]]:
    props = role.props or {}
    inline = [dict(p["PolicyDocument"]) for p in props.get("Policies", [])]
    return inline + [managed_document(ctx, arn) for arn in props.get("ManagedPolicyArns", [])]


def check_account_role(ctx: DeployContext, planned: Mapping[str, Planned]) -> None:
    """UpdateAccount refuses a role API Gateway cannot assume or use for logging."""
    for account in of_type(planned, "AWS::ApiGateway::Account"):
        arn = str((account.props or {}).get("CloudWatchRoleArn", ""))
        role = role_named(planned, arn)
        if not arn or role is None:
            continue  # no role, or one outside the stack: the emulator checks it exists
        trust = (role.props or {}).get("AssumeRolePolicyDocument", {})
        if not policy_match.trusts(trust, "apigateway.amazonaws.com"):
            raise fail(account, f"The role ARN {arn} does not trust apigateway.amazonaws.com")
        documents = role_documents(ctx, role)
        missing = [
            action
            for action in PUSH_TO_CLOUDWATCH_LOGS
            if policy_match.evaluate(documents, policy_match.Request(action, "*")) != "allowed"
        ]
        if missing:
            raise fail(
                account,
                f"The role ARN {arn} does not have required permissions set to API Gateway: "
                f"{role.logical_id} does not allow {', '.join(missing)} on * "
                "(what AmazonAPIGatewayPushToCloudWatchLogs allows)",
            )


def check_access_logging(ctx: DeployContext, planned: Mapping[str, Planned]) -> None:
    """A stage with access logging needs the account's CloudWatch Logs role set."""
    accounts = [
        a
        for a in of_type(planned, "AWS::ApiGateway::Account")
        if (a.props or {}).get("CloudWatchRoleArn")
    ]
    if accounts or ctx.client("apigateway").get_account().get("cloudwatchRoleArn"):
        return
    for stage in of_type(planned, "AWS::ApiGateway::Stage"):
        if (stage.props or {}).get("AccessLogSetting"):
            raise fail(stage, "CloudWatch Logs role ARN must be set in account settings")


ALARM_ACTION_KEYS = ("AlarmActions", "OKActions", "InsufficientDataActions")
SNS_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]+")
PLACEHOLDER = re.compile(r"\{(\w+)\}")  # a resource not created yet (preview.py)


def is_topic(planned: Mapping[str, Planned], action: str) -> bool:
    placeholder = PLACEHOLDER.fullmatch(action)
    if placeholder is not None:
        target = planned.get(placeholder.group(1))
        return target is not None and target.type == "AWS::SNS::Topic"
    return SNS_TOPIC_ARN.fullmatch(action) is not None


def check_alarm_actions(planned: Mapping[str, Planned]) -> None:
    """An alarm action the local stack would not carry out is refused, not dropped.
    CloudWatch also takes Auto Scaling, EC2, Systems Manager and Lambda actions
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html);
    locally only SNS topics are notified, so anything else is unsupported."""
    for alarm in of_type(planned, "AWS::CloudWatch::Alarm"):
        for key in ALARM_ACTION_KEYS:
            for action in (alarm.props or {}).get(key, []):
                if not is_topic(planned, str(action)):
                    raise UnsupportedError(
                        f"{alarm.where}: {key} {action!r}: only SNS topic actions are "
                        "carried out locally"
                    )


def check_reserved_concurrency(ctx: DeployContext, planned: Mapping[str, Planned]) -> None:
    reserved = 0
    for function in of_type(planned, "AWS::Lambda::Function"):
        value = (function.props or {}).get("ReservedConcurrentExecutions")
        reserved += int(value or 0)
        if value is not None and ctx.account_concurrency - reserved < UNRESERVED_MINIMUM:
            raise fail(
                function,
                f"Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of [{UNRESERVED_MINIMUM}] "
                f"({reserved} reserved by the stack of an account limit of "
                f"{ctx.account_concurrency}; --account-concurrency sets it)",
            )


def check_function_roles(ctx: DeployContext, planned: Mapping[str, Planned]) -> None:
    for function in of_type(planned, "AWS::Lambda::Function"):
        role = role_named(planned, str((function.props or {}).get("Role", "")))
        if role is None:
            continue  # a role outside the stack: the emulator checks it exists
        trust = (role.props or {}).get("AssumeRolePolicyDocument", {})
        if not policy_match.trusts(trust, "lambda.amazonaws.com"):
            raise fail(function, "The role defined for the function cannot be assumed by Lambda.")
        warn_without_logs(ctx, function, role)


def warn_without_logs(ctx: DeployContext, function: Planned, role: Planned) -> None:
    """On AWS such a function runs, and its logs silently go nowhere: say so loudly."""
    props = function.props or {}
    group = props.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{function.physical_id}"
    stream = ctx.arn("logs", f"log-group:{group}:log-stream:2025/01/01/[$LATEST]0")
    documents = role_documents(ctx, role)
    missing = [
        action
        for action in ("logs:CreateLogStream", "logs:PutLogEvents")
        if policy_match.evaluate(documents, policy_match.Request(action, stream)) != "allowed"
    ]
    if missing:
        ctx.progress(
            f"WARNING: {function.where}: role {role.logical_id} does not allow "
            f"{', '.join(missing)} on {group}: on AWS its logs go nowhere"
        )


def check_names_free(
    ctx: DeployContext, planned: Mapping[str, Planned], known: Iterable[str]
) -> None:
    """A resource with an explicit name that already exists fails its creation."""
    previous = set(known)
    for resource in planned.values():
        if resource.logical_id in previous or resource.props is None:
            continue
        exists = EXISTS.get(resource.type)
        prop = NAME_PROPERTIES.get(resource.type, "")
        if exists is not None and resource.props.get(prop) and exists(ctx, resource.physical_id):
            raise fail(resource, f"{resource.physical_id} already exists")


def log_group_exists(ctx: DeployContext, name: str) -> bool:
    groups = ctx.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in groups)


def found(call: Any, missing: type[Exception], **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except missing:
        return False
    return True


EXISTS: dict[str, Callable[[DeployContext, str], bool]] = {
    "AWS::Logs::LogGroup": log_group_exists,
    "AWS::DynamoDB::Table": lambda ctx, name: found(
        ctx.client("dynamodb").describe_table,
        ctx.client("dynamodb").exceptions.ResourceNotFoundException,
        TableName=name,
    ),
    "AWS::Lambda::Function": lambda ctx, name: found(
        ctx.client("lambda").get_function,
        ctx.client("lambda").exceptions.ResourceNotFoundException,
        FunctionName=name,
    ),
    "AWS::IAM::Role": lambda ctx, name: found(
        ctx.client("iam").get_role,
        ctx.client("iam").exceptions.NoSuchEntityException,
        RoleName=name,
    ),
}


def run(ctx: DeployContext, planned: Mapping[str, Planned], known: Iterable[str]) -> None:
    """Every check; the first failure fails the deploy before anything is created."""
    for resource in planned.values():
        if resource.props is None:
            ctx.progress(
                f"WARNING: {resource.where}: its properties resolve only once other resources "
                "exist, so the deploy-time checks do not cover it"
            )
    check_names_free(ctx, planned, known)
    check_reserved_concurrency(ctx, planned)
    check_reserved_variables(planned)  # [w19] Lambda's reserved environment keys
    check_function_roles(ctx, planned)
    check_account_role(ctx, planned)
    check_access_logging(ctx, planned)
    check_alarm_actions(planned)
