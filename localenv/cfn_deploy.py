"""Deploy the template through an emulator's own CloudFormation API (LocalStack's path).

What `aws cloudformation package` + `aws cloudformation deploy --endpoint-url` do,
through the same APIs: upload the built artifact to S3, point every function's
``Code`` at it, create or update the stack, wait, and write the stack's outputs
with the emulator's own execute-api URL. The local gateway and runtime are not
involved: the emulator serves the API.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localenv import build, emulator, template_loader

EXECUTE_API_URL = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com/(.*)")


@dataclass
class CfnDeployOptions:
    root: Path
    endpoint_url: str
    public_endpoint: str
    outputs_file: Path
    stack_name: str = "dataproc"
    region: str = "us-east-1"
    parameters: dict[str, str] = field(default_factory=dict)


def packaged_template(template_path: Path, bucket: str, key: str) -> str:
    """The template as JSON with every local ``Code`` path replaced by the S3 object."""
    template = template_loader.load(template_path)
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            props["Code"] = {"S3Bucket": bucket, "S3Key": key}
    return json.dumps(template)


def local_api_url(value: str, public_endpoint: str) -> str:
    """LocalStack serves https://{api}.execute-api.../{stage}/{path} at this URL form."""
    match = EXECUTE_API_URL.fullmatch(value)
    if match is None:
        return value
    stage, _, path = match.group(2).partition("/")
    return f"{public_endpoint}/restapis/{match.group(1)}/{stage}/_user_request_/{path}"


def deploy(options: CfnDeployOptions) -> dict[str, Any]:
    artifact = build.build(options.root)
    session = emulator.session(options.region)
    s3 = session.client("s3", endpoint_url=options.endpoint_url)
    bucket = f"{options.stack_name}-artifacts"
    s3.create_bucket(Bucket=bucket)
    key = hashlib.md5(artifact.path.read_bytes(), usedforsecurity=False).hexdigest()
    s3.upload_file(str(artifact.path), bucket, key)  # package names objects by MD5 too
    body = packaged_template(options.root / "cloudformation" / "template.yaml", bucket, key)
    cfn = session.client("cloudformation", endpoint_url=options.endpoint_url)
    arguments: dict[str, Any] = {
        "StackName": options.stack_name,
        "TemplateBody": body,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        "Parameters": [
            {"ParameterKey": k, "ParameterValue": v} for k, v in options.parameters.items()
        ],
    }
    existing = {
        s["StackName"]
        for s in cfn.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    if options.stack_name in existing:
        cfn.update_stack(**arguments)
        cfn.get_waiter("stack_update_complete").wait(StackName=options.stack_name)
    else:
        cfn.create_stack(**arguments)
        cfn.get_waiter("stack_create_complete").wait(StackName=options.stack_name)
    stack = cfn.describe_stacks(StackName=options.stack_name)["Stacks"][0]
    outputs = {
        o["OutputKey"]: local_api_url(o["OutputValue"], options.public_endpoint)
        for o in stack.get("Outputs", [])
    }
    outputs.update(
        AwsEndpointUrl=options.public_endpoint,
        Region=options.region,
        StackStatus=stack["StackStatus"],
    )
    options.outputs_file.parent.mkdir(parents=True, exist_ok=True)
    options.outputs_file.write_text(json.dumps(outputs, indent=2) + "\n")
    return outputs
