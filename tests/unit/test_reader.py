"""GET /dataproc and GET /dataproc/{uploadId} on moto's in-process DynamoDB."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest

from handlers import cursors, processor, reader
from handlers.records import build_upload
from handlers.storage import UploadWriter
from tests.sample_events import load
from tests.unit.conftest import TABLE, LambdaContext

ALICE = "alice-sub"
BOB = "bob-sub"


def store(client: Any, owner: str, lines: list[str], minute: int = 0, name: str = "f") -> str:
    body = "\n".join(lines).encode()
    upload = build_upload(owner, name, body, lines)
    when = datetime.datetime(2026, 11, 27, 10, minute, tzinfo=datetime.UTC)
    processor.store_upload(UploadWriter(client, TABLE), upload, clock=lambda: when)
    return upload.upload_id


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
