"""DynamoDB's request limits the emulator does not enforce, answered as DynamoDB does.

moto 5.2 writes a ``BatchWriteItem`` of any size; DynamoDB takes 1 to 25 put or
delete requests in one call (its 16 MB cap on the call cannot be reached by 25 items
of at most 400 KB, which moto refuses as DynamoDB does):
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
(the messages are DynamoDB's own, as DynamoDB Local, AWS's emulator, answers them).
What moto already refuses as DynamoDB does (an item over 400 KB, a consistent read on
a global secondary index, more than 100 keys in a BatchGetItem, duplicate keys in a
batch: moto compares whole items, and the harness's patch of it adds DynamoDB's rule,
one key of one table, ``localenv.moto_batch_write``) is left to it.
"""

from __future__ import annotations

import json
import uuid

from localenv.edge.calls import AwsCall
from localenv.edge.dynamodb_faults import PREFIX, crc32_headers
from localenv.edge.errors import EdgeResponse

MAX_BATCH_WRITE_REQUESTS = 25


def validation_error(message: str) -> EdgeResponse:
    body = json.dumps({"__type": PREFIX + "ValidationException", "message": message}).encode()
    return EdgeResponse(400, crc32_headers(body, str(uuid.uuid4())), body)


def batch_write_refusal(call: AwsCall) -> str | None:
    tables = call.params.get("RequestItems") or {}
    requests = sum(len(items) for items in tables.values())
    if requests == 0:
        return "BatchWriteItem cannot have a null or no requests set"
    if requests > MAX_BATCH_WRITE_REQUESTS:
        return "Too many items requested for the BatchWriteItem call"
    return None


def dynamodb_limits(call: AwsCall) -> EdgeResponse | None:
    """An edge interceptor: DynamoDB's ValidationException, or None to go on."""
    if call.signer is None or call.signer.service != "dynamodb":
        return None
    if call.operation != "BatchWriteItem":
        return None
    refused = batch_write_refusal(call)
    return validation_error(refused) if refused else None
