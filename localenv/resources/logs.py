"""AWS::Logs::LogGroup."""

from __future__ import annotations

from typing import Any

from localenv.resources.base import DeployContext, Deployed, Provisioner, integer


class LogGroup(Provisioner):
    type_name = "AWS::Logs::LogGroup"
    honored = frozenset({"LogGroupName", "RetentionInDays", "KmsKeyId", "Tags", "LogGroupClass"})
    no_local_effect = {"KmsKeyId": "stored; local log data is not encrypted with the key"}

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("logs")
        name = props.get("LogGroupName") or ctx.generated_name(logical_id, 512)
        args: dict[str, Any] = {"logGroupName": name}
        if "KmsKeyId" in props:
            args["kmsKeyId"] = props["KmsKeyId"]
        if "Tags" in props:
            args["tags"] = {t["Key"]: t["Value"] for t in props["Tags"]}
        if "LogGroupClass" in props:
            args["logGroupClass"] = props["LogGroupClass"]
        client.create_log_group(**args)
        if "RetentionInDays" in props:
            client.put_retention_policy(
                logGroupName=name, retentionInDays=integer(props["RetentionInDays"])
            )
        return Deployed(name, {"Arn": ctx.arn("logs", f"log-group:{name}:*")})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("logs").delete_log_group(logGroupName=deployed.physical_id)
