"""GET /dataproc and GET /dataproc/{uploadId} on moto's in-process DynamoDB."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import hashlib
import json
from typing import Any

import pytest

from handlers import cursors, processor, reader
from handlers.records import (
    STATUS_COMPLETE,
    STATUS_PENDING,
    Item,
    build_upload,
    chunk_item,
    meta_item,
    pack_lines,
)
from handlers.storage import UploadReader, UploadWriter
from tests.sample_events import load
from tests.unit.conftest import TABLE, LambdaContext, all_items
from tests.unit.dynamodb_calls import Recorder

ALICE = "alice-sub"
BOB = "bob-sub"


def store(client: Any, owner: str, lines: list[str], minute: int = 0, name: str = "f") -> str:
    body = "\n".join(lines).encode()
    upload = build_upload(owner, name, body, lines)
    when = datetime.datetime(2026, 11, 27, 10, minute, tzinfo=datetime.UTC)
    processor.store_upload(UploadWriter(client, TABLE), upload, "req-1", clock=lambda: when)
    return upload.upload_id


def stored_meta(client: Any, upload_id: str) -> Item:
    meta = UploadReader(client, TABLE).get_meta(upload_id)
    assert meta is not None
    return meta


def get(
    context: LambdaContext, owner: str, upload_id: str | None = None, **query: str
) -> tuple[int, Any]:
    event = load("get_upload" if upload_id else "list_uploads")
    event["requestContext"]["authorizer"]["sub"] = owner
    if upload_id:
        event["pathParameters"] = {"uploadId": upload_id}
    event["queryStringParameters"] = query or None
    response = reader.handler(event, context)
    return response["statusCode"], json.loads(response["body"])


def test_list_is_newest_first_and_paginates(dynamodb: Any, context: LambdaContext) -> None:
    ids = [store(dynamodb, ALICE, [f"upload {n}"], minute=n) for n in range(5)]
    store(dynamodb, BOB, ["bob's"], minute=9)
    status, page1 = get(context, ALICE, limit="2")
    assert status == 200
    seen = [u["uploadId"] for u in page1["uploads"]]
    cursor = page1["nextCursor"]
    while cursor:
        status, page = get(context, ALICE, limit="2", cursor=cursor)
        assert status == 200
        seen += [u["uploadId"] for u in page["uploads"]]
        cursor = page["nextCursor"]
    assert seen == ids[::-1]
    assert page1["uploads"][0]["createdAt"] == "2026-11-27T10:04:00.000Z"


def test_get_returns_metadata_and_lines_across_chunks(
    dynamodb: Any, context: LambdaContext
) -> None:
    lines = [f"{n:05d} " + "x" * 40 for n in range(5000)]  # ~230 KB: several chunks
    upload_id = store(dynamodb, ALICE, lines)
    collected: list[str] = []
    status, page = get(context, ALICE, upload_id, limit="777")
    while True:
        assert status == 200
        assert page["firstLine"] == len(collected) + 1
        collected += page["data"]
        if not page["nextCursor"]:
            break
        status, page = get(context, ALICE, upload_id, limit="777", cursor=page["nextCursor"])
    assert collected == lines
    assert page["lines"] == 5000
    assert page["status"] == "COMPLETE"


def test_default_page_reads_from_the_first_line(dynamodb: Any, context: LambdaContext) -> None:
    upload_id = store(dynamodb, ALICE, ["a", "b"])
    status, page = get(context, ALICE, upload_id)
    assert (status, page["data"], page["nextCursor"]) == (200, ["a", "b"], None)


@pytest.mark.parametrize("who", [BOB])
def test_someone_elses_upload_is_404(dynamodb: Any, context: LambdaContext, who: str) -> None:
    upload_id = store(dynamodb, ALICE, ["secret"])
    status, problem = get(context, who, upload_id)
    assert status == 404
    assert problem["type"] == "urn:dataproc:problem:not-found"
    assert upload_id in problem["detail"]


def test_incomplete_and_missing_and_malformed_ids_are_404(
    dynamodb: Any, context: LambdaContext
) -> None:
    upload = build_upload(ALICE, None, b"p", ["p"])
    from handlers.records import STATUS_PENDING, meta_item

    UploadWriter(dynamodb, TABLE).put_meta(
        meta_item(upload, "2026-11-27T00:00:00.000Z", STATUS_PENDING)
    )
    assert get(context, ALICE, upload.upload_id)[0] == 404
    assert get(context, ALICE, "0" * 32)[0] == 404
    assert get(context, ALICE, "../../etc")[0] == 404
    assert get(context, ALICE)[1]["uploads"] == []


def forged(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%not-base64%%%",
        "e30",  # {}
        forged(["list"]),  # type: ignore[arg-type]
        forged(
            {
                "pk": "UPLOAD#" + "a" * 32,
                "sk": "META",
                "gsi1pk": f"OWNER#{BOB}",
                "gsi1sk": "2026-11-27T10:00:00.000Z#" + "a" * 32,
            }
        ),
        forged({"pk": "UPLOAD#x", "sk": "META", "gsi1pk": f"OWNER#{ALICE}", "gsi1sk": "x"}),
        "A" * 5000,
    ],
)
def test_garbled_or_forged_list_cursor_is_400(
    dynamodb: Any, context: LambdaContext, cursor: str
) -> None:
    status, problem = get(context, ALICE, cursor=cursor)
    assert status == 400
    assert problem["type"] == "urn:dataproc:problem:bad-cursor"


def test_lines_cursor_of_another_upload_or_out_of_range_is_400(
    dynamodb: Any, context: LambdaContext
) -> None:
    first = store(dynamodb, ALICE, ["a", "b", "c"])
    second = store(dynamodb, ALICE, ["d"])
    assert get(context, ALICE, second, cursor=cursors.line_cursor(first, 2))[0] == 400
    assert get(context, ALICE, first, cursor=cursors.line_cursor(first, 4))[0] == 400
    assert get(context, ALICE, first, cursor=forged({"u": first, "line": True}))[0] == 400
    assert get(context, ALICE, first, cursor=cursors.line_cursor(first, 3))[1]["data"] == ["c"]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "101", "1.5"])
def test_bad_list_limit_is_400(dynamodb: Any, context: LambdaContext, limit: str) -> None:
    status, problem = get(context, ALICE, limit=limit)
    assert status == 400
    assert problem["type"] == "urn:dataproc:problem:bad-limit"
    assert "1 to 100" in problem["detail"]


# Defect 5: only ASCII digits in range; any malformed cursor is a 400 problem.


@pytest.mark.parametrize("limit", ["²", "١٢", "\uff11\uff12", "9" * 5000, "", " 5", "+5", "100001"])
def test_non_ascii_or_huge_limits_are_400(
    dynamodb: Any, context: LambdaContext, limit: str
) -> None:
    upload_id = store(dynamodb, ALICE, ["a"])
    for target in (None, upload_id):
        status, problem = get(context, ALICE, target, limit=limit)
        assert (status, problem["type"]) == (400, "urn:dataproc:problem:bad-limit")


def test_limits_at_their_bounds_are_accepted(dynamodb: Any, context: LambdaContext) -> None:
    upload_id = store(dynamodb, ALICE, ["a", "b"])
    assert get(context, ALICE, limit="100")[0] == 200
    assert get(context, ALICE, limit="1")[0] == 200
    assert get(context, ALICE, limit="101")[0] == 400
    assert get(context, ALICE, upload_id, limit="10000")[0] == 200
    assert get(context, ALICE, upload_id, limit="10001")[0] == 400
    assert get(context, ALICE, upload_id, limit="0")[0] == 400
    assert get(context, ALICE, upload_id, limit="00001")[1]["data"] == ["a"]


@pytest.mark.parametrize("payload", [b"[" * 1500, b'{"a":' * 300, b"\xff\xfe", b"1e999"])
def test_a_cursor_nested_too_deep_or_undecodable_is_400(
    dynamodb: Any, context: LambdaContext, payload: bytes
) -> None:
    upload_id = store(dynamodb, ALICE, ["a"])
    cursor = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    assert len(cursor) <= cursors.MAX_CURSOR_CHARS
    for target in (None, upload_id):
        status, problem = get(context, ALICE, target, cursor=cursor)
        assert (status, problem["type"]) == (400, "urn:dataproc:problem:bad-cursor")


# Defect 2: a page fits Lambda's 6 MB response, escaped twice, and is never empty.


def envelope_size(context: LambdaContext, owner: str, upload_id: str, **query: str) -> int:
    event = load("get_upload")
    event["requestContext"]["authorizer"]["sub"] = owner
    event["pathParameters"] = {"uploadId": upload_id}
    event["queryStringParameters"] = query or None
    response = reader.handler(event, context)
    return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))


@pytest.mark.parametrize("char", ["😀", '"', "東"])
def test_a_page_of_wide_or_escaped_lines_stays_under_6_mb(
    dynamodb: Any, context: LambdaContext, char: str
) -> None:
    lines = [f"{n:04d}" + char * 3000 for n in range(1000)]
    upload_id = store(dynamodb, ALICE, lines)
    assert envelope_size(context, ALICE, upload_id) <= reader.RESPONSE_MAX_BYTES
    collected: list[str] = []
    status, page = get(context, ALICE, upload_id)
    while True:
        assert status == 200
        assert page["data"]
        collected += page["data"]
        if not page["nextCursor"]:
            break
        status, page = get(context, ALICE, upload_id, cursor=page["nextCursor"])
    assert collected == lines


def test_non_ascii_is_not_escaped(dynamodb: Any, context: LambdaContext) -> None:
    upload_id = store(dynamodb, ALICE, ["東京 😀"])
    event = load("get_upload")
    event["requestContext"]["authorizer"]["sub"] = ALICE
    event["pathParameters"] = {"uploadId": upload_id}
    assert "東京 😀" in reader.handler(event, context)["body"]


def test_a_page_holds_at_least_one_line_whatever_the_budget(dynamodb: Any) -> None:
    upload_id = store(dynamodb, ALICE, ["first", "second"])
    meta = stored_meta(dynamodb, upload_id)
    store_reader = UploadReader(dynamodb, TABLE)
    assert reader.read_lines(store_reader, meta, 1, 2, reader.PageBudget(0)) == ["first"]
    assert reader.read_lines(store_reader, meta, 1, 2, reader.PageBudget(10**6)) == [
        "first",
        "second",
    ]


def test_a_line_costs_its_twice_escaped_bytes_and_a_comma() -> None:
    budget = reader.PageBudget(100)
    # In the page: "a\"é" (7 bytes); in the body string: \"a\\\"é\" (11 bytes), then a comma.
    assert budget.take('a"é')
    assert budget.left == 88
    assert not reader.PageBudget(11).take('a"é')
    assert reader.PageBudget(12).take('a"é')


# Defect 3: only contiguous chunks are read, and never past the line count.


def test_stale_chunks_of_an_earlier_attempt_are_not_read_back(
    dynamodb: Any, context: LambdaContext
) -> None:
    lines = [f"line {n:02d}" for n in range(1, 41)]
    upload = build_upload(ALICE, "f", "\n".join(lines).encode(), lines)
    stale = dataclasses.replace(upload, chunks=tuple(pack_lines(lines, target=150)))
    fresh = dataclasses.replace(upload, chunks=tuple(pack_lines(lines, target=70)))
    assert len(stale.chunks) != len(fresh.chunks)
    crashed = UploadWriter(dynamodb, TABLE)
    crashed.put_meta(meta_item(stale, "2026-11-27T10:00:00.000Z", STATUS_PENDING))
    crashed.write_items([chunk_item(stale, chunk) for chunk in stale.chunks])
    processor.store_upload(UploadWriter(dynamodb, TABLE), fresh, "retry")
    for limit in ("7", "1000"):
        assert read_all(context, upload.upload_id, limit) == lines


def read_all(context: LambdaContext, upload_id: str, limit: str) -> list[str]:
    collected: list[str] = []
    cursor: dict[str, str] = {}
    while True:
        status, page = get(context, ALICE, upload_id, limit=limit, **cursor)
        assert status == 200
        assert page["firstLine"] == len(collected) + 1
        collected += page["data"]
        if not page["nextCursor"]:
            return collected
        cursor = {"cursor": page["nextCursor"]}


def test_a_missing_chunk_is_an_error_not_a_short_page(dynamodb: Any) -> None:
    lines = [f"line {n:02d}" for n in range(1, 41)]
    upload = build_upload(ALICE, "f", "\n".join(lines).encode(), lines)
    upload = dataclasses.replace(upload, chunks=tuple(pack_lines(lines, target=70)))
    processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "r")
    second = upload.chunks[1]
    dynamodb.delete_item(
        TableName=TABLE, Key={"pk": {"S": "UPLOAD#" + upload.upload_id}, "sk": {"S": second.sk}}
    )
    store_reader = UploadReader(dynamodb, TABLE)
    meta = stored_meta(dynamodb, upload.upload_id)
    with pytest.raises(reader.MissingLinesError):
        reader.read_lines(store_reader, meta, 1, 40, reader.PageBudget(10**6))
    with pytest.raises(reader.MissingLinesError):
        reader.read_lines(store_reader, meta, second.first, 1, reader.PageBudget(99))
    for chunk in upload.chunks:
        dynamodb.delete_item(
            TableName=TABLE, Key={"pk": {"S": "UPLOAD#" + upload.upload_id}, "sk": {"S": chunk.sk}}
        )
    with pytest.raises(reader.MissingLinesError):
        reader.read_lines(store_reader, meta, 1, 1, reader.PageBudget(99))


# Issue 16, gaps 5 and 6: full pages, and every public field in every answer.


def test_every_page_but_the_last_holds_exactly_limit_lines(
    dynamodb: Any, context: LambdaContext
) -> None:
    lines = [f"{n:05d} " + "y" * 60 for n in range(3000)]  # several 64 KiB chunks
    upload_id = store(dynamodb, ALICE, lines)
    sizes: list[int] = []
    _, page = get(context, ALICE, upload_id, limit="1100")
    while True:
        sizes.append(len(page["data"]))
        if not page["nextCursor"]:
            break
        _, page = get(context, ALICE, upload_id, limit="1100", cursor=page["nextCursor"])
    assert sizes == [1100, 1100, 800]


def test_get_and_list_answer_every_public_field(dynamodb: Any, context: LambdaContext) -> None:
    body_lines = ["one", "two"]
    upload_id = store(dynamodb, ALICE, body_lines, name="n.txt")
    body = "\n".join(body_lines).encode()
    expected = {
        "uploadId": upload_id,
        "name": "n.txt",
        "lines": 2,
        "bytes": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "status": "COMPLETE",
        "createdAt": "2026-11-27T10:00:00.000Z",
    }
    status, page = get(context, ALICE, upload_id)
    assert status == 200
    assert page == {**expected, "firstLine": 1, "data": body_lines, "nextCursor": None}
    status, listing = get(context, ALICE)
    assert listing == {"uploads": [expected], "nextCursor": None}


# Issue 16: the reader's remaining mutants.


def test_a_malformed_upload_id_is_404_without_asking_dynamodb(
    dynamodb: Any, context: LambdaContext
) -> None:
    # DynamoDB refuses a partition key over 2,048 bytes (a ValidationException, so a 500):
    # an id that cannot be an upload id is answered without a request.
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html
    from handlers import aws_clients

    recorder = Recorder().attach(aws_clients.dynamodb())
    for upload_id in ("x" * 3000, "not-an-id", "0" * 31):
        status, problem = get(context, ALICE, upload_id)
        assert (status, problem["type"]) == (404, "urn:dataproc:problem:not-found")
    assert recorder.calls == []


def test_a_chunk_that_ends_before_the_line_is_a_missing_line_at_once(dynamodb: Any) -> None:
    lines = [f"line {n:02d}" for n in range(1, 41)]
    upload = build_upload(ALICE, "f", "\n".join(lines).encode(), lines)
    upload = dataclasses.replace(upload, chunks=tuple(pack_lines(lines, target=70)))
    processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "r")
    second = upload.chunks[1]
    key = {"pk": {"S": "UPLOAD#" + upload.upload_id}, "sk": {"S": second.sk}}
    dynamodb.delete_item(TableName=TABLE, Key=key)
    meta = stored_meta(dynamodb, upload.upload_id)
    recorder = Recorder().attach(dynamodb)
    with pytest.raises(reader.MissingLinesError, match=f"no chunk holds line {second.first}"):
        reader.read_lines(
            UploadReader(dynamodb, TABLE), meta, second.first, 1, reader.PageBudget(99)
        )
    assert len(recorder.of("Query")) == 1  # the chunk before it ends at second.first - 1


def test_the_envelope_is_counted_as_the_runtime_serializes_the_response() -> None:
    body = {"data": ["é"], "firstLine": 1}
    sent = (
        '{"statusCode": 200, "headers": {"Content-Type": "application/json"}, '
        '"body": "{\\"data\\":[\\"é\\"],\\"firstLine\\":1}"}'
    )
    assert reader.envelope_bytes(body) == len(sent.encode("utf-8"))


def test_without_a_limit_a_page_holds_1000_lines_and_a_listing_20_uploads(
    dynamodb: Any, context: LambdaContext
) -> None:
    upload_id = store(dynamodb, ALICE, [str(n) for n in range(1001)])
    _, page = get(context, ALICE, upload_id)
    assert (len(page["data"]), page["nextCursor"] is not None) == (1000, True)
    for minute in range(20):
        store(dynamodb, ALICE, [f"more {minute}"], minute=minute)
    _, listing = get(context, ALICE)
    assert (len(listing["uploads"]), listing["nextCursor"] is not None) == (20, True)


def test_a_page_that_stops_one_line_short_has_a_cursor_to_the_last_line(
    dynamodb: Any, context: LambdaContext
) -> None:
    upload_id = store(dynamodb, ALICE, ["a", "b", "c"])
    _, first = get(context, ALICE, upload_id, limit="2")
    assert first["data"] == ["a", "b"]
    _, last = get(context, ALICE, upload_id, limit="2", cursor=first["nextCursor"])
    assert (last["firstLine"], last["data"], last["nextCursor"]) == (3, ["c"], None)


def test_a_full_page_fills_6_mb_to_within_a_line_and_keeps_room_for_its_cursor(
    dynamodb: Any, context: LambdaContext
) -> None:
    # Wide lines to near the limit, then lines that cost 10 bytes each: the page stops
    # within 10 bytes of its budget, so the margin kept for the cursor is what keeps
    # the response under 6 MB.
    lines = ["x" * 996] * 5990 + ["y" * 5] * 4000
    upload_id = store(dynamodb, ALICE, lines)
    size = envelope_size(context, ALICE, upload_id, limit="10000")
    _, page = get(context, ALICE, upload_id, limit="10000")
    cursor = len(page["nextCursor"])
    assert 5990 < len(page["data"]) < len(lines)
    budget = reader.RESPONSE_MAX_BYTES - reader.CURSOR_RESERVE_BYTES
    assert budget - 10 < size - cursor <= budget
    assert size <= reader.RESPONSE_MAX_BYTES


# Issue 13: uploads stored by one put carry their lines in the metadata item.


def store_three_writes(client: Any, owner: str, lines: list[str], name: str = "f") -> str:
    """Store as before one-write uploads: PENDING, the chunks, COMPLETE, whatever the size."""
    upload = build_upload(owner, name, "\n".join(lines).encode(), lines)
    writer = UploadWriter(client, TABLE)
    writer.put_meta(meta_item(upload, "2026-11-27T10:00:00.000Z", STATUS_PENDING))
    writer.write_items([chunk_item(upload, chunk) for chunk in upload.chunks])
    writer.put_meta(meta_item(upload, "2026-11-27T10:00:00.000Z", STATUS_COMPLETE, "req-1"))
    return upload.upload_id


def raw_get(context: LambdaContext, owner: str, upload_id: str | None, **query: str) -> str:
    event = load("get_upload" if upload_id else "list_uploads")
    event["requestContext"]["authorizer"]["sub"] = owner
    event["pathParameters"] = {"uploadId": upload_id} if upload_id else None
    event["queryStringParameters"] = query or None
    return str(reader.handler(event, context)["body"])


def test_an_inline_upload_is_read_with_one_get_item_and_no_query(
    dynamodb: Any, context: LambdaContext
) -> None:
    from handlers import aws_clients

    lines = ["alpha", "béta", "gamma 😀"]
    upload_id = store(dynamodb, ALICE, lines)
    assert "text" in stored_meta(dynamodb, upload_id)  # stored inline
    recorder = Recorder().attach(aws_clients.dynamodb())
    _, first = get(context, ALICE, upload_id, limit="2")
    _, last = get(context, ALICE, upload_id, limit="2", cursor=first["nextCursor"])
    assert (first["data"], last["firstLine"], last["data"]) == (lines[:2], 3, lines[2:])
    assert last["nextCursor"] is None
    assert [call.operation for call in recorder.calls] == ["GetItem", "GetItem"]


def test_either_write_order_answers_byte_for_byte_the_same(
    dynamodb: Any, context: LambdaContext
) -> None:
    lines = ["one", "  two is stripped already", "three"]
    upload_id = store_three_writes(dynamodb, ALICE, lines)
    assert "text" not in stored_meta(dynamodb, upload_id)
    queries = [{}, {"limit": "1"}, {"limit": "2", "cursor": cursors.line_cursor(upload_id, 2)}]
    three_writes = [raw_get(context, ALICE, upload_id, **q) for q in queries]
    listing = raw_get(context, ALICE, None)
    for item in all_items(dynamodb):
        dynamodb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})
    assert store(dynamodb, ALICE, lines) == upload_id
    assert "text" in stored_meta(dynamodb, upload_id)
    assert [raw_get(context, ALICE, upload_id, **q) for q in queries] == three_writes
    assert raw_get(context, ALICE, None) == listing


def test_a_listing_never_carries_the_inline_lines(dynamodb: Any, context: LambdaContext) -> None:
    upload_id = store(dynamodb, ALICE, ["s3cret-line-one", "s3cret-line-two"])
    body = raw_get(context, ALICE, None)
    assert "s3cret" not in body
    (upload,) = json.loads(body)["uploads"]
    assert upload["uploadId"] == upload_id
    assert set(upload) == set(reader.PUBLIC_FIELDS)
    assert "s3cret" not in raw_get(context, ALICE, upload_id, limit="1", cursor="%%bad")


def test_an_inline_upload_of_someone_else_is_the_same_404_as_a_missing_one(
    dynamodb: Any, context: LambdaContext
) -> None:
    upload_id = store(dynamodb, ALICE, ["mine"])
    missing = get(context, BOB, "0" * 32)[1]
    theirs = get(context, BOB, upload_id)[1]
    assert (missing["status"], theirs["status"]) == (404, 404)
    assert theirs["detail"] == missing["detail"].replace("0" * 32, upload_id)
    assert "mine" not in json.dumps(theirs)
