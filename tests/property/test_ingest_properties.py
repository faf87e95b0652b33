"""Hypothesis properties of the ingest fast paths and of the two write orders (issue 13).

The fast paths (lines split and filtered in C, controls found by byte searches,
chunks cut from one encoded join) are checked against the straightforward
implementation they replaced, kept here as the reference: same kept lines, same
rejection (kind and detail), same chunks. The two write orders (one put for a
small upload, PENDING/chunks/COMPLETE for the others) are checked end to end
through the handlers: paging reads back exactly the kept lines, and a replay
answers as before.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from handlers import processor, reader
from handlers.problems import Rejection, RejectionKind
from handlers.records import Chunk, pack_lines
from handlers.text_rules import Limits, check_size, decode_strict, parse_lines
from tests.property.conftest import TABLE
from tests.sample_events import load
from tests.unit.conftest import LambdaContext

# --- The reference: the general path as it was before the fast paths. ---

LINE_BREAK = re.compile(r"\r\n|\r|\n")
FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def reference_parse_lines(body: bytes, limits: Limits) -> list[str]:
    check_size(body, limits)
    text = decode_strict(body)
    found = FORBIDDEN_CONTROL.search(text)
    if found is not None:
        bom = len(codecs.BOM_UTF8) if body.startswith(codecs.BOM_UTF8) else 0
        offset = bom + len(text[: found.start()].encode("utf-8"))
        raise Rejection(
            RejectionKind.INVALID_TEXT,
            f"Control character U+{ord(found.group()):04X} at byte offset {offset}; "
            "only tab, CR and LF are allowed.",
        )
    kept: list[str] = []
    for raw in LINE_BREAK.split(text):
        line = raw.strip()
        size = len(line.encode("utf-8"))
        if size > limits.max_line_bytes:
            raise Rejection(
                RejectionKind.LINE_TOO_LONG,
                f"A line (after {len(kept)} kept lines) is {size} bytes; "
                f"the limit is {limits.max_line_bytes} bytes.",
            )
        if line:
            kept.append(line)
    if not kept:
        raise Rejection(RejectionKind.NO_CONTENT, "The body has no non-empty line.")
    return kept


def reference_pack_lines(lines: Iterable[str], target: int) -> Iterator[tuple[int, list[str]]]:
    batch: list[str] = []
    size = 0
    first = 1
    for number, line in enumerate(lines, start=1):
        cost = len(line.encode("utf-8")) + (1 if batch else 0)
        if batch and size + cost > target:
            yield first, batch
            batch, size, first = [], 0, number
            cost -= 1
        batch.append(line)
        size += cost
    if batch:
        yield first, batch


def outcome(parse: Any, body: bytes, limits: Limits) -> Any:
    try:
        return parse(body, limits)
    except Rejection as rejection:
        return (rejection.kind, rejection.detail)


# Text with what the fast paths treat specially: non-ASCII (2, 3 and 4 UTF-8 bytes),
# CR, CRLF, LF, the line breaks str.splitlines knows and the contract does not, C0
# controls, BOMs, Unicode whitespace, runs of spaces and long runs of one letter.
PIECES = st.sampled_from(
    [
        *"ab é€😀\t\r\n",
        "\r\n",
        "\x85",
        "\u2028",
        "\u2029",
        "\x0b",
        "\x0c",
        "\x1c",
        "\x1e",
        "\x00",
        "\ufeff",
        "\u00a0",
        "\u3000",
        "   ",
        "x" * 40,
        "é" * 15,
    ]
)
texts = (
    st.lists(PIECES, max_size=80).map("".join)
    | st.text(alphabet=" ab\t\r\n", max_size=200)
    | st.text(max_size=200)
)
limits = st.builds(
    Limits,
    max_upload_bytes=st.integers(min_value=1, max_value=3000),
    max_line_bytes=st.integers(min_value=1, max_value=64),
)


@given(texts, limits, st.booleans())
def test_parsing_agrees_with_the_general_path(text: str, limits: Limits, bom: bool) -> None:
    body = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    event("ascii" if body.isascii() else "non-ascii")
    assert outcome(parse_lines, body, limits) == outcome(reference_parse_lines, body, limits)


@given(st.binary(max_size=200), limits)
def test_parsing_any_bytes_agrees_with_the_general_path(body: bytes, limits: Limits) -> None:
    assert outcome(parse_lines, body, limits) == outcome(reference_parse_lines, body, limits)


packable_lines = st.lists(
    st.lists(PIECES.filter(lambda piece: "\n" not in piece), max_size=12).map("".join)
    | st.text(
        alphabet=st.characters(blacklist_characters="\n", blacklist_categories=("Cs",)),
        max_size=60,
    ),
    max_size=40,
)


@given(packable_lines, st.integers(min_value=0, max_value=300))
def test_packing_agrees_with_the_general_path(lines: list[str], target: int) -> None:
    expected = [
        Chunk(first, "\n".join(batch)) for first, batch in reference_pack_lines(lines, target)
    ]
    chunks = list(pack_lines(lines, target))
    assert chunks == expected
    assert [line for chunk in chunks for line in chunk.lines] == lines


# --- End to end: either write order reads back the kept lines and replays as before. ---

# Bodies on both sides of the one-write limit (about 1.5 KiB), and bodies of several
# 64 KiB chunks.
line_texts = st.text(alphabet="abcxyz é😀\t", min_size=0, max_size=60)
small_bodies = st.lists(line_texts, max_size=40).map("\r\n".join)
medium_bodies = st.lists(line_texts, min_size=40, max_size=120).map("\n".join)
large_bodies = st.tuples(line_texts, st.integers(min_value=1000, max_value=3000)).map(
    lambda shape: "\n".join(f"{n:05d} {shape[0]}" for n in range(shape[1]))
)
bodies = (
    st.one_of(small_bodies, medium_bodies, large_bodies)
    .map(lambda text: text.encode("utf-8"))
    .filter(bool)
)


def post(body: bytes, owner: str, name: str) -> tuple[int, dict[str, Any]]:
    request = load("post_upload")
    request["requestContext"]["authorizer"]["sub"] = owner
    request["queryStringParameters"] = {"name": name}
    request["isBase64Encoded"] = True
    request["body"] = base64.b64encode(body).decode()
    response = processor.handler(request, LambdaContext(aws_request_id=str(uuid.uuid4())))
    return response["statusCode"], json.loads(response["body"])


def read_all(owner: str, upload_id: str, limit: int) -> list[str]:
    lines: list[str] = []
    cursor: str | None = None
    while True:
        request = load("get_upload")
        request["requestContext"]["authorizer"]["sub"] = owner
        request["pathParameters"] = {"uploadId": upload_id}
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
        request["queryStringParameters"] = query
        response = reader.handler(request, LambdaContext())
        assert response["statusCode"] == 200
        page = json.loads(response["body"])
        assert page["firstLine"] == len(lines) + 1
        lines += page["data"]
        cursor = page["nextCursor"]
        if cursor is None:
            return lines


def stored_items(client: Any, upload_id: str) -> list[dict[str, Any]]:
    answer = client.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"UPLOAD#{upload_id}"}},
        ConsistentRead=True,
    )
    return list(answer["Items"])


def write_order(items: list[dict[str, Any]]) -> str:
    return "one write" if len(items) == 1 and "text" in items[0] else "three writes"


# Each example stores and reads an upload through moto in-process: 100 examples under
# every profile (as the query-index property caps its own) keep the suite's three
# interpreters short.
@settings(max_examples=100)
@given(bodies, st.data())
def test_every_page_of_either_write_order_reads_back_the_kept_lines(
    dynamodb: Any, body: bytes, data: st.DataObject
) -> None:
    owner = str(uuid.uuid4())
    expected = outcome(parse_lines, body, Limits())
    status, created = post(body, owner, "n.txt")
    if isinstance(expected, tuple):
        assert status == expected[0].status
        return
    assert status == 201
    event(write_order(stored_items(dynamodb, created["uploadId"])))
    # At most ~30 pages, from one line a page up to all of them in one.
    count = len(expected)
    limit = data.draw(st.integers(min_value=max(1, count // 30), max_value=count + 1))
    assert read_all(owner, created["uploadId"], limit) == expected


@settings(max_examples=100)
@given(bodies)
def test_a_replay_of_either_write_order_answers_as_the_first_upload(
    dynamodb: Any, body: bytes
) -> None:
    owner = str(uuid.uuid4())
    status, first = post(body, owner, "first.txt")
    if status != 201:
        return
    items = stored_items(dynamodb, first["uploadId"])
    event(write_order(items))
    assert post(body, owner, "second.txt") == (200, first)
    assert stored_items(dynamodb, first["uploadId"]) == items
    other_status, other = post(body, str(uuid.uuid4()), "first.txt")
    assert other_status == 201
    assert other["uploadId"] != first["uploadId"]
