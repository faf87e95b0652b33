"""The ``localenv`` command line: the whole pipeline on this machine."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from localenv import (
    api_client,
    build,
    cfn_deploy,
    cli_faults,
    cli_iam,
    cli_invoke,
    cli_observe,
    cli_up,
    cognito_users,
    emulator,
    packaging,
    stack,
)
from localenv.console import CliError, say, workspace_of
from localenv.errors import LocalenvError, aws_call_errors
from localenv.workspace import read_outputs, running

# Each module adds its commands (`add_commands(commands)`); a new command module is
# one more entry here.
COMMAND_MODULES: tuple[Any, ...] = (cli_up, cli_observe, cli_iam, cli_invoke, cli_faults)


def cmd_outputs(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    if args.json:
        say(json.dumps(outputs, indent=2))
    else:
        for key in sorted(outputs):
            say(f"{key:<18} {outputs[key]}")
    return 0


def cognito_client(outputs: dict[str, Any]) -> Any:
    return emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )


def cmd_token(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    username = args.user or outputs["DemoUsername"]
    password = args.password or outputs["DemoPassword"]
    say(
        cognito_users.access_token(
            cognito_client(outputs), outputs["UserPoolClientId"], username, password
        )
    )
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    cognito_users.add_user(
        cognito_client(outputs), outputs["UserPoolId"], args.username, args.password
    )
    say(f"user {args.username} ready")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    workspace = workspace_of(args)
    record = running(workspace)
    if record is None:
        raise CliError("localenv is not running")
    deleted = stack.reset_data(cli_up.options_from(args), record.endpoint_url)
    say(f"emptied {read_outputs(workspace)['TableName']}: {deleted} items deleted")
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    try:
        body = Path(args.file).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from exc
    response = api_client.upload(outputs, body, args.name)
    say(f"{response.status_code} {response.text}")
    return 0 if response.ok else 1


def cmd_get(args: argparse.Namespace) -> int:
    outputs = read_outputs(workspace_of(args))
    response = api_client.get(outputs, args.upload_id or "", args.cursor, args.limit)
    say(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0 if response.ok else 1


def cmd_cfn_deploy(args: argparse.Namespace) -> int:
    options = cfn_deploy.CfnDeployOptions(
        root=Path(args.root).resolve(),
        endpoint_url=args.endpoint_url,
        public_endpoint=args.public_endpoint or args.endpoint_url,
        outputs_file=Path(args.outputs),
        stack_name=args.stack_name,
        parameters=dict(p.split("=", 1) for p in args.parameter or []),
        target=cfn_deploy.Target(args.target),
    )
    outputs = cfn_deploy.deploy(options, say)
    say(json.dumps(outputs, indent=2))
    # Anything short of "every resource deployed as on AWS" is a failed deploy.
    return 0 if outputs["Deploy"]["Complete"] else 1


def cmd_build(args: argparse.Namespace) -> int:
    result = build.build(Path(args.root).resolve())
    state = "cached" if result.cached else "built"
    say(f"{state} {result.path} ({result.size} bytes, sha256 {result.sha256})")
    return 0


def cmd_package(args: argparse.Namespace) -> int:
    parameters = dict(p.split("=", 1) for p in args.parameter_overrides or [])
    renames = packaging.package(Path(args.template), Path(args.output), parameters)
    for old, new in renames.items():
        say(f"{old} -> {new}")
    say(f"wrote {args.output}")
    return 0


def add_package_command(commands: Any) -> None:
    package = commands.add_parser(
        "package", help="name each API Deployment after a hash of the API (before deploy)"
    )
    package.add_argument("template", help="template to read (e.g. build/packaged.yaml)")
    package.add_argument("--output", required=True, help="template to write")
    package.add_argument(
        "--parameter-overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="the parameters `aws cloudformation deploy` gets (the hash covers the API's)",
    )
    package.set_defaults(run=cmd_package)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="localenv", description=__doc__)
    top.add_argument("--root", default=".", help="project root (default: current directory)")
    top.add_argument(
        "--state-dir", help="where this stack keeps its files (default ROOT/.localenv)"
    )
    commands = top.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.add_commands(commands)
    reset = commands.add_parser("reset", help="empty the data, keep the stack")
    cli_up.add_stack_options(reset)
    reset.set_defaults(run=cmd_reset)
    outputs = commands.add_parser("outputs", help="the stack outputs")
    outputs.add_argument("--json", action="store_true")
    outputs.set_defaults(run=cmd_outputs)
    token = commands.add_parser("token", help="an access token through Cognito InitiateAuth")
    token.add_argument("--user")
    token.add_argument("--password")
    token.set_defaults(run=cmd_token)
    users = commands.add_parser("users", help="manage users").add_subparsers(required=True)
    add = users.add_parser("add", help="create a confirmed user")
    add.add_argument("username")
    add.add_argument("password")
    add.set_defaults(run=cmd_users_add)
    commands.add_parser("build", help="build the Lambda artifact").set_defaults(run=cmd_build)
    upload = commands.add_parser("upload", help="upload a file through the local API (demo user)")
    upload.add_argument("file")
    upload.add_argument("--name")
    upload.set_defaults(run=cmd_upload)
    get = commands.add_parser("get", help="read an upload (or list them) through the local API")
    get.add_argument("upload_id", nargs="?")
    get.add_argument("--cursor")
    get.add_argument("--limit", type=int)
    get.set_defaults(run=cmd_get)
    add_package_command(commands)
    add_cfn_deploy_command(commands)
    return top


def add_cfn_deploy_command(commands: Any) -> None:
    cfn = commands.add_parser(
        "cfn-deploy", help="deploy through an emulator's own CloudFormation API (LocalStack)"
    )
    cfn.add_argument("--endpoint-url", required=True)
    cfn.add_argument("--public-endpoint", help="the endpoint as clients reach it")
    cfn.add_argument("--outputs", default=".localenv/cfn-outputs.json")
    cfn.add_argument("--stack-name", default="dataproc")
    cfn.add_argument("--parameter", action="append", metavar="KEY=VALUE")
    cfn.add_argument(
        "--target",
        choices=[t.value for t in cfn_deploy.Target],
        default=cfn_deploy.Target.AS_IS.value,
        help="localstack-community: an unauthenticated, local-only variant (no authorizer)",
    )
    cfn.set_defaults(run=cmd_cfn_deploy)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(arguments)
    args.original_argv = [a for a in arguments if a != "--detach"]
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        with aws_call_errors():
            return run(args)
    except KeyboardInterrupt:
        return 130
    except LocalenvError as exc:
        print(f"localenv: {exc}", file=sys.stderr)
        return 1
