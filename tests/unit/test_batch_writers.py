"""Chunk batches written by a few calls at once: order, bounds, failures.

Storage is moto's in-process DynamoDB behind small wrappers that watch the calls;
no call is timed: concurrency is shown by a barrier only concurrent calls can pass.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from handlers import processor
from handlers.records import STATUS_COMPLETE, STATUS_PENDING, Upload, build_upload
from handlers.storage import (
    BATCH_WRITE_MAX_ITEMS,
    BATCH_WRITERS,
    UploadWriter,
    split_batches,
)
from tests.unit.conftest import TABLE, all_items

OWNER = "7d8e9f00-1111-4222-8333-944455566677"


def upload_of(chunks: int) -> Upload:
    """An upload of exactly ``chunks`` chunks (about 64 KiB each)."""
    line = "x" * 1000
    lines = [f"{n:06d} {line}" for n in range(chunks * 64)]
    upload = build_upload(OWNER, None, "\n".join(lines).encode(), lines)
    assert len(upload.chunks) == chunks
    return upload


class Watched:
    """A real client; tracks BatchWriteItem calls in flight and every write's order."""

    def __init__(self, real: Any):
        self.real = real
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.log: list[str] = []
        self.threads: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        with self.lock:
            self.log.append(f"put {kwargs['Item']['status']['S']} in flight {self.in_flight}")
        return self.real.put_item(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> Any:
        with self.lock:
            self.threads.add(threading.current_thread().name)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self.before_write()
            return self.real.batch_write_item(**kwargs)
        finally:
            with self.lock:
                self.in_flight -= 1
                self.log.append("batch")

    def before_write(self) -> None:
        pass


class AllAtOnce(Watched):
    """Every call waits until ``parties`` calls are in flight together (or breaks)."""

    def __init__(self, real: Any, parties: int):
        super().__init__(real)
        self.barrier = threading.Barrier(parties, timeout=30)

    def before_write(self) -> None:
        self.barrier.wait()


def chunk_items(dynamodb: Any) -> list[dict[str, Any]]:
    return [i for i in all_items(dynamodb) if i["sk"]["S"].startswith("CHUNK#")]


@pytest.mark.parametrize("writers", [2, BATCH_WRITERS])
def test_batches_are_in_flight_together_and_complete_comes_after_all(
    dynamodb: Any, writers: int
) -> None:
    upload = upload_of(8)
    client = AllAtOnce(dynamodb, parties=writers)
    writer = UploadWriter(client, TABLE, writers=writers)
    assert processor.store_upload(writer, upload, "r").created
    # The barrier let no call through before ``writers`` were in flight at once.
    assert client.most_in_flight == writers
    assert client.log[0] == "put PENDING in flight 0"
    assert client.log[1:-1] == ["batch"] * writers
    assert client.log[-1] == "put COMPLETE in flight 0"
    assert len(chunk_items(dynamodb)) == 8


def test_no_more_calls_than_writers_are_in_flight(dynamodb: Any) -> None:
    upload = upload_of(60)
    client = Watched(dynamodb)
    assert processor.store_upload(UploadWriter(client, TABLE, writers=2), upload, "r").created
    assert client.most_in_flight <= 2
    assert client.log.count("batch") == 3  # 60 chunks: 3 batches of 20, at most 25 each
    stored = {i["sk"]["S"]: i["text"]["S"] for i in chunk_items(dynamodb)}
    assert stored == {chunk.sk: chunk.text for chunk in upload.chunks}


class FailsOnce(Watched):
    """The ``failing``-th BatchWriteItem call fails; the others are written."""

    def __init__(self, real: Any, failing: int):
        super().__init__(real)
        self.failing = failing
        self.calls = 0

    def before_write(self) -> None:
        with self.lock:
            self.calls += 1
            number = self.calls
        if number == self.failing:
            raise RuntimeError("execution environment died")


@pytest.mark.parametrize("failing", [1, 3])
def test_a_failed_batch_raises_after_every_call_ended_and_nothing_is_complete(
    dynamodb: Any, failing: int
) -> None:
    upload = upload_of(12)
    client = FailsOnce(dynamodb, failing)
    with pytest.raises(RuntimeError, match="died"):
        processor.store_upload(UploadWriter(client, TABLE, writers=3), upload, "r")
    assert client.in_flight == 0  # nothing still writing once the request gave up
    assert not any(entry.startswith("put COMPLETE") for entry in client.log)
    (meta,) = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    assert meta["status"]["S"] == STATUS_PENDING
    assert "gsi1pk" not in meta
    # The client's retry finishes the job.
    assert processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "r").created
    (meta,) = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    assert meta["status"]["S"] == STATUS_COMPLETE
    assert len(chunk_items(dynamodb)) == 12


def test_with_one_writer_no_batch_is_sent_after_a_failed_one() -> None:
    """One writer writes batch after batch: none is sent after one failed."""
    calls: list[int] = []

    class Refusing:
        def batch_write_item(self, RequestItems: Any) -> Any:  # noqa: N803 - boto3's name
            calls.append(len(RequestItems[TABLE]))
            raise RuntimeError("refused")

    writer = UploadWriter(Refusing(), TABLE, writers=1)  # type: ignore[arg-type]
    items = [{"pk": "p", "sk": f"s{n}"} for n in range(60)]
    with pytest.raises(RuntimeError, match="refused"):
        writer.write_items(items)
    assert calls == [20]


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 5, 17, 25, 26, 65, 99, 100, 101, 200, 1000])
@pytest.mark.parametrize("writers", [1, 2, 4, 7])
def test_batches_keep_order_stay_within_25_and_are_even(count: int, writers: int) -> None:
    items = [{"n": n} for n in range(count)]
    batches = split_batches(items, writers)
    assert [item for batch in batches for item in batch] == items
    sizes = [len(batch) for batch in batches]
    assert all(0 < size <= BATCH_WRITE_MAX_ITEMS for size in sizes)
    assert max(sizes, default=0) - min(sizes, default=0) <= 1
    # As few batches as 25 a call allows, but one per writer when there are enough items.
    assert len(batches) == max(-(-count // BATCH_WRITE_MAX_ITEMS), min(writers, count))


def test_an_upload_of_one_batch_is_written_without_threads(dynamodb: Any) -> None:
    upload = upload_of(3)
    client = Watched(dynamodb)
    names_before = {thread.name for thread in threading.enumerate()}
    processor.store_upload(UploadWriter(client, TABLE, writers=1), upload, "r")
    assert client.log.count("batch") == 1
    assert {thread.name for thread in threading.enumerate()} == names_before


def test_one_writer_writes_every_batch_on_the_callers_thread(dynamodb: Any) -> None:
    client = Watched(dynamodb)
    processor.store_upload(UploadWriter(client, TABLE, writers=1), upload_of(60), "r")
    assert client.log.count("batch") == 3
    assert client.threads == {threading.current_thread().name}
