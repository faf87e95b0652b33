"""Deploy the template through an emulator's own CloudFormation API (LocalStack's path).

What `aws cloudformation package` + `aws cloudformation deploy --endpoint-url` do,
through the same APIs: upload the built artifact to S3, point every function's
``Code`` at it, create or update the stack, wait, and write the stack's outputs
with the emulator's own execute-api URL. The local gateway and runtime are not
involved: the emulator serves the API. Then it tells what the emulator really did
(``cfn_report``): every fallback, failure and stuck state, and what the edition lacks.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from localenv import build, cfn_report, cfn_variant, emulator, template_loader
from localenv.errors import LocalenvError

# LocalStack answers the stage URL with its own host as AWS::URLSuffix
# (https://{api}.execute-api.127.0.0.1:4566/prod/...); AWS with amazonaws.com.
EXECUTE_API_URL = re.compile(r"https://([a-z0-9]+)\.execute-api\.[^/]+/(.*)")
WAIT = {"Delay": 2, "MaxAttempts": 150}  # five minutes, not the waiter's default hour
ReportLine = Callable[[str], None]
# UpdateStack's ValidationError for an unchanged template:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStack.html
NO_UPDATES = "No updates are to be performed"


class Target(enum.Enum):
    AS_IS = "as-is"
    LOCALSTACK_COMMUNITY = cfn_variant.VARIANT_NAME


class CfnDeployError(LocalenvError):
    """The deploy could not start, or the stack is stuck."""


@dataclass
class CfnDeployOptions:
    root: Path
    endpoint_url: str
    public_endpoint: str
    outputs_file: Path
    stack_name: str = "dataproc"
    region: str = "us-east-1"
    parameters: dict[str, str] = field(default_factory=dict)
    target: Target = Target.AS_IS


def packaged_template(template_path: Path, bucket: str, key: str, target: Target) -> dict[str, Any]:
    """The template with every local ``Code`` path replaced by the S3 object."""
    template: dict[str, Any] = template_loader.load(template_path)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            props["Code"] = {"S3Bucket": bucket, "S3Key": key}
    if target is Target.LOCALSTACK_COMMUNITY:
        return cfn_variant.unauthenticated_variant(template)
    return template


def local_api_url(value: str, public_endpoint: str) -> str:
    """LocalStack 4.x serves https://{api}.execute-api.../{stage}/{path} at
    {endpoint}/_aws/execute-api/{api}/{stage}/{path} (checked on 4.14 by tests/localstack)."""
    match = EXECUTE_API_URL.fullmatch(value)
    if match is None:
        return value
    return f"{public_endpoint}/_aws/execute-api/{match.group(1)}/{match.group(2)}"


def edition_from(info: dict[str, Any], health: dict[str, Any]) -> cfn_report.Edition:
    """LocalStack's /_localstack/info and /_localstack/health, read as capabilities."""
    licensed = bool(info.get("is_license_activated"))
    return cfn_report.Edition(
        name="LocalStack" + ("" if licensed else " (free, no license)"),
        version=str(info.get("version", "?")),
        cognito="cognito-idp" in health.get("services", {}),
        # Measured on 4.14.0: the free edition has no AWS::ApiGateway::Authorizer provider.
        authorizers=licensed,
        # LocalStack runs every function in a container (its docker runtime executor).
        lambda_code="runs only where LocalStack reaches a Docker engine",
    )


def probe_edition(endpoint_url: str) -> cfn_report.Edition | None:
    """None when the endpoint is not LocalStack (no /_localstack/info)."""
    try:
        info = requests.get(f"{endpoint_url}/_localstack/info", timeout=10)
        health = requests.get(f"{endpoint_url}/_localstack/health", timeout=10)
        if info.ok and health.ok:
            return edition_from(info.json(), health.json())
    except (requests.RequestException, ValueError):
        pass
    return None


def wrong_edition(template: dict[str, Any], edition: cfn_report.Edition | None) -> list[str]:
    """Resources of the template this edition will fake or refuse."""
    if edition is None:
        return []
    missing = {
        "AWS::Cognito::": edition.cognito,
        "AWS::ApiGateway::Authorizer": edition.authorizers,
    }
    return sorted(
        f"{name} ({resource['Type']})"
        for name, resource in template["Resources"].items()
        if any(resource["Type"].startswith(p) and not ok for p, ok in missing.items())
    )


def upload_artifact(session: Any, options: CfnDeployOptions) -> tuple[str, str]:
    artifact = build.build(options.root)
    s3 = session.client("s3", endpoint_url=options.endpoint_url)
    bucket = f"{options.stack_name}-artifacts"
    s3.create_bucket(Bucket=bucket)
    key = hashlib.md5(artifact.path.read_bytes(), usedforsecurity=False).hexdigest()
    s3.upload_file(str(artifact.path), bucket, key)  # package names objects by MD5 too
    return bucket, key


def stack_exists(cfn: Any, stack_name: str) -> bool:
    return any(
        s["StackName"] == stack_name and s["StackStatus"] != "DELETE_COMPLETE"
        for s in cfn.list_stacks()["StackSummaries"]
    )


def stuck_reason(cfn: Any, stack_name: str, cause: str) -> str:
    """Non-empty when the stack sits in an *_IN_PROGRESS state that will not move."""
    stacks = (
        cfn.describe_stacks(StackName=stack_name)["Stacks"] if stack_exists(cfn, stack_name) else []
    )
    status = stacks[0]["StackStatus"] if stacks else ""
    if not status.endswith("_IN_PROGRESS"):
        return ""
    return (
        f"the stack is {status} after {cause}; the emulator will not finish it: "
        f"delete the stack (or restart the emulator) and deploy again"
    )


def apply_stack(cfn: Any, arguments: dict[str, Any], update: bool) -> str:
    """Create or update and wait; the stuck reason, if the stack is left in progress."""
    name = arguments["StackName"]
    call, waiter = (
        (cfn.update_stack, "stack_update_complete")
        if update
        else (cfn.create_stack, "stack_create_complete")
    )
    try:
        call(**arguments)
    except ClientError as exc:
        if update and NO_UPDATES in str(exc):
            return ""  # `aws cloudformation deploy` says "No changes to deploy" and succeeds
        # One attempt only (no retries): a retried CreateStack after a 500 answers
        # AlreadyExistsException for the half-created stack, hiding the real error.
        reason = stuck_reason(cfn, name, f"{exc.operation_name} failed ({exc})")
        if reason:
            return reason
        raise CfnDeployError(f"{exc.operation_name}: {exc}") from exc
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAIT)
    except WaiterError as exc:
        return stuck_reason(cfn, name, f"waiting {WAIT['Delay'] * WAIT['MaxAttempts']} s ({exc})")
    return ""


def deploy(options: CfnDeployOptions, say: ReportLine = print) -> dict[str, Any]:
    if options.target is Target.LOCALSTACK_COMMUNITY:
        try:
            cfn_variant.refuse_unless_local(options.endpoint_url)
        except cfn_variant.VariantRefusedError as exc:
            raise CfnDeployError(str(exc)) from exc
    session = emulator.session(options.region)
    bucket, key = upload_artifact(session, options)
    template_path = options.root / "cloudformation" / "template.yaml"
    template = packaged_template(template_path, bucket, key, options.target)
    edition = probe_edition(options.endpoint_url)
    announce(template, edition, options, say)
    cfn = session.client(
        "cloudformation",
        endpoint_url=options.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
    )
    stuck = apply_stack(
        cfn, stack_arguments(options, template), stack_exists(cfn, options.stack_name)
    )
    report = cfn_report.read_report(cfn, options.stack_name, template["Resources"], edition)
    report.stuck = stuck
    for line in cfn_report.render(report):
        say(line)
    return write_outputs(cfn, options, report)


def announce(
    template: dict[str, Any],
    edition: cfn_report.Edition | None,
    options: CfnDeployOptions,
    say: ReportLine,
) -> None:
    """Before anything is created: what this emulator will fake or refuse."""
    if options.target is Target.LOCALSTACK_COMMUNITY:
        say(f"WARNING: {cfn_variant.BANNER}")
    faked = wrong_edition(template, edition)
    if faked:
        say("WRONG EDITION: this emulator cannot deploy these resources as AWS does:")
        say("  " + ", ".join(faked))
        say(f"  (a licensed edition deploys them; --target {Target.LOCALSTACK_COMMUNITY.value}")
        say("  derives an unauthenticated local-only variant without them)")


def stack_arguments(options: CfnDeployOptions, template: dict[str, Any]) -> dict[str, Any]:
    return {
        "StackName": options.stack_name,
        "TemplateBody": json.dumps(template),
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": v} for k, v in options.parameters.items()
        ],
    }


def write_outputs(
    cfn: Any, options: CfnDeployOptions, report: cfn_report.DeployReport
) -> dict[str, Any]:
    stack = cfn.describe_stacks(StackName=options.stack_name)["Stacks"][0]
    outputs: dict[str, Any] = {
        o["OutputKey"]: local_api_url(o["OutputValue"], options.public_endpoint)
        for o in stack.get("Outputs", [])
    }
    outputs.update(
        AwsEndpointUrl=options.public_endpoint,
        Region=options.region,
        StackStatus=stack["StackStatus"],
        Target=options.target.value,
        Deploy=report.as_json(),
    )
    options.outputs_file.parent.mkdir(parents=True, exist_ok=True)
    options.outputs_file.write_text(json.dumps(outputs, indent=2) + "\n")
    return outputs
