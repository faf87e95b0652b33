"""BatchWriteItem's duplicate check refuses what moto refused, and what DynamoDB
refuses besides (one key of one table in two requests), nothing else: random batches
written by the patched check and by moto's own, in fresh emulators."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto.dynamodb.models.utilities import dynamo_json_dump

from localenv import moto_batch_write, moto_speedups

moto_speedups.apply()

# Few distinct values, so that equal items, equal keys and equal JSON texts are common:
# 1 and 1.0 (one number, two texts), b"\0" and "AA==" (one JSON text), True and 1.
SCALARS = st.sampled_from(["a", "AA==", "", b"\0", b"\1", 1, 1.0, True, False, None, 0.5])
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["S", "N", "x", "y"]), inner, max_size=3),
    ),
    max_leaves=8,
)


@given(JSONISH, JSONISH)
def test_json_forms_are_equal_exactly_when_moto_s_json_texts_are(a: Any, b: Any) -> None:
    same_text = dynamo_json_dump(a) == dynamo_json_dump(b)
    assert (moto_batch_write.json_form(a) == moto_batch_write.json_form(b)) is same_text


@given(st.dictionaries(st.sampled_from(["S", "N", "M"]), JSONISH, max_size=3))
def test_a_value_s_json_form_follows_its_order(value: dict[str, Any]) -> None:
    reordered = dict(reversed(value.items()))
    same_text = dynamo_json_dump(value) == dynamo_json_dump(reordered)
    assert (moto_batch_write.json_form(value) == moto_batch_write.json_form(reordered)) is same_text


# hash key only; hash and (number) range key; a second hash-key-only table, so that
# equal whole items in two tables are drawn
TABLES = {"one": ["pk"], "two": ["pk", "n"], "three": ["pk"]}
PKS = st.sampled_from(["a", "b", ""])
NUMBERS = st.sampled_from(["1", "1.0", "01", "2"])
EXTRA = st.dictionaries(
    st.sampled_from(["x", "y"]),
    st.sampled_from([{"S": "v"}, {"N": "1"}, {"B": b"\0"}, {"BOOL": True}]),
    max_size=2,
)


@st.composite
def write_request(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    table = draw(st.sampled_from(["one", "two", "three", "missing"]))
    key: dict[str, Any] = {"pk": {"S": draw(PKS)} if draw(st.integers(0, 7)) else {"N": "1"}}
    if table == "two":
        key["n"] = {"N": draw(NUMBERS)}
    if draw(st.booleans()):
        return table, {
            "DeleteRequest": {"Key": dict(reversed(key.items())) if draw(st.booleans()) else key}
        }
    attributes = list({**key, **draw(EXTRA)}.items())
    order = draw(st.permutations(range(len(attributes))))
    return table, {"PutRequest": {"Item": dict(attributes[i] for i in order)}}


BATCHES = st.lists(write_request(), min_size=1, max_size=6)


# What each table holds before the batch (``outcome``).
UNTOUCHED = {name: [{"pk": {"S": "b"}, "n": {"N": "2"}}] for name in TABLES}


def outcome(requests: list[tuple[str, dict[str, Any]]]) -> Any:
    """The batch's answer (an error's code and message) and what the tables hold after."""
    with mock_aws():
        client = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        for name, keys in TABLES.items():
            client.create_table(
                TableName=name,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": k, "AttributeType": "N" if k == "n" else "S"} for k in keys
                ],
                KeySchema=[
                    {"AttributeName": k, "KeyType": "RANGE" if k == "n" else "HASH"} for k in keys
                ],
            )
            client.put_item(TableName=name, Item=UNTOUCHED[name][0])
        batch: dict[str, list[Any]] = {}
        for table, request in requests:
            batch.setdefault(table, []).append(request)
        try:
            answer: Any = client.batch_write_item(RequestItems=batch)["UnprocessedItems"]
        except ClientError as exc:
            answer = (exc.response["Error"]["Code"], exc.response["Error"]["Message"])
        contents = {name: client.scan(TableName=name)["Items"] for name in TABLES}
        return answer, contents


def one_key_twice(requests: list[tuple[str, dict[str, Any]]]) -> bool:
    """DynamoDB's rule, as its documentation states it: two requests on one item."""
    seen = []
    for table, request in requests:
        attributes = request.get("PutRequest", {}).get("Item") or request["DeleteRequest"]["Key"]
        if "S" not in attributes["pk"]:  # a key of the wrong type: refused for that
            continue
        number = Decimal(attributes["n"]["N"]) if table == "two" else None
        key = (table, attributes["pk"]["S"], number)
        if key in seen:
            return True
        seen.append(key)
    return False


def equal_only_across_tables(requests: list[tuple[str, dict[str, Any]]]) -> bool:
    """Two requests of one kind with equal JSON texts (moto's rule) exist, but none in
    one table, and no key of one table is written twice (DynamoDB's rule)."""
    texts = [
        (kind, table, dynamo_json_dump(body)) for table, r in requests for kind, body in r.items()
    ]
    across = any(a[0] == b[0] and a[2] == b[2] for i, a in enumerate(texts) for b in texts[:i])
    within = any(a == b for i, a in enumerate(texts) for b in texts[:i])
    return across and not within and not one_key_twice(requests)


# Each example writes its batch into two fresh emulators: 60 under every profile.
@settings(deadline=None, max_examples=60)
@given(BATCHES)
def test_batches_are_refused_as_moto_refuses_them_and_as_dynamodb_does(
    requests: list[tuple[str, dict[str, Any]]],
) -> None:
    ours = outcome(requests)
    with moto_batch_write.moto_s_own_check():
        theirs = outcome(requests)
    if theirs[0] == ("ValidationException", moto_batch_write.DUPLICATES) != ours[0]:
        # moto's refusal of equal requests in two tables, which DynamoDB writes
        assert equal_only_across_tables(requests)
        return
    if ours != theirs:  # only DynamoDB's refusal, before anything is written
        assert ours == (("ValidationException", moto_batch_write.DUPLICATES), UNTOUCHED)
        assert one_key_twice(requests)
        # moto wrote the batch, or refused it later (a key of the wrong type) after
        # writing the requests before that one
        assert theirs[0] == {} or theirs[0][0] == "ValidationException"
