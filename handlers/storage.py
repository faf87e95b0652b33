"""All DynamoDB I/O of the pipeline. The client is passed in; nothing here creates one.

Known ``ClientError`` codes become project errors (``raise ... from exc``);
anything else is re-raised unchanged.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from handlers.records import (
    CHUNK_SK_PREFIX,
    META_SK,
    STATUS_COMPLETE,
    Item,
    chunk_sk,
    owner_pk,
    upload_pk,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

# BatchWriteItem takes at most 25 put requests per call (and 16 MB).
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
BATCH_WRITE_MAX_ITEMS = 25
# An upload's chunk batches are written by up to this many calls at once: a call
# mostly waits on the network (on AWS) or on the emulator's process (locally), so
# the next batch is sent meanwhile. boto3's clients are thread-safe, and 4 stays
# under botocore's default pool of 10 connections, so no call waits for one.
# https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients
# https://botocore.amazonaws.com/v1/documentation/api/latest/reference/config.html
BATCH_WRITERS = 4
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# The writer's client makes one attempt per call (aws_clients), so this loop is the
# only one: it retries throttling and DynamoDB's transient server errors.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
RETRYABLE_CODES = THROTTLING_CODES | {"InternalServerError", "ServiceUnavailable"}
OWNER_INDEX = "byOwner"

AttributeMap = dict[str, "AttributeValueTypeDef"]


class StorageThrottledError(Exception):
    """DynamoDB kept refusing writes until the next pause would cross the deadline."""


@dataclass(frozen=True)
class Deadline:
    """The one point in time every retry loop of a request gives up at (monotonic seconds)."""

    at: float
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def within(cls, seconds: float, monotonic: Callable[[], float] = time.monotonic) -> Deadline:
        return cls(monotonic() + seconds, monotonic)

    def remaining(self) -> float:
        return self.at - self.monotonic()


class AlreadyCompleteError(Exception):
    """The upload is already stored and complete; carries the stored metadata."""

    def __init__(self, stored: Item):
        super().__init__("upload already complete")
        self.stored = stored


def to_attributes(item: Mapping[str, str | int]) -> AttributeMap:
    return {k: {"S": v} if isinstance(v, str) else {"N": str(v)} for k, v in item.items()}


def from_attributes(attrs: Mapping[str, Any]) -> Item:
    item: Item = {}
    for key, value in attrs.items():
        if "S" in value:
            item[key] = value["S"]
        elif "N" in value:
            item[key] = int(value["N"])
    return item


@dataclass
class Backoff:
    """Exponential backoff with full jitter, bounded by a deadline.

    A pause that would end past the deadline is not taken: the caller gives up
    (the processor answers 503 + Retry-After) while there is still time to answer.
    """

    deadline: Deadline = field(default_factory=lambda: Deadline.within(20.0))
    base_seconds: float = 0.05
    cap_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def pause(self, attempt: int, why: str) -> None:
        ceiling = min(self.cap_seconds, self.base_seconds * (2**attempt))
        delay = self.rng.uniform(0, ceiling)
        if delay >= self.deadline.remaining():
            raise StorageThrottledError(f"{why}; the next retry would pass the deadline")
        self.sleep(delay)


@dataclass
class UploadWriter:
    """The processor's storage: PutItem and BatchWriteItem only, never a read."""

    client: DynamoDBClient
    table: str
    backoff: Backoff = field(default_factory=Backoff)
    writers: int = BATCH_WRITERS

    def put_meta(self, meta: Item) -> None:
        """Write the metadata item unless a COMPLETE one is there (then raise with it)."""
        # A conditional put tells a replay apart without any read permission: the
        # condition fails only when a COMPLETE item is already there, and
        # ReturnValuesOnConditionCheckFailure hands back what it holds.
        try:
            self.with_throttle_retries(
                lambda: self.client.put_item(
                    TableName=self.table,
                    Item=to_attributes(meta),
                    ConditionExpression="attribute_not_exists(pk) OR #status <> :complete",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={":complete": {"S": STATUS_COMPLETE}},
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old: Any = exc.response.get("Item") or {}
            raise AlreadyCompleteError(from_attributes(old)) from exc

    def write_items(self, items: Sequence[Item]) -> None:
        """Write every item, in batches of up to ``writers`` calls at once.

        Returns once every batch is written; else raises the first batch's error in
        order, after every call already sent has ended and none more was started,
        so no write of this upload outlives the request.
        """
        batches = split_batches(items, self.writers)
        writers = min(self.writers, len(batches))
        if writers <= 1:
            for batch in batches:
                self.write_batch(batch)
            return
        with ThreadPoolExecutor(writers) as pool:
            wait_all([pool.submit(self.write_batch, batch) for batch in batches])

    def write_batch(self, items: Sequence[Item]) -> None:
        pending: Any = [{"PutRequest": {"Item": to_attributes(item)}} for item in items]
        attempt = 0
        while True:
            request = {self.table: pending}
            response = self.with_throttle_retries(
                lambda: self.client.batch_write_item(RequestItems=request)  # noqa: B023
            )
            pending = response.get("UnprocessedItems", {}).get(self.table, [])
            if not pending:
                return
            self.backoff.pause(attempt, f"{len(pending)} items unprocessed")
            attempt += 1

    def with_throttle_retries(self, call: Callable[[], Any]) -> Any:
        attempt = 0
        while True:
            try:
                return call()
            except ClientError as exc:
                code = exc.response["Error"]["Code"]
                if code not in RETRYABLE_CODES:
                    raise
                self.backoff.pause(attempt, code)
            attempt += 1


def split_batches(items: Sequence[Item], writers: int) -> list[Sequence[Item]]:
    """Consecutive batches of at most 25 items, at least ``writers`` of them when there
    are that many items, of sizes that differ by one at most."""
    count = max(-(-len(items) // BATCH_WRITE_MAX_ITEMS), min(writers, len(items)))
    if count == 0:
        return []
    size, larger = divmod(len(items), count)
    bounds = [n * size + min(n, larger) for n in range(count + 1)]
    return [items[start:stop] for start, stop in pairwise(bounds)]


def wait_all(futures: Sequence[Future[None]]) -> None:
    """Wait for each batch in order; at the first error, cancel the batches not started."""
    try:
        for future in futures:
            future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        raise


@dataclass(frozen=True)
class Page:
    items: list[Item]
    last_key: dict[str, str] | None


@dataclass
class UploadReader:
    """The reader's storage: GetItem and Query only, never a write."""

    client: DynamoDBClient
    table: str

    def get_meta(self, upload_id: str) -> Item | None:
        response = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": upload_pk(upload_id)}, "sk": {"S": META_SK}},
            ConsistentRead=True,
        )
        attrs = response.get("Item")
        return from_attributes(attrs) if attrs else None

    def list_uploads(self, owner: str, limit: int, start: dict[str, str] | None) -> Page:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": "gsi1pk = :owner",
            "ExpressionAttributeValues": {":owner": {"S": owner_pk(owner)}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = to_attributes(start)
        return self.page(self.client.query(**kwargs))

    def chunk_at(self, upload_id: str, line: int) -> Item | None:
        """The chunk holding line number ``line``: the last one starting at or before it."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={
                ":pk": {"S": upload_pk(upload_id)},
                ":from": {"S": chunk_sk(0)},
                ":to": {"S": chunk_sk(line)},
            },
            ScanIndexForward=False,
            ConsistentRead=True,
            Limit=1,
        )
        items = response.get("Items", [])
        return from_attributes(items[0]) if items else None

    def chunks_from(self, upload_id: str, first: int, limit: int) -> list[Item]:
        """Up to ``limit`` chunks, in order, the first of them starting at line ``first``."""
        response = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :from AND :to",
            ExpressionAttributeValues={
                ":pk": {"S": upload_pk(upload_id)},
                ":from": {"S": chunk_sk(first)},
                ":to": {"S": CHUNK_SK_PREFIX + "~"},
            },
            ConsistentRead=True,
            Limit=limit,
        )
        return [from_attributes(attrs) for attrs in response.get("Items", [])]

    @staticmethod
    def page(response: Any) -> Page:
        items = [from_attributes(attrs) for attrs in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        last_key = {k: v["S"] for k, v in last.items()} if last else None
        return Page(items, last_key)
