"""AWS::Lambda::Function and AWS::Lambda::Permission.

``Code`` may be what ``aws cloudformation package`` accepts before packaging:
a path to a zip file or to a directory (zipped), relative to the template, read
once per deploy (localenv/resources/code.py).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from localenv.resources.base import (
    DeployContext,
    Deployed,
    DeployError,
    Provisioner,
    integer,
    tags_list,
)
from localenv.resources.code import FunctionCode, read_code
from localenv.template_loader import Node

if TYPE_CHECKING:
    from localenv.resources.preview import Planned


def code_source(ctx: DeployContext, code: Any) -> Any:
    """How to get the code bytes again: an absolute path, or the inline ZipFile."""
    return str((ctx.template_dir / code).resolve()) if isinstance(code, str) else code


def code_location(ctx: DeployContext, code: FunctionCode) -> dict[str, str]:
    """Where the code is in the emulator's S3, uploaded once per content.

    ``aws cloudformation package`` uploads an artifact once and every function that
    names it gets the same S3Bucket/S3Key; CreateFunction then reads it from S3
    (https://docs.aws.amazon.com/cli/latest/reference/cloudformation/package.html).
    The deploy does the same, into a bucket of the harness's: the template's three
    functions share one ~6 MB zip, sent once instead of three times in the
    CreateFunction call (base64 in JSON, both ways).
    """
    digest = code.hexdigest
    if digest not in ctx.uploaded_code:
        s3 = ctx.client("s3")
        bucket = f"localenv-artifacts-{ctx.account_id}-{ctx.region}"
        with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
            if ctx.region == "us-east-1":
                s3.create_bucket(Bucket=bucket)
            else:
                s3.create_bucket(
                    Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": ctx.region}
                )
        s3.put_object(Bucket=bucket, Key=f"{digest}.zip", Body=code.data)
        ctx.uploaded_code[digest] = {"S3Bucket": bucket, "S3Key": f"{digest}.zip"}
    return ctx.uploaded_code[digest]


# Keys Lambda sets itself: CreateFunction refuses an Environment that sets any of them
# (InvalidParameterValueException). TZ, LANG, PATH, LD_LIBRARY_PATH and PYTHONPATH are
# not reserved: a function may set them (TZ since 2022).
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def reserved_keys_error(variables: Any) -> str | None:
    """Lambda's message for an Environment that sets reserved keys (None: it sets none)."""
    used = sorted(k for k in (variables or {}) if k in RESERVED_VARIABLES)
    if not used:
        return None
    return (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        f"for modification. Reserved keys used in this request: {','.join(used)}"
    )


# "The total size of all environment variables doesn't exceed 4 KB", measured as the
# compact JSON of the map: https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
# (message and measure as LocalStack's AWS-validated Lambda provider answers them).
MAX_ENVIRONMENT_BYTES = 4096


def size_error(variables: Any) -> str | None:
    measured = json.dumps(variables or {}, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode()) <= MAX_ENVIRONMENT_BYTES:
        return None
    return (
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided exceeded the 4KB limit. String measured: {measured}"
    )


def check_reserved_variables(planned: Mapping[str, Planned]) -> None:
    """Lambda's refusals of an Environment: reserved keys, more than 4 KB."""
    for function in planned.values():
        if function.type != Function.type_name or function.props is None:
            continue
        variables = (function.props.get("Environment") or {}).get("Variables")
        message = reserved_keys_error(variables)
        if message is not None:
            raise DeployError(f"{function.where}: {reserved_where(function.node)}: {message}")
        message = size_error(variables)
        if message is not None:
            raise DeployError(f"{function.where}: Environment.Variables: {message}")


def reserved_where(node: Any) -> str:
    """The first reserved key and its template line (entries are one line each)."""
    variables = ((node.get("Properties") or {}).get("Environment") or {}).get("Variables")
    if not isinstance(variables, Node):
        return "Environment.Variables"
    keys = list(variables)
    first = next(k for k in keys if k in RESERVED_VARIABLES)
    return f"Environment.Variables.{first} (line {variables.line + keys.index(first)})"


class Function(Provisioner):
    type_name = "AWS::Lambda::Function"
    required = frozenset({"Code", "Role"})
    honored = frozenset(
        {
            "FunctionName",
            "Description",
            "Runtime",
            "Handler",
            "Code",
            "Role",
            "MemorySize",
            "Timeout",
            "Environment",
            "Architectures",
            "TracingConfig",
            "ReservedConcurrentExecutions",
            "LoggingConfig",
            "Tags",
            "EphemeralStorage",
        }
    )
    # EphemeralStorage is honored: it sizes the sandbox's /tmp (localenv/runtime/sandbox.py).
    no_local_effect = {
        "TracingConfig": "stored and read back; no X-Ray traces are recorded locally",
        "Architectures": "stored; local workers run on this machine's architecture",
        "MemorySize": "stored and reported in REPORT lines; memory is not capped locally",
    }
    API = (
        "Description",
        "Runtime",
        "Handler",
        "Architectures",
        "TracingConfig",
        "LoggingConfig",
        "EphemeralStorage",
    )

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("lambda")
        name = props.get("FunctionName") or ctx.generated_name(logical_id, 64)
        args: dict[str, Any] = {key: props[key] for key in self.API if key in props}
        for key in ("MemorySize", "Timeout"):
            if key in props:
                args[key] = integer(props[key])
        if "Environment" in props:
            variables = props["Environment"].get("Variables", {})
            refused = reserved_keys_error(variables)
            if refused is not None:  # also when the checks could not resolve it up front
                raise DeployError(f"{logical_id}: Environment.Variables: {refused}")
            args["Environment"] = {"Variables": {k: str(v) for k, v in variables.items()}}
        if "Tags" in props:
            args["Tags"] = {t["Key"]: t["Value"] for t in tags_list(props["Tags"])}
        code = read_code(ctx, props["Code"], f"{logical_id}.Code")
        created = client.create_function(
            FunctionName=name,
            Role=props["Role"],
            Code=code_location(ctx, code),
            Publish=False,
            **args,
        )
        if "ReservedConcurrentExecutions" in props:
            client.put_function_concurrency(
                FunctionName=name,
                ReservedConcurrentExecutions=integer(props["ReservedConcurrentExecutions"]),
            )
        log_group = props.get("LoggingConfig", {}).get("LogGroup", f"/aws/lambda/{name}")
        # moto keeps neither LoggingConfig nor a downloadable copy of the code: the harness
        # remembers where the code came from; the runtime checks it against CodeSha256.
        return Deployed(
            name,
            {"Arn": created["FunctionArn"]},
            {"LogGroup": log_group, "Code": code_source(ctx, props["Code"])},
        )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("lambda").delete_function(FunctionName=deployed.physical_id)

    def fingerprint(self, ctx: DeployContext, props: dict[str, Any]) -> str:
        # Code is a path: the same path with new content (a rebuild) is an in-place code
        # update, as `aws cloudformation package` + deploy would make it.
        return read_code(ctx, props["Code"], "Code").hexdigest

    def update(self, ctx: DeployContext, deployed: Deployed, props: dict[str, Any]) -> None:
        ctx.client("lambda").update_function_code(
            FunctionName=deployed.physical_id,
            **code_location(ctx, read_code(ctx, props["Code"], "Code")),
        )


class Permission(Provisioner):
    type_name = "AWS::Lambda::Permission"
    required = frozenset({"FunctionName", "Action", "Principal"})
    honored = frozenset({"FunctionName", "Action", "Principal", "SourceArn", "SourceAccount"})

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        statement_id = ctx.generated_name(logical_id, 100)
        args = {k: props[k] for k in ("SourceArn", "SourceAccount") if k in props}
        ctx.client("lambda").add_permission(
            FunctionName=props["FunctionName"],
            StatementId=statement_id,
            Action=props["Action"],
            Principal=props["Principal"],
            **args,
        )
        return Deployed(statement_id, {}, {"FunctionName": props["FunctionName"]})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("lambda").remove_permission(
            FunctionName=deployed.local["FunctionName"], StatementId=deployed.physical_id
        )
