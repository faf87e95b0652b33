"""AWS::IAM::Role."""

from __future__ import annotations

from typing import Any

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
        "AssumeRolePolicyDocument": "stored; the local runtime does not assume roles",
        "Policies": "stored and read back; local calls are not authorised against them",
        "ManagedPolicyArns": "attached; local calls are not authorised against them",
        "PermissionsBoundary": "stored; not enforced locally",
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("iam")
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
