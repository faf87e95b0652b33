"""POST /dataproc through the handler, with storage on moto's in-process DynamoDB."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import io
import json
import logging
import random
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from handlers import processor
from handlers.problems import Rejection, RejectionKind
from handlers.proxy_event import MissingCallerError
from handlers.records import (
    STATUS_COMPLETE,
    STATUS_PENDING,
    build_upload,
    chunk_item,
    meta_item,
    one_write_item,
    write_units,
)
from handlers.storage import (
    Backoff,
    Deadline,
    StorageThrottledError,
    UploadWriter,
    from_attributes,
)
from tests.sample_events import load
from tests.unit.conftest import TABLE, FakeClock, LambdaContext, all_items
from tests.unit.dynamodb_calls import Recorder, throttle

OWNER = "7d8e9f00-1111-4222-8333-944455566677"


def post(
    body: bytes,
    *,
    content_type: str | None = "text/plain",
    raw: bool = False,
    name: str | None = "notes.txt",
    owner: str = OWNER,
) -> dict[str, Any]:
    event = load("post_upload")
    event["headers"].pop("Content-Type")
    if content_type is not None:
        event["headers"]["content-TYPE"] = content_type
    event["queryStringParameters"] = {"name": name} if name is not None else None
    event["requestContext"]["authorizer"]["sub"] = owner
    event["requestContext"]["authorizer"]["principalId"] = owner
    if raw:
        event["body"], event["isBase64Encoded"] = body.decode("utf-8", "surrogateescape"), False
    else:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return event


def invoke(event: dict[str, Any], context: LambdaContext) -> tuple[int, dict[str, str], Any]:
    # Every invocation has its own Lambda request id.
    context = dataclasses.replace(context, aws_request_id=str(uuid.uuid4()))
    response = processor.handler(event, context)
    return response["statusCode"], response["headers"], json.loads(response["body"])


def test_upload_is_stored_with_201_location_and_summary(
    dynamodb: Any, context: LambdaContext
) -> None:
    body = b"first line\r\n\n  second  \n"
    status, headers, payload = invoke(post(body), context)
    assert status == 201
    upload_id = payload["uploadId"]
    assert headers["Location"] == f"/prod/dataproc/{upload_id}"
    assert payload == {
        "uploadId": upload_id,
        "name": "notes.txt",
        "lines": 2,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "status": "COMPLETE",
    }
    # One chunk's worth: one item, the COMPLETE metadata with the lines inline.
    (meta,) = all_items(dynamodb)
    assert meta["sk"]["S"] == "META"
    assert meta["status"]["S"] == STATUS_COMPLETE
    assert meta["gsi1pk"]["S"] == f"OWNER#{OWNER}"
    assert (meta["first"]["N"], meta["count"]["N"]) == ("1", "2")
    assert meta["text"]["S"] == "first line\nsecond"


def test_upload_id_depends_on_owner_and_content(dynamodb: Any, context: LambdaContext) -> None:
    first = invoke(post(b"same"), context)[2]["uploadId"]
    other_owner = invoke(post(b"same", owner="someone-else"), context)[2]["uploadId"]
    other_content = invoke(post(b"same!"), context)[2]["uploadId"]
    assert len({first, other_owner, other_content}) == 3


class RecordingClient:
    """Delegates to a real client and records the write calls made through it."""

    def __init__(self, real: Any):
        self.real = real
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.writes.append("PutItem")
        return self.real.put_item(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> Any:
        self.writes.append("BatchWriteItem")
        return self.real.batch_write_item(**kwargs)


def test_replay_answers_200_with_the_first_body_and_writes_nothing(
    dynamodb: Any, context: LambdaContext
) -> None:
    body = b"one\ntwo\n"
    status, _, first = invoke(post(body, name="first.txt"), context)
    before = all_items(dynamodb)
    recording = RecordingClient(dynamodb)
    writer = UploadWriter(recording, TABLE)
    upload = build_upload(OWNER, "second.txt", body, ["one", "two"])
    stored = processor.store_upload(writer, upload, "req-1")
    assert status == 201
    assert stored.created is False
    assert stored.body == first  # the first upload's name, not the replay's
    assert recording.writes == ["PutItem"]  # one conditional put, refused
    assert all_items(dynamodb) == before


def test_replay_through_the_handler_is_200(dynamodb: Any, context: LambdaContext) -> None:
    invoke(post(b"x\ny"), context)
    status, headers, payload = invoke(post(b"x\ny"), context)
    assert status == 200
    assert "Location" not in headers
    assert payload["status"] == "COMPLETE"


def test_raw_and_base64_bodies_store_the_same(dynamodb: Any, context: LambdaContext) -> None:
    body = "héllo\nwörld\n".encode()
    raw = invoke(post(body, raw=True), context)
    replay = invoke(post(body), context)
    assert raw[0] == 201
    assert replay[0] == 200
    assert raw[2] == replay[2]


REJECTIONS = [
    (b"", "text/plain", 400, "empty-body"),
    (b"x" * 65, "text/plain", 413, "too-large"),
    (b"ok\n" + b"y" * 33, "text/plain", 413, "line-too-long"),
    (b"hello", None, 415, "unsupported-media-type"),
    (b"hello", "application/json", 415, "unsupported-media-type"),
    (b"hello", "text/plain; charset=latin-1", 415, "unsupported-media-type"),
    (b"\xff\xfeh\x00i\x00", "text/plain", 415, "unsupported-media-type"),
    (b"ok\n\xc3\x28", "text/plain", 422, "invalid-text"),
    (b"nul\x00here", "text/plain", 422, "invalid-text"),
    (b" \n\t\r\n", "text/plain", 422, "no-content"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "slug"), REJECTIONS)
def test_each_rejection_is_problem_json_and_writes_nothing(
    dynamodb: Any,
    context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    body: bytes,
    content_type: str | None,
    status: int,
    slug: str,
) -> None:
    monkeypatch.setenv("MAX_UPLOAD_BYTES", "64")
    monkeypatch.setenv("MAX_LINE_BYTES", "32")
    got_status, headers, problem = invoke(post(body, content_type=content_type), context)
    assert got_status == status
    assert headers["Content-Type"] == "application/problem+json"
    assert problem["type"] == f"urn:dataproc:problem:{slug}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["requestId"] == "6f1e2d3c-4b5a-4968-8776-655443322110"
    assert all_items(dynamodb) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "TEXT/PLAIN; CHARSET=UTF-8",
        'text/plain; charset="utf-8"',
        "text/plain;format=flowed",
    ],
)
def test_accepted_content_types(dynamodb: Any, context: LambdaContext, content_type: str) -> None:
    assert invoke(post(b"a", content_type=content_type), context)[0] == 201


@pytest.mark.parametrize("name", ["", "x" * 257, "bad\nname"])
def test_bad_name_is_400(dynamodb: Any, context: LambdaContext, name: str) -> None:
    assert invoke(post(b"a", name=name), context)[0] == 400
    assert all_items(dynamodb) == []


def test_upload_without_name_stores_null_name(dynamodb: Any, context: LambdaContext) -> None:
    assert invoke(post(b"a", name=None), context)[2]["name"] is None


def test_garbled_base64_is_400(dynamodb: Any, context: LambdaContext) -> None:
    event = post(b"a")
    event["body"] = "not*base64"
    assert invoke(event, context)[0] == 400


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_event_without_authorizer_identity_is_an_error(
    dynamodb: Any, context: LambdaContext
) -> None:
    event = post(b"a")
    event["requestContext"]["authorizer"] = None
    with pytest.raises(MissingCallerError):
        processor.handler(event, context)


class ThrottlingBatches:
    """Real client whose BatchWriteItem leaves every other item unprocessed for N rounds."""

    def __init__(self, real: Any, rounds: int):
        self.real = real
        self.rounds = rounds

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: Any) -> Any:  # noqa: N803 - boto3's name
        if self.rounds <= 0:
            return self.real.batch_write_item(RequestItems=RequestItems)
        self.rounds -= 1
        ((table, requests),) = RequestItems.items()
        self.real.batch_write_item(RequestItems={table: requests[::2]})
        rest = requests[1::2]
        return {"UnprocessedItems": {table: rest} if rest else {}}


def many_lines_upload(count: int = 30_000) -> Any:
    lines = [f"line number {n:08d} with some padding" for n in range(count)]
    body = "\n".join(lines).encode()
    return build_upload(OWNER, None, body, lines)


def deadline_backoff(seconds: float) -> Backoff:
    """A backoff on a fake clock that only its sleeps move, ``seconds`` from its deadline."""
    clock = FakeClock()
    return Backoff(Deadline.within(seconds, clock), sleep=clock.sleep, rng=random.Random(3))


def test_unprocessed_items_are_retried_with_growing_jittered_backoff(dynamodb: Any) -> None:
    sleeps: list[float] = []
    backoff = Backoff(sleep=sleeps.append, rng=random.Random(7), base_seconds=0.1, cap_seconds=10)
    # One writer: the rounds below are those of one batch after another.
    writer = UploadWriter(ThrottlingBatches(dynamodb, rounds=3), TABLE, backoff, writers=1)
    upload = many_lines_upload()
    stored = processor.store_upload(writer, upload, "req-1")
    assert stored.created
    assert len(sleeps) == 3
    assert all(0 <= s <= 0.1 * 2**n for n, s in enumerate(sleeps))
    chunks = [i for i in all_items(dynamodb) if i["sk"]["S"].startswith("CHUNK#")]
    assert len(chunks) == len(upload.chunks)


class NothingProcessed:
    """Real client whose BatchWriteItem never processes anything."""

    def __init__(self, real: Any):
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: Any) -> Any:  # noqa: N803 - boto3's name
        return {"UnprocessedItems": RequestItems}


def test_throttling_past_the_bound_is_503_and_nothing_visible(dynamodb: Any) -> None:
    writer = UploadWriter(NothingProcessed(dynamodb), TABLE, deadline_backoff(seconds=1.0))
    with pytest.raises(Rejection) as caught:
        processor.store_upload(writer, many_lines_upload(3000), "req-1")
    assert caught.value.kind is RejectionKind.STORAGE_THROTTLED
    assert caught.value.retry_after is not None
    assert caught.value.detail == (
        "Storage is throttling writes; retry later. Nothing was made visible."
    )
    (meta,) = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    assert meta["status"]["S"] == STATUS_PENDING
    assert "gsi1pk" not in meta


class ThrottledPuts:
    def __init__(self, real: Any):
        self.real = real
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.calls += 1
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}
        raise ClientError(error, "PutItem")  # type: ignore[arg-type]


def test_throttled_puts_are_retried_then_503_with_retry_after(
    dynamodb: Any, context: LambdaContext
) -> None:
    client = ThrottledPuts(dynamodb)
    writer = UploadWriter(client, TABLE, deadline_backoff(seconds=0.2))
    with pytest.raises(Rejection) as caught:
        processor.store_upload(writer, many_lines_upload(10), "req-1")
    assert client.calls >= 3
    response = processor.problem_response(caught.value, "rid")
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == str(processor.RETRY_AFTER_SECONDS)


class CrashAfterFirstBatch:
    def __init__(self, real: Any):
        self.real = real
        self.batches = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, **kwargs: Any) -> Any:
        self.batches += 1
        if self.batches > 1:
            raise RuntimeError("execution environment died")
        return self.real.batch_write_item(**kwargs)


def test_crash_mid_upload_leaves_nothing_visible_and_a_retry_completes(dynamodb: Any) -> None:
    upload = many_lines_upload(60_000)
    assert len(upload.chunks) > 25  # more than one BatchWriteItem call
    with pytest.raises(RuntimeError):
        processor.store_upload(UploadWriter(CrashAfterFirstBatch(dynamodb), TABLE), upload, "req-1")
    meta = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    assert meta[0]["status"]["S"] == STATUS_PENDING
    stored = processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "req-1")
    assert stored.created
    chunks = [i for i in all_items(dynamodb) if i["sk"]["S"].startswith("CHUNK#")]
    assert len(chunks) == len(upload.chunks)


def test_write_units_stay_close_to_the_byte_floor(dynamodb: Any) -> None:
    upload = many_lines_upload(60_000)
    writer = UploadWriter(dynamodb, TABLE)
    processor.store_upload(writer, upload, "req-1")
    items = [{k: next(iter(v.values())) for k, v in i.items()} for i in all_items(dynamodb)]
    units = sum(
        write_units(
            {
                k: (int(v) if k in {"first", "count", "bytes", "lines", "chunks"} else v)
                for k, v in i.items()
            }
        )
        for i in items
    )
    floor = -(-upload.size // 1024)
    assert units <= floor * 1.03 + 2, (units, floor)


# Defect 1: one deadline for every retry loop, botocore's included.


def test_throttling_answers_503_with_one_attempt_per_call_inside_the_deadline(
    dynamodb: Any, context: LambdaContext
) -> None:
    from handlers import aws_clients

    recorder = Recorder(fault=throttle("PutItem")).attach(aws_clients.dynamodb_writer())
    # Room for a retry however slow the first call is (a loaded machine, coverage on): the
    # first pause is at most 50 ms, so a second send is due unless that call took ~1.5 s.
    context.remaining_ms = int((processor.DEADLINE_MARGIN_SECONDS + 1.5) * 1000)
    status, headers, payload = invoke(post(b"a\nb"), context)
    assert (status, payload["type"]) == (503, "urn:dataproc:problem:storage-throttled")
    assert headers["Retry-After"] == str(processor.RETRY_AFTER_SECONDS)
    # botocore sends no retry of its own: every request is attempt 1 of 1.
    assert {send["amz-sdk-request"] for send in recorder.sends} == {"attempt=1; max=1"}
    assert len(recorder.sends) >= 2  # the writer's own loop did retry


def test_the_writer_deadline_is_the_remaining_time_minus_the_margin(
    dynamodb: Any, context: LambdaContext
) -> None:
    context.remaining_ms = 20_000
    deadline = processor.writer(context).backoff.deadline
    expected = 20 - processor.DEADLINE_MARGIN_SECONDS
    assert expected - 1 < deadline.remaining() <= expected
    assert processor.DEADLINE_MARGIN_SECONDS == 8  # connect 2 s + read 5 s + 1 s to answer


def test_no_pause_crosses_the_deadline(dynamodb: Any) -> None:
    clock = FakeClock()
    backoff = Backoff(Deadline.within(3.0, clock), sleep=clock.sleep, rng=random.Random(5))
    client = ThrottledPuts(dynamodb)
    with pytest.raises(Rejection) as caught:
        processor.store_upload(UploadWriter(client, TABLE, backoff), many_lines_upload(5), "r")
    assert caught.value.kind is RejectionKind.STORAGE_THROTTLED
    assert clock.now - 1000.0 < 3.0
    assert client.calls > 3


class UpperBound(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_doubles_from_its_base_up_to_its_cap() -> None:
    clock = FakeClock()
    backoff = Backoff(Deadline.within(100.0, clock), 0.05, 2.0, clock.sleep, UpperBound())
    sleeps = []
    for attempt in range(8):
        before = clock.now
        backoff.pause(attempt, "test")
        sleeps.append(round(clock.now - before, 6))
    assert sleeps == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]


def test_a_pause_that_would_reach_the_deadline_is_refused() -> None:
    clock = FakeClock()
    backoff = Backoff(Deadline.within(0.4, clock), 0.4, 2.0, clock.sleep, UpperBound())
    with pytest.raises(StorageThrottledError, match="deadline"):
        backoff.pause(0, "throttled")
    assert clock.now == 1000.0
    Backoff(Deadline.within(0.41, clock), 0.4, 2.0, clock.sleep, UpperBound()).pause(0, "ok")
    assert clock.now == 1000.4


@pytest.mark.parametrize(
    "code",
    [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
    ],
)
def test_each_retryable_code_is_retried(dynamodb: Any, code: str) -> None:
    client = FailingPuts(dynamodb, code, failures=2)
    writer = UploadWriter(client, TABLE, deadline_backoff(seconds=10.0))
    assert processor.store_upload(writer, many_lines_upload(3), "r").created
    assert client.calls == 3  # two refused, then the one put of a one-chunk upload
    client = FailingPuts(dynamodb, code, failures=2)
    writer = UploadWriter(client, TABLE, deadline_backoff(seconds=10.0))
    assert processor.store_upload(writer, many_lines_upload(3000), "r").created
    assert client.calls == 4  # two refused, then PENDING and COMPLETE


def test_other_errors_are_not_retried(dynamodb: Any) -> None:
    client = FailingPuts(dynamodb, "ValidationException", failures=1)
    writer = UploadWriter(client, TABLE, deadline_backoff(seconds=10.0))
    with pytest.raises(ClientError):
        processor.store_upload(writer, many_lines_upload(3), "r")
    assert client.calls == 1


class FailingPuts:
    """Real client whose first ``failures`` PutItem calls fail with ``code``."""

    def __init__(self, real: Any, code: str, failures: int):
        self.real, self.code, self.failures, self.calls = real, code, failures, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls <= self.failures:
            error = {"Error": {"Code": self.code, "Message": "injected"}}
            raise ClientError(error, "PutItem")  # type: ignore[arg-type]
        return self.real.put_item(**kwargs)


# Defect 4: a COMPLETE put applied, its reply lost, retried: still this request's 201.


class CompleteReplyLost:
    """Real client that applies the COMPLETE put, then loses its reply once."""

    def __init__(self, real: Any):
        self.real, self.lost = real, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        response = self.real.put_item(**kwargs)
        if kwargs["Item"]["status"]["S"] == STATUS_COMPLETE and not self.lost:
            self.lost = True
            error = {"Error": {"Code": "InternalServerError", "Message": "reply lost"}}
            raise ClientError(error, "PutItem")  # type: ignore[arg-type]
        return response


def test_a_retried_complete_put_of_this_request_is_201_not_a_replay(dynamodb: Any) -> None:
    upload = many_lines_upload(5)
    writer = UploadWriter(CompleteReplyLost(dynamodb), TABLE, deadline_backoff(seconds=10.0))
    stored = processor.store_upload(writer, upload, "request-a")
    assert stored.created is True
    assert stored.body == upload.summary()
    again = processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "request-b")
    assert again.created is False
    (meta,) = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    assert meta["completedBy"]["S"] == "request-a"


# Defect 8: names with controls, format characters or lone surrogates are a 400.


@pytest.mark.parametrize(
    "name",
    ["a\x85b", "a\x9fb", "evil\u202etxt.exe", "zero\u200bwidth", "lone\ud800", "del\x7f", "\x00"],
)
def test_names_with_cc_cf_or_cs_characters_are_400(
    dynamodb: Any, context: LambdaContext, name: str
) -> None:
    status, _, payload = invoke(post(b"x", name=name), context)
    assert (status, payload["type"]) == (400, "urn:dataproc:problem:bad-request")
    assert all_items(dynamodb) == []


@pytest.mark.parametrize(
    "name", ["notes.txt", "résumé 2026 \u2013 東京.txt", "a" * 256, "tab-less"]
)
def test_printable_names_are_kept(dynamodb: Any, context: LambdaContext, name: str) -> None:
    status, _, payload = invoke(post(b"x", name=name), context)
    assert (status, payload["name"]) == (201, name)


def test_a_name_over_256_characters_is_400(dynamodb: Any, context: LambdaContext) -> None:
    assert invoke(post(b"x", name="a" * 257), context)[0] == 400
    assert invoke(post(b"x", name=""), context)[0] == 400


def test_a_pause_exactly_as_long_as_the_time_left_is_refused() -> None:
    clock = FakeClock(now=0.0)
    backoff = Backoff(Deadline(0.5, clock), 0.5, 2.0, clock.sleep, UpperBound())
    with pytest.raises(StorageThrottledError):
        backoff.pause(0, "throttled")
    assert clock.now == 0.0


def test_refused_puts_pause_longer_each_attempt(dynamodb: Any) -> None:
    clock = FakeClock(now=0.0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)

    backoff = Backoff(Deadline(100.0, clock), 0.05, 2.0, sleep, UpperBound())
    client = FailingPuts(dynamodb, "ThrottlingException", failures=3)
    assert processor.store_upload(UploadWriter(client, TABLE, backoff), many_lines_upload(3), "r")
    assert sleeps == [0.05, 0.1, 0.2]


def test_unprocessed_batches_pause_longer_each_round(dynamodb: Any) -> None:
    clock = FakeClock(now=0.0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.sleep(seconds)

    backoff = Backoff(Deadline(100.0, clock), 0.05, 2.0, sleep, UpperBound())
    writer = UploadWriter(ThrottlingBatches(dynamodb, rounds=3), TABLE, backoff, writers=1)
    assert processor.store_upload(writer, many_lines_upload(), "r").created
    assert sleeps == [0.05, 0.1, 0.2]


# The business metrics, as the EMF lines CloudWatch turns into metrics.


def emf_lines(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return lines


def test_a_stored_upload_counts_uploads_lines_and_bytes(
    dynamodb: Any, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    body = b"one\ntwo\nthree"
    assert invoke(post(body), context)[0] == 201
    (emf,) = emf_lines(capsys.readouterr().out)
    metrics = {m["Name"]: m["Unit"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert metrics == {"UploadsStored": "Count", "LinesStored": "Count", "BytesStored": "Bytes"}
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DataProc"
    assert (emf["UploadsStored"], emf["LinesStored"], emf["BytesStored"]) == ([1.0], [3.0], [13.0])
    assert emf["service"] == "processor"


def test_a_replay_counts_as_replayed(
    dynamodb: Any, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(post(b"x"), context)
    capsys.readouterr()
    assert invoke(post(b"x"), context)[0] == 200
    (emf,) = emf_lines(capsys.readouterr().out)
    assert emf["UploadsReplayed"] == [1.0]
    assert "UploadsStored" not in emf


def test_a_rejection_counts_once_in_total_and_once_by_reason(
    dynamodb: Any, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoke(post(b""), context)[0] == 400
    lines = emf_lines(capsys.readouterr().out)
    by_reason = [e for e in lines if ["Reason"] in e["_aws"]["CloudWatchMetrics"][0]["Dimensions"]]
    total = [e for e in lines if e not in by_reason]
    assert len(by_reason) == len(total) == 1
    assert by_reason[0]["Reason"] == "EMPTY_BODY"
    assert by_reason[0]["UploadsRejected"] == total[0]["UploadsRejected"] == [1.0]
    for emf in lines:
        (metric,) = emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]
        assert metric == {"Name": "UploadsRejected", "Unit": "Count"}
        assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DataProc"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"path": "/dev/dataproc", "stage": "dev"}, "/dev/dataproc/ID"),
        ({"path": "/dev/dataproc/", "stage": "dev"}, "/dev/dataproc/ID"),
        ({"stage": "beta"}, "/beta/dataproc/ID"),
        ({"path": "", "stage": "beta"}, "/beta/dataproc/ID"),
        ({}, "/prod/dataproc/ID"),
        (None, "/prod/dataproc/ID"),
    ],
)
def test_location_is_the_request_path_plus_the_upload_id(
    context: dict[str, str] | None, expected: str
) -> None:
    assert processor.location({"requestContext": context}, "ID") == expected


def test_a_replay_whose_stored_item_came_back_empty_keeps_the_replays_name() -> None:
    upload = build_upload(OWNER, "replay.txt", b"x", ["x"])
    assert processor.replay_body(upload, {}) == upload.summary()
    first = processor.replay_body(upload, {"uploadId": upload.upload_id, "name": "first.txt"})
    assert first == {**upload.summary(), "name": "first.txt"}
    unnamed = processor.replay_body(upload, {"uploadId": upload.upload_id})
    assert unnamed == {**upload.summary(), "name": None}


def log_records(out: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return [line for line in lines if "message" in line]


@pytest.fixture
def processor_log() -> Iterator[io.StringIO]:
    """The processor's JSON log lines, through a second handler with its own formatter."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(processor.logger.registered_formatter)
    stdlib_logger = logging.getLogger(processor.logger.name)
    stdlib_logger.addHandler(handler)
    yield buffer
    stdlib_logger.removeHandler(handler)


def test_the_stored_log_line_names_the_upload_its_lines_and_bytes(
    dynamodb: Any, context: LambdaContext, processor_log: io.StringIO
) -> None:
    body = b"one\ntwo\nthree"
    payload = invoke(post(body), context)[2]
    records = log_records(processor_log.getvalue())
    (stored,) = [r for r in records if r["message"] == "upload stored"]
    assert (stored["lines"], stored["bytes"]) == (3, len(body))
    assert (stored["upload_id"], stored["owner"]) == (payload["uploadId"], OWNER)
    assert stored["api_request_id"] == "6f1e2d3c-4b5a-4968-8776-655443322110"


def test_a_replay_counts_one_count_unit(
    dynamodb: Any, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(post(b"x"), context)
    capsys.readouterr()
    invoke(post(b"x"), context)
    (emf,) = emf_lines(capsys.readouterr().out)
    (metric,) = emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert metric == {"Name": "UploadsReplayed", "Unit": "Count"}


def test_location_follows_the_request_path_not_the_stage_name() -> None:
    # A custom domain's base path mapping: the path the client called is not /{stage}/...
    event = {"requestContext": {"path": "/v1/dataproc", "stage": "prod"}}
    assert processor.location(event, "ID") == "/v1/dataproc/ID"


def test_the_writer_deadline_is_exactly_the_remaining_time_minus_the_margin(
    dynamodb: Any, context: LambdaContext
) -> None:
    context.remaining_ms = 28_000
    before = time.monotonic()
    deadline = processor.writer(context).backoff.deadline
    after = time.monotonic()
    expected = 28 - processor.DEADLINE_MARGIN_SECONDS
    assert before + expected <= deadline.at <= after + expected


def test_created_at_is_the_utc_time_of_the_upload_in_milliseconds(
    dynamodb: Any, context: LambdaContext
) -> None:
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    invoke(post(b"x"), context)
    after = datetime.datetime.now(datetime.UTC)
    (meta,) = [i for i in all_items(dynamodb) if i["sk"]["S"] == "META"]
    created = meta["createdAt"]["S"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created), created
    assert before <= datetime.datetime.fromisoformat(created) <= after


# One write for small uploads (issue 13): the lines inline in the COMPLETE item.


def one_chunk_upload(name: str | None = "small.txt") -> Any:
    return build_upload(OWNER, name, b"alpha\nbeta\n", ["alpha", "beta"])


AT = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)


def test_a_one_chunk_upload_is_one_conditional_put_of_the_complete_item(dynamodb: Any) -> None:
    upload = one_chunk_upload()
    recording = RecordingClient(dynamodb)
    stored = processor.store_upload(UploadWriter(recording, TABLE), upload, "req-1", lambda: AT)
    assert (stored.created, stored.body) == (True, upload.summary())
    assert recording.writes == ["PutItem"]
    (meta,) = all_items(dynamodb)
    expected = one_write_item(upload, "2026-11-27T10:00:00.000Z", "req-1")
    assert expected is not None
    assert from_attributes(meta) == expected
    assert expected["status"] == STATUS_COMPLETE
    assert expected["gsi1pk"] == f"OWNER#{OWNER}"
    assert expected["completedBy"] == "req-1"


def test_an_upload_past_the_inline_limit_keeps_three_writes(dynamodb: Any) -> None:
    # One chunk each; past 1,510 bytes inline would cost more write units (test_records).
    request = "11111111-2222-4333-8444-555555555555"
    recording = RecordingClient(dynamodb)
    inline = build_upload(OWNER, None, b"y" * 1510, ["y" * 1510])
    assert processor.store_upload(UploadWriter(recording, TABLE), inline, request).created
    assert recording.writes == ["PutItem"]
    line = "x" * 1511
    upload = build_upload(OWNER, None, line.encode(), [line])
    recording.writes.clear()
    assert processor.store_upload(UploadWriter(recording, TABLE), upload, request).created
    assert recording.writes == ["PutItem", "BatchWriteItem", "PutItem"]
    items = {
        i["sk"]["S"]: from_attributes(i)
        for i in all_items(dynamodb)
        if i["pk"]["S"] == f"UPLOAD#{upload.upload_id}"
    }
    assert set(items) == {"META", "CHUNK#0000000001"}
    assert "text" not in items["META"]
    assert items["CHUNK#0000000001"]["text"] == line


@pytest.mark.parametrize("lines", [2, 3000], ids=["one-write", "three-writes"])
def test_a_replay_of_either_path_is_200_with_the_first_name_and_one_refused_put(
    dynamodb: Any, lines: int
) -> None:
    upload = many_lines_upload(lines)
    first = dataclasses.replace(upload, name="first.txt")
    assert processor.store_upload(UploadWriter(dynamodb, TABLE), first, "req-1").created
    before = all_items(dynamodb)
    recording = RecordingClient(dynamodb)
    replay = dataclasses.replace(upload, name="second.txt")
    stored = processor.store_upload(UploadWriter(recording, TABLE), replay, "req-2")
    assert (stored.created, stored.body) == (False, first.summary())
    assert recording.writes == ["PutItem"]
    assert all_items(dynamodb) == before


@pytest.mark.parametrize("lines", [5, 3000], ids=["one-write", "three-writes"])
def test_a_lost_reply_of_either_path_retried_is_still_201(dynamodb: Any, lines: int) -> None:
    upload = many_lines_upload(lines)
    writer = UploadWriter(CompleteReplyLost(dynamodb), TABLE, deadline_backoff(seconds=10.0))
    stored = processor.store_upload(writer, upload, "request-a")
    assert (stored.created, stored.body) == (True, upload.summary())
    again = processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "request-b")
    assert again.created is False


def test_a_stale_pending_item_of_an_older_attempt_is_overwritten_by_the_one_put(
    dynamodb: Any, context: LambdaContext
) -> None:
    # An earlier attempt (three writes, as before one-write uploads) died after its
    # chunk: a PENDING META and a chunk item. The retry is one put over the META.
    upload = one_chunk_upload()
    old = UploadWriter(dynamodb, TABLE)
    old.put_meta(meta_item(upload, "2026-11-27T09:00:00.000Z", STATUS_PENDING))
    old.write_items([chunk_item(upload, chunk) for chunk in upload.chunks])
    recording = RecordingClient(dynamodb)
    stored = processor.store_upload(UploadWriter(recording, TABLE), upload, "req-2", lambda: AT)
    assert stored.created is True
    assert recording.writes == ["PutItem"]
    meta = next(from_attributes(i) for i in all_items(dynamodb) if i["sk"]["S"] == "META")
    assert meta == one_write_item(upload, "2026-11-27T10:00:00.000Z", "req-2")


def test_a_throttled_one_write_upload_leaves_nothing_at_all(dynamodb: Any) -> None:
    writer = UploadWriter(ThrottledPuts(dynamodb), TABLE, deadline_backoff(seconds=0.2))
    with pytest.raises(Rejection) as caught:
        processor.store_upload(writer, one_chunk_upload(), "req-1")
    assert caught.value.kind is RejectionKind.STORAGE_THROTTLED
    assert all_items(dynamodb) == []
