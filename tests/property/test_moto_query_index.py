"""The query index gives moto's own answers: random tables, writes and queries,
each query answered with the index and by moto walking the whole table."""

from __future__ import annotations

from typing import Any

import boto3
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from localenv import moto_query_index

moto_query_index.apply()

OWNERS = st.sampled_from(["alice", "bob", "carol"])
PARTITIONS = st.sampled_from(["u1", "u2", "u3", "u4"])
SORTS = st.sampled_from(["a", "b", "c", "d", "e"])

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["put", "delete", "update", "batch"]),
        PARTITIONS,
        SORTS,
        st.one_of(st.none(), OWNERS),
        st.integers(0, 9),
    ),
    max_size=40,
)


def make_table(client: Any) -> None:
    client.create_table(
        TableName="t",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "owner", "created")
        ],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "byOwner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "created", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def item(pk: str, sk: str, owner: str | None, n: int) -> dict[str, Any]:
    attrs: dict[str, Any] = {"pk": {"S": pk}, "sk": {"S": sk}, "n": {"N": str(n)}}
    if owner is not None:
        attrs |= {"owner": {"S": owner}, "created": {"S": f"{n}-{pk}-{sk}"}}
    return attrs


def apply_operation(client: Any, op: tuple[str, str, str, str | None, int]) -> None:
    kind, pk, sk, owner, n = op
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    if kind == "put":
        client.put_item(TableName="t", Item=item(pk, sk, owner, n))
    elif kind == "batch":
        request = {"PutRequest": {"Item": item(pk, sk, owner, n)}}
        client.batch_write_item(RequestItems={"t": [request]})
    elif kind == "delete":
        client.delete_item(TableName="t", Key=key)
    elif owner is None:
        client.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="REMOVE #o",
            ExpressionAttributeNames={"#o": "owner"},
        )
    else:
        client.update_item(
            TableName="t",
            Key=key,
            UpdateExpression="SET #o = :o, created = :c",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": owner}, ":c": {"S": f"{n}-{pk}-{sk}"}},
        )


def all_pages(client: Any, **query: Any) -> list[list[dict[str, Any]]]:
    pages, start = [], None
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        page = client.query(TableName="t", Limit=2, **query, **extra)
        pages.append(page["Items"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def queries() -> list[dict[str, Any]]:
    by_partition = [
        {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": p}}}
        for p in ("u1", "u2", "u3", "u4", "none")
    ]
    by_range = [
        {
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": "u1"}, ":a": {"S": "b"}, ":b": {"S": "d"}},
            "ScanIndexForward": False,
        }
    ]
    by_owner = [
        {
            "IndexName": "byOwner",
            "KeyConditionExpression": "#o = :o",
            "ExpressionAttributeNames": {"#o": "owner"},
            "ExpressionAttributeValues": {":o": {"S": o}},
            "ScanIndexForward": forward,
        }
        for o in ("alice", "bob", "carol", "dave")
        for forward in (True, False)
    ]
    return by_partition + by_range + by_owner


# Each example is a fresh emulator, its writes and 13 paginated queries run twice: 60
# examples under every profile (the ci profile's 300 took two minutes of the suite).
@settings(deadline=None, max_examples=60)
@given(OPERATIONS)
def test_indexed_queries_answer_as_moto_walking_the_table(operations: list[Any]) -> None:
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        make_table(client)
        client.query(  # builds the owner map before the writes, so the writes maintain it
            TableName="t",
            IndexName="byOwner",
            KeyConditionExpression="#o = :o",
            ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":o": {"S": "alice"}},
        )
        for operation in operations:
            apply_operation(client, operation)
        for query in queries():
            indexed = all_pages(client, **query)
            with moto_query_index.whole_table_walks():
                walked = all_pages(client, **query)
            assert indexed == walked, query
