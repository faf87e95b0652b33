"""The resources a call acts on, as ARNs, per service (what IAM evaluates ``Resource`` against).

Services not listed here are checked by action only (resource ``*``); the edge
says so once per service. Resource types per service:
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localenv.edge.calls import AwsCall

Extract = Callable[[AwsCall, str, str], list[str]]


def table_names(params: dict[str, Any]) -> list[str]:
    """Every table a DynamoDB request names, batch and transaction requests included."""
    names = [params["TableName"]] if "TableName" in params else []
    names += list(params.get("RequestItems", {}))
    for item in params.get("TransactItems", []):
        names += [part["TableName"] for part in item.values() if "TableName" in part]
    return names


def dynamodb(call: AwsCall, region: str, account: str) -> list[str]:
    params = call.params
    base = f"arn:aws:dynamodb:{region}:{account}:table/"
    arns = [n if n.startswith("arn:") else base + n for n in table_names(params)]
    if "IndexName" in params and arns:
        return [f"{arns[0]}/index/{params['IndexName']}"]
    return arns


STREAM_ACTIONS = ("CreateLogStream", "PutLogEvents", "GetLogEvents", "DeleteLogStream")


def logs(call: AwsCall, region: str, account: str) -> list[str]:
    params = call.params
    group = params.get("logGroupName")
    if group is None:
        return []
    base = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    if "logStreamName" in params or call.operation in STREAM_ACTIONS:
        return [f"{base}:log-stream:{params.get('logStreamName', '')}"]
    return [base]


def sns(call: AwsCall, region: str, account: str) -> list[str]:
    arn = call.params.get("TopicArn") or call.params.get("TargetArn")
    if arn is None and "Name" in call.params:
        arn = f"arn:aws:sns:{region}:{account}:{call.params['Name']}"
    return [arn] if arn else []


def sqs(call: AwsCall, region: str, account: str) -> list[str]:
    url = call.params.get("QueueUrl")
    if url:
        parts = str(url).rstrip("/").split("/")
        return [f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}"]
    name = call.params.get("QueueName")
    return [f"arn:aws:sqs:{region}:{account}:{name}"] if name else []


def s3(call: AwsCall, region: str, account: str) -> list[str]:
    bucket, key = call.params.get("Bucket"), call.params.get("Key")
    if bucket is None:
        return []
    return [f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"]


def kms(call: AwsCall, region: str, account: str) -> list[str]:
    key = call.params.get("KeyId")
    if key is None:
        return []
    key = str(key)
    if key.startswith("arn:"):
        return [key]
    return [f"arn:aws:kms:{region}:{account}:{key if key.startswith('alias/') else 'key/' + key}"]


def lambda_function(call: AwsCall, region: str, account: str) -> list[str]:
    """The function a call names by name, partial ARN (``ACCOUNT:function:NAME``) or ARN."""
    name = call.params.get("FunctionName")
    if not name:
        return []
    name = str(name)
    if name.startswith("arn:"):
        return [name]
    parts = name.split(":")
    if len(parts) >= 3 and parts[1] == "function":
        account, name = parts[0], ":".join(parts[2:])
    qualifier = call.params.get("Qualifier")
    suffix = f":{qualifier}" if qualifier and ":" not in name else ""
    return [f"arn:aws:lambda:{region}:{account}:function:{name}{suffix}"]


EXTRACTORS: dict[str, Extract] = {
    "lambda": lambda_function,
    "dynamodb": dynamodb,
    "logs": logs,
    "sns": sns,
    "sqs": sqs,
    "s3": s3,
    "kms": kms,
}


def resources_of(call: AwsCall, account: str) -> tuple[str, ...] | None:
    """The call's resource ARNs (``("*",)`` when it names none); None: action-only service."""
    if call.signer is None:
        return None
    extract = EXTRACTORS.get(call.signer.service)
    if extract is None:
        return None
    return tuple(extract(call, call.signer.region, account)) or ("*",)
