"""AWS::KMS::Key, AWS::SNS::Topic, AWS::SNS::TopicPolicy, AWS::SNS::Subscription,
AWS::CloudWatch::Alarm."""

from __future__ import annotations

from typing import Any

from localenv.resources.base import (
    DeployContext,
    Deployed,
    Provisioner,
    boolean,
    integer,
    pick,
    policy_json,
    tags_list,
)


class Key(Provisioner):
    type_name = "AWS::KMS::Key"
    honored = frozenset(
        {
            "Description",
            "KeyPolicy",
            "EnableKeyRotation",
            "KeyUsage",
            "KeySpec",
            "Enabled",
            "PendingWindowInDays",
            "MultiRegion",
            "Tags",
        }
    )
    no_local_effect = {
        "EnableKeyRotation": "stored and read back; nothing rotates locally",
        "PendingWindowInDays": "stored; local teardown schedules deletion after 7 days",
        "MultiRegion": "stored; there is one region locally",
    }

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        client = ctx.client("kms")
        args = pick(
            props, {"Description": "Description", "KeyUsage": "KeyUsage", "KeySpec": "KeySpec"}
        )
        if "KeyPolicy" in props:
            args["Policy"] = policy_json(props["KeyPolicy"])
        if "MultiRegion" in props:
            args["MultiRegion"] = boolean(props["MultiRegion"])
        if "Tags" in props:
            args["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
        key = client.create_key(**args)["KeyMetadata"]
        if boolean(props.get("EnableKeyRotation", False)):
            client.enable_key_rotation(KeyId=key["KeyId"])
        if not boolean(props.get("Enabled", True)):
            client.disable_key(KeyId=key["KeyId"])
        return Deployed(key["KeyId"], {"Arn": key["Arn"], "KeyId": key["KeyId"]})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("kms").schedule_key_deletion(KeyId=deployed.physical_id, PendingWindowInDays=7)


class Topic(Provisioner):
    type_name = "AWS::SNS::Topic"
    honored = frozenset({"TopicName", "DisplayName", "KmsMasterKeyId", "FifoTopic", "Tags"})
    no_local_effect = {"KmsMasterKeyId": "stored and read back; messages are not encrypted locally"}

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        attributes = pick(props, {"DisplayName": "DisplayName", "KmsMasterKeyId": "KmsMasterKeyId"})
        if "FifoTopic" in props:
            attributes["FifoTopic"] = str(boolean(props["FifoTopic"])).lower()
        name = props.get("TopicName") or ctx.generated_name(logical_id, 256)
        arn = ctx.client("sns").create_topic(
            Name=name, Attributes=attributes, Tags=tags_list(props.get("Tags"))
        )["TopicArn"]
        return Deployed(arn, {"TopicArn": arn, "TopicName": name})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("sns").delete_topic(TopicArn=deployed.physical_id)


class TopicPolicy(Provisioner):
    type_name = "AWS::SNS::TopicPolicy"
    required = frozenset({"Topics", "PolicyDocument"})
    honored = frozenset({"Topics", "PolicyDocument"})

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        for topic in props["Topics"]:
            ctx.client("sns").set_topic_attributes(
                TopicArn=topic,
                AttributeName="Policy",
                AttributeValue=policy_json(props["PolicyDocument"]),
            )
        return Deployed(f"{ctx.stack_name}-{logical_id}", {}, {"Topics": props["Topics"]})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        """The policy goes with its topic; a topic kept alone keeps it (nothing to undo locally)."""


class Subscription(Provisioner):
    type_name = "AWS::SNS::Subscription"
    required = frozenset({"TopicArn", "Protocol"})
    honored = frozenset({"TopicArn", "Protocol", "Endpoint", "RawMessageDelivery", "FilterPolicy"})

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        attributes = {}
        if "RawMessageDelivery" in props:
            attributes["RawMessageDelivery"] = str(boolean(props["RawMessageDelivery"])).lower()
        if "FilterPolicy" in props:
            attributes["FilterPolicy"] = policy_json(props["FilterPolicy"])
        arn = ctx.client("sns").subscribe(
            TopicArn=props["TopicArn"],
            Protocol=props["Protocol"],
            Endpoint=props.get("Endpoint", ""),
            Attributes=attributes,
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]
        return Deployed(arn)

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("sns").unsubscribe(SubscriptionArn=deployed.physical_id)


ALARM_KEYS = {
    "AlarmDescription": "AlarmDescription",
    "Namespace": "Namespace",
    "MetricName": "MetricName",
    "Statistic": "Statistic",
    "ExtendedStatistic": "ExtendedStatistic",
    "ComparisonOperator": "ComparisonOperator",
    "TreatMissingData": "TreatMissingData",
    "AlarmActions": "AlarmActions",
    "OKActions": "OKActions",
    "InsufficientDataActions": "InsufficientDataActions",
    "Unit": "Unit",
    "Metrics": "Metrics",
    "EvaluateLowSampleCountPercentile": "EvaluateLowSampleCountPercentile",
}


class Alarm(Provisioner):
    type_name = "AWS::CloudWatch::Alarm"
    required = frozenset({"ComparisonOperator", "EvaluationPeriods"})
    honored = frozenset(
        {
            *ALARM_KEYS,
            "AlarmName",
            "Dimensions",
            "Period",
            "EvaluationPeriods",
            "DatapointsToAlarm",
            "Threshold",
            "ActionsEnabled",
        }
    )

    def create(self, ctx: DeployContext, logical_id: str, props: dict[str, Any]) -> Deployed:
        name = props.get("AlarmName") or ctx.generated_name(logical_id, 255)
        args = pick(props, ALARM_KEYS)
        for key in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            if key in props:
                args[key] = integer(props[key])
        if "Threshold" in props:
            args["Threshold"] = float(props["Threshold"])
        if "ActionsEnabled" in props:
            args["ActionsEnabled"] = boolean(props["ActionsEnabled"])
        if "Dimensions" in props:
            args["Dimensions"] = [
                {"Name": d["Name"], "Value": str(d["Value"])} for d in props["Dimensions"]
            ]
        client = ctx.client("cloudwatch")
        client.put_metric_alarm(AlarmName=name, **args)
        # A new alarm starts in INSUFFICIENT_DATA on AWS (moto would start it in OK).
        client.set_alarm_state(
            AlarmName=name,
            StateValue="INSUFFICIENT_DATA",
            StateReason="Unchecked: Initial alarm creation",
        )
        # An alarm's ARN is arn:aws:cloudwatch:<region>:<account>:alarm:<name>
        # (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html#amazoncloudwatch-resources-for-iam-policies):
        # known without asking the emulator (a DescribeAlarms per alarm).
        return Deployed(name, {"Arn": ctx.arn("cloudwatch", f"alarm:{name}")})

    def delete(self, ctx: DeployContext, deployed: Deployed) -> None:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[deployed.physical_id])
