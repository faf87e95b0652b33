"""The requests the handlers send to DynamoDB, checked as DynamoDB would check them.

moto accepts some requests DynamoDB refuses (an unused or undefined expression
placeholder, a 26-item batch), and some changes are invisible to any emulator
(ConsistentRead dropped, Limit dropped). So the requests a real boto3 client
sends are recorded (tests/unit/dynamodb_calls.py) and checked here.
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ExpressionAttributeNames.html
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections import Counter
from typing import Any

import pytest

from handlers import processor, reader
from handlers.records import build_upload, pack_lines
from handlers.storage import BATCH_WRITERS, UploadReader, UploadWriter
from tests.unit.conftest import TABLE
from tests.unit.dynamodb_calls import Recorder

OWNER = "alice"
EXPRESSIONS = (
    "KeyConditionExpression",
    "ConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
    "UpdateExpression",
)
PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")


def lines_of(count: int, width: int = 40) -> list[str]:
    return [f"{n:06d} " + "x" * width for n in range(count)]


def stored(client: Any, lines: list[str], request: str = "r1") -> str:
    """Store ``lines`` in chunks of about 100 bytes: many chunks from little data."""
    upload = build_upload(OWNER, "f", "\n".join(lines).encode(), lines)
    upload = dataclasses.replace(upload, chunks=tuple(pack_lines(lines, target=100)))
    when = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
    processor.store_upload(UploadWriter(client, TABLE), upload, request, clock=lambda: when)
    return upload.upload_id


@pytest.fixture
def recorder(dynamodb: Any) -> Recorder:
    return Recorder().attach(dynamodb)


def exercise(dynamodb: Any) -> None:
    """Every DynamoDB request the handlers make: a multi-batch upload, a replay, reads."""
    lines = lines_of(120)
    upload_id = stored(dynamodb, lines)
    stored(dynamodb, lines, "r2")
    store = UploadReader(dynamodb, TABLE)
    assert store.get_meta(upload_id)
    page = store.list_uploads(OWNER, 1, None)
    assert page.items
    got = reader.read_lines(store, meta_of(store, upload_id), 2, 100, reader.PageBudget(10**7))
    assert got == lines[1:101]


def test_every_placeholder_is_defined_and_every_definition_used(
    dynamodb: Any, recorder: Recorder
) -> None:
    exercise(dynamodb)
    checked = 0
    for call in recorder.calls:
        used = {
            token
            for name in EXPRESSIONS
            for token in PLACEHOLDER.findall(call.params.get(name, ""))
        }
        defined = set(call.params.get("ExpressionAttributeNames", {})) | set(
            call.params.get("ExpressionAttributeValues", {})
        )
        assert used == defined, (call.operation, used, defined)
        checked += bool(used)
    assert checked >= 4


def test_reads_of_own_writes_are_consistent(dynamodb: Any, recorder: Recorder) -> None:
    exercise(dynamodb)
    base_table_reads = recorder.of("GetItem") + [
        q for q in recorder.of("Query") if "IndexName" not in q
    ]
    assert len(base_table_reads) >= 3
    assert all(read.get("ConsistentRead") is True for read in base_table_reads)
    # A global secondary index cannot be read consistently; DynamoDB refuses the flag.
    index_reads = [q for q in recorder.of("Query") if "IndexName" in q]
    assert index_reads
    assert all("ConsistentRead" not in q for q in index_reads)


def test_every_query_is_limited(dynamodb: Any, recorder: Recorder) -> None:
    exercise(dynamodb)
    queries = recorder.of("Query")
    assert len(queries) >= 3
    assert all(isinstance(q.get("Limit"), int) and q["Limit"] >= 1 for q in queries)
    limits = Counter(q["Limit"] for q in queries if "IndexName" not in q)
    assert limits[1] >= 1  # the chunk holding the first line
    assert limits[reader.CHUNKS_PER_QUERY] >= 1


def test_batches_hold_at_most_25_items_and_each_item_is_written_once(
    dynamodb: Any, recorder: Recorder
) -> None:
    lines = lines_of(120)
    stored(dynamodb, lines)
    batches = [b["RequestItems"][TABLE] for b in recorder.of("BatchWriteItem")]
    sizes = [len(batch) for batch in batches]
    written = Counter(r["PutRequest"]["Item"]["sk"]["S"] for batch in batches for r in batch)
    assert sum(sizes) == len(written) > 25
    # As few calls as 25 items a call allows, one per writer at least, of even sizes.
    count = max(-(-len(written) // 25), min(BATCH_WRITERS, len(written)))
    size, larger = divmod(len(written), count)
    assert sorted(sizes, reverse=True) == [size + 1] * larger + [size] * (count - larger)
    assert set(written.values()) == {1}
    assert all(set(b["RequestItems"]) == {TABLE} for b in recorder.of("BatchWriteItem"))


def meta_of(store: UploadReader, upload_id: str) -> dict[str, Any]:
    meta = store.get_meta(upload_id)
    assert meta is not None
    return meta


def test_the_conditional_puts_guard_complete_items(dynamodb: Any, recorder: Recorder) -> None:
    stored(dynamodb, ["a"])  # one chunk: one put, lines inline
    stored(dynamodb, lines_of(120))  # many chunks: PENDING, chunks, COMPLETE
    puts = recorder.of("PutItem")
    assert [p["Item"]["status"]["S"] for p in puts] == ["COMPLETE", "PENDING", "COMPLETE"]
    assert [p["Item"].get("text", {}).get("S") for p in puts] == ["a", None, None]
    for put in puts:
        assert put["ConditionExpression"] == "attribute_not_exists(pk) OR #status <> :complete"
        assert put["ExpressionAttributeNames"] == {"#status": "status"}
        assert put["ExpressionAttributeValues"] == {":complete": {"S": "COMPLETE"}}
        assert put["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
        assert put["TableName"] == TABLE


def test_each_query_of_a_page_uses_every_chunk_it_returns(
    dynamodb: Any, recorder: Recorder
) -> None:
    lines = lines_of(120)
    upload_id = stored(dynamodb, lines)
    store = UploadReader(dynamodb, TABLE)
    chunks = len(list(pack_lines(lines, target=100)))
    recorder.calls.clear()
    meta = meta_of(store, upload_id)
    recorder.calls.clear()
    assert reader.read_lines(store, meta, 1, 120, reader.PageBudget(10**7)) == lines
    # One query for the chunk holding the first line, then one per CHUNKS_PER_QUERY of
    # the others: every chunk a query returns that continues the page is used.
    expected = 1 + -(-(chunks - 1) // reader.CHUNKS_PER_QUERY)
    assert chunks > 2 * reader.CHUNKS_PER_QUERY
    assert len(recorder.of("Query")) == expected
