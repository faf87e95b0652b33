"""Bring the stack up in an emulator: build, deploy the template, demo user, outputs."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localenv import build, cognito_users, emulator, packaging, template_loader
from localenv.deployer import Deployer, DeployResult, StackState, teardown
from localenv.gateway import deployments
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployContext
from localenv.resources.code import FunctionCode, read_code
from localenv.runtime.functions import DeployedFunction
from localenv.template_loader import TemplateError
from localenv.workspace import RunRecord, Workspace

EXECUTE_API_URL = re.compile(r"https://([a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/.*)?")
DEFAULT_API_PORT = 4510


@dataclass
class StackOptions:
    root: Path
    stack_name: str = "dataproc"
    region: str = "us-east-1"
    api_host: str = "127.0.0.1"
    api_port: int = DEFAULT_API_PORT
    parameters: dict[str, str] = field(default_factory=dict)
    demo_username: str = cognito_users.DEMO_USERNAME
    demo_password: str = cognito_users.DEMO_PASSWORD
    state_dir: Path | None = None
    template: Path | None = None
    account_concurrency: int = 1000  # the account's Lambda concurrency limit (deploy checks)

    @property
    def public_host(self) -> str:
        """The host clients use: a server bound to every interface is reached on loopback."""
        return "127.0.0.1" if self.api_host == "0.0.0.0" else self.api_host  # noqa: S104

    @property
    def template_path(self) -> Path:
        return self.template or self.workspace.template

    @property
    def workspace(self) -> Workspace:
        return Workspace(self.root, self.state_dir)


def context(
    options: StackOptions,
    endpoint_url: str,
    progress: Callable[[str], None],
    attach: Callable[[Any], Any] | None = None,
) -> DeployContext:
    """The deploy context; ``attach``, if given, is handed each of its SDK clients."""
    return DeployContext(
        endpoint_url=endpoint_url,
        region=options.region,
        account_id=emulator.account_id(endpoint_url, options.region, attach),
        stack_name=options.stack_name,
        template_dir=options.template_path.parent,
        session=emulator.session(options.region),
        progress=progress,
        state_dir=options.workspace.directory,
        account_concurrency=options.account_concurrency,
        attach=attach,
    )


def deploy(
    options: StackOptions,
    endpoint_url: str,
    emulator_id: str,
    progress: Callable[[str], None],
    ctx: DeployContext | None = None,
) -> tuple[dict[str, Any], DeployResult]:
    """Build, deploy (or update) the stack, create the demo user, write outputs.json.
    A running stack passes its own ``ctx`` (its clients, its account id) to keep them."""
    workspace = options.workspace
    artifact = build.build(options.root)
    progress(
        f"{'reused' if artifact.cached else 'built'} {artifact.path.name} "
        f"({artifact.size // 1024} KiB)"
    )
    ctx = ctx or context(options, endpoint_url, progress)
    ctx.code_reads.clear()  # this deploy reads the code as it is now, once
    ctx.code_reads[artifact.path.resolve()] = FunctionCode(artifact.data, artifact.digest)
    state = StackState.load(workspace.state_file, options.stack_name, emulator_id)
    try:
        template = template_loader.load(options.template_path)
        # The same Deployment renaming as `localenv package` for AWS: a changed API
        # gets a new deployment, an unchanged one keeps its own.
        packaging.hash_deployments(template, options.parameters)
        result = Deployer(ctx, template, options.parameters, state).deploy()
    except TemplateError as exc:
        raise type(exc)(f"{exc}{lint_findings(options.template_path)}") from exc
    finally:
        state.save(workspace.state_file)
    outputs = local_outputs(options, endpoint_url, result.outputs)
    if "UserPoolId" in outputs:
        cognito_users.add_user(
            ctx.client("cognito-idp"),
            outputs["UserPoolId"],
            options.demo_username,
            options.demo_password,
        )
    workspace.outputs_file.write_text(json.dumps(outputs, indent=2) + "\n")
    return outputs, result


def lint_findings(path: Path) -> str:
    """cfn-lint's errors for the template, to say what is wrong in the user's terms."""
    from cfnlint.api import lint_file  # noqa: PLC0415 - heavy: only when a template is rejected

    errors = [m for m in lint_file(path) if m.rule.id.startswith("E")][:3]
    return "".join(f"; cfn-lint {m.rule.id} line {m.linenumber}: {m.message}" for m in errors)


def local_outputs(
    options: StackOptions, endpoint_url: str, outputs: dict[str, Any]
) -> dict[str, Any]:
    """The template's outputs, with execute-api URLs pointing at the local gateway."""
    endpoint_url = endpoint_url.replace("://0.0.0.0:", f"://{options.public_host}:")
    local = {}
    for key, value in outputs.items():
        match = EXECUTE_API_URL.fullmatch(str(value))
        local[key] = (
            f"http://{options.public_host}:{options.api_port}{match.group(2) or ''}"
            if match
            else value
        )
    local.update(
        AwsEndpointUrl=endpoint_url,
        Region=options.region,
        DemoUsername=options.demo_username,
        DemoPassword=options.demo_password,
    )
    if "UserPoolId" in outputs:
        local["JwksUrl"] = f"{endpoint_url}/{outputs['UserPoolId']}/.well-known/jwks.json"
    return local


def paste_lines(outputs: dict[str, Any]) -> list[str]:
    endpoint = outputs["AwsEndpointUrl"]
    aws = f"aws --endpoint-url {endpoint} --region {outputs['Region']}"
    lines = [
        "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test "
        f"AWS_DEFAULT_REGION={outputs['Region']}"
    ]
    if "UserPoolClientId" in outputs:
        params = shlex.quote(
            f"USERNAME={outputs['DemoUsername']},PASSWORD={outputs['DemoPassword']}"
        )
        lines.append(
            f"TOKEN=$({aws} cognito-idp initiate-auth --auth-flow USER_PASSWORD_AUTH "
            f"--client-id {outputs['UserPoolClientId']} --auth-parameters {params} "
            "--query AuthenticationResult.AccessToken --output text)"
        )
    if "ApiEndpoint" in outputs:
        api = outputs["ApiEndpoint"]
        lines.append(
            f"curl -sS -X POST '{api}?name=hello.txt' -H \"Authorization: Bearer $TOKEN\" "
            "-H 'Content-Type: text/plain' --data-binary $'hello\\nworld\\n'"
        )
        lines.append(f"curl -sS '{api}' -H \"Authorization: Bearer $TOKEN\"")
    if "TableName" in outputs:
        lines.append(f"{aws} dynamodb scan --table-name {outputs['TableName']}")
    return lines


def destroy(options: StackOptions, endpoint_url: str, emulator_id: str) -> list[str]:
    """Delete the stack's resources from the emulator (used with --endpoint-url)."""
    workspace = options.workspace
    state = StackState.load(workspace.state_file, options.stack_name, emulator_id)
    deleted = teardown(context(options, endpoint_url, lambda _m: None), state)
    state.save(workspace.state_file)
    return deleted


def reset_data(options: StackOptions, endpoint_url: str) -> int:
    """Empty every table of the stack; keep the stack. Returns the number of items deleted."""
    outputs = json.loads(options.workspace.outputs_file.read_text())
    dynamodb = emulator.session(options.region).client("dynamodb", endpoint_url=endpoint_url)
    table = outputs["TableName"]
    keys = [
        k["AttributeName"] for k in dynamodb.describe_table(TableName=table)["Table"]["KeySchema"]
    ]
    deleted = 0
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            dynamodb.delete_item(TableName=table, Key={k: item[k] for k in keys})
            deleted += 1
    return deleted


def stack_drift(workspace: Workspace, record: RunRecord) -> deployments.Drift | None:
    """Whether the API's definition differs from what its stage serves (None: it does not)."""
    state = StackState.load(workspace.state_file, record.stack_name, record.emulator_id)
    try:
        api_id, stage = served_api(state)
    except UnsupportedError:
        return None  # no API (or not one the local gateway serves): nothing to compare
    apigateway = emulator.session(record.region).client(
        "apigateway", endpoint_url=record.endpoint_url
    )
    store = deployments.SnapshotStore.of_stack(workspace.directory)
    return deployments.drift(apigateway, store, api_id, stage)


def served_api(state: StackState) -> tuple[str, str]:
    """The stack's REST API and stage (id, name): the local gateway serves one of each."""
    apis = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::RestApi"]
    stages = [r for r in state.resources.values() if r.type == "AWS::ApiGateway::Stage"]
    if len(apis) != 1 or len(stages) != 1:
        raise UnsupportedError("the local gateway serves one REST API with one stage per stack")
    return apis[0].physical_id, stages[0].physical_id


def deployed_functions(ctx: DeployContext, state: StackState) -> list[DeployedFunction]:
    """The stack's functions as the deploy recorded them, with the code it deployed."""
    return [
        DeployedFunction(
            name,
            saved.physical_id,
            read_code(ctx, saved.local["Code"], f"{name}.Code"),
            saved.local["LogGroup"],
        )
        for name, saved in state.resources.items()
        if saved.type == "AWS::Lambda::Function"
    ]
