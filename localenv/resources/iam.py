"""AWS::IAM::Role.

The local stack evaluates a function's calls against its role's policies, so a
role whose policies use something the evaluator does not evaluate (a policy
variable, an unknown condition operator or key) is refused before it exists,
never silently allowed.
"""

from __future__ import annotations

from typing import Any

from localenv.iam.identities import managed_policy
from localenv.iam.policy import PolicyError, parse
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import (
    DeployContext,
    Deployed,
    Provisioner,
    integer,
    policy_json,
    tags_list,
)


class Role(Provisioner):
    type_name = "AWS::IAM::Role"
    required = frozenset({"AssumeRolePolicyDocument"})
    honored = frozenset(
        {
            "AssumeRolePolicyDocument",
            "Policies",
            "ManagedPolicyArns",
            "RoleName",
            "Path",
            "Description",
            "MaxSessionDuration",
            "PermissionsBoundary",
            "Tags",
        }
    )
    no_local_effect = {
        "AssumeRolePolicyDocument": "stored; the emulator's sts:AssumeRole, which gives each "
        "function its role session, does not check the trust policy",
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("iam")
        check_evaluable(client, logical_id, props)
        name = props.get("RoleName") or ctx.generated_name(logical_id, 64)
        args: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": policy_json(props["AssumeRolePolicyDocument"]),
            "Path": props.get("Path", "/"),
        }
        for key in ("Description", "PermissionsBoundary"):
            if key in props:
                args[key] = props[key]
        if "MaxSessionDuration" in props:
            args["MaxSessionDuration"] = integer(props["MaxSessionDuration"])
        if "Tags" in props:
            args["Tags"] = tags_list(props["Tags"])
        role = client.create_role(**args)["Role"]
        for policy in props.get("Policies", []):
            client.put_role_policy(
                RoleName=name,
                PolicyName=policy["PolicyName"],
                PolicyDocument=policy_json(policy["PolicyDocument"]),
            )
        for arn in props.get("ManagedPolicyArns", []):
            client.attach_role_policy(RoleName=name, PolicyArn=arn)
        return Deployed(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        client = ctx.client("iam")
        name = deployed.physical_id
        for policy in client.list_role_policies(RoleName=name)["PolicyNames"]:
            client.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in client.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            client.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        client.delete_role(RoleName=name)


def check_evaluable(iam: Any, logical_id: str, props: dict[str, Any]) -> None:
    """Parse every policy the role will carry; refuse the role if one is not evaluable."""
    try:
        for policy in props.get("Policies", []):
            parse(f"{logical_id}/{policy['PolicyName']}", policy["PolicyDocument"])
        arns = [
            *props.get("ManagedPolicyArns", []),
            *filter(None, [props.get("PermissionsBoundary")]),
        ]
        for arn in arns:
            managed_policy(iam, arn)
    except PolicyError as exc:
        raise UnsupportedError(f"{logical_id} (AWS::IAM::Role): {exc}") from exc
