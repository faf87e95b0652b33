"""AWS::DynamoDB::Table."""

from __future__ import annotations

from typing import Any

from localenv.resources.base import (
    DeployContext,
    Deployed,
    Provisioner,
    boolean,
    pick,
    tags_list,
)


class Table(Provisioner):
    type_name = "AWS::DynamoDB::Table"
    required = frozenset({"KeySchema", "AttributeDefinitions"})
    honored = frozenset(
        {
            "TableName",
            "BillingMode",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "LocalSecondaryIndexes",
            "ProvisionedThroughput",
            "StreamSpecification",
            "TimeToLiveSpecification",
            "Tags",
            "TableClass",
            "SSESpecification",
            "PointInTimeRecoverySpecification",
            "DeletionProtectionEnabled",
        }
    )
    no_local_effect = {
        "SSESpecification": "stored and read back; the emulator does not encrypt at rest",
        "PointInTimeRecoverySpecification": "stored and read back; no backups are kept locally",
        "TableClass": "stored; storage classes do not exist locally",
    }
    API = {
        "BillingMode": "BillingMode",
        "AttributeDefinitions": "AttributeDefinitions",
        "KeySchema": "KeySchema",
        "GlobalSecondaryIndexes": "GlobalSecondaryIndexes",
        "LocalSecondaryIndexes": "LocalSecondaryIndexes",
        "ProvisionedThroughput": "ProvisionedThroughput",
        "StreamSpecification": "StreamSpecification",
        "TableClass": "TableClass",
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("dynamodb")
        name = props.get("TableName") or ctx.generated_name(logical_id, 255)
        args = pick(props, self.API)
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            args["SSESpecification"] = {
                "Enabled": boolean(sse.get("SSEEnabled", False)),
                **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
            }
        if "DeletionProtectionEnabled" in props:
            args["DeletionProtectionEnabled"] = boolean(props["DeletionProtectionEnabled"])
        if "Tags" in props:
            args["Tags"] = tags_list(props["Tags"])
        table = client.create_table(TableName=name, **args)["TableDescription"]
        self.configure(client, name, props)
        attributes = {"Arn": table["TableArn"]}
        if "LatestStreamArn" in table:
            attributes["StreamArn"] = table["LatestStreamArn"]
        return Deployed(name, attributes)

    @staticmethod
    def configure(client: Any, name: str, props: dict[str, Any]) -> None:
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr is not None:
            enabled = boolean(pitr.get("PointInTimeRecoveryEnabled", False))
            client.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
            )
        ttl = props.get("TimeToLiveSpecification")
        if ttl is not None:
            client.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={
                    "Enabled": boolean(ttl.get("Enabled", False)),
                    "AttributeName": ttl["AttributeName"],
                },
            )

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        client = ctx.client("dynamodb")
        client.update_table(TableName=deployed.physical_id, DeletionProtectionEnabled=False)
        client.delete_table(TableName=deployed.physical_id)
