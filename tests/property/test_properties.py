"""Hypothesis properties of the handlers' pure core and of the processor end to end."""

from __future__ import annotations

import base64
import itertools
import json
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from handlers import cursors, processor
from handlers.problems import Rejection, RejectionKind
from handlers.records import (
    ITEM_SIZE_BOUND,
    META_SK,
    build_upload,
    chunk_item,
    chunk_lines,
    item_size,
    meta_item,
    pack_lines,
    write_units,
)
from handlers.settings import AuthSettings
from handlers.storage import UploadWriter
from handlers.text_rules import Limits, parse_lines
from handlers.tokens import JwksCache, TokenRejectedError, bearer_token, verify_access_token
from handlers.upload_request import parse_upload
from tests.property.conftest import TABLE
from tests.sample_events import load
from tests.token_factory import CLIENT_ID, ISSUER, NOW, SigningKey, access_claims, jwks
from tests.unit.conftest import LambdaContext

LIMITS = Limits(max_upload_bytes=64 * 1024, max_line_bytes=4 * 1024)
WHITESPACE = " \t\u00a0\u2003\u3000\x85\u2028"
ALPHABET = st.sampled_from([*list("ab é€😀\t\r\n\u2028\u2029\x85\x0b\x0c\x1c\x00\ufeff"), " "])
texts = st.text(alphabet=ALPHABET, max_size=300) | st.text(max_size=200)


def oracle_lines(text: str) -> list[str]:
    """The contract's line rules read independently: scan, break at CR, LF, CRLF."""
    text = text[1:] if text.startswith("\ufeff") else text
    lines, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch in "\r\n":
            lines.append("".join(current))
            current = []
            if ch == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
        else:
            current.append(ch)
        i += 1
    lines.append("".join(current))
    return [line.strip() for line in lines if line.strip()]


def has_forbidden_control(text: str) -> bool:
    return any(ord(c) < 0x20 and c not in "\t\r\n" for c in text)


@given(texts)
def test_stored_lines_equal_the_oracle_in_order(text: str) -> None:
    body = text.encode("utf-8")
    assume(body)
    expected = oracle_lines(text)
    try:
        got = parse_lines(body, LIMITS)
    except Rejection as rejection:
        if has_forbidden_control(text):
            assert rejection.kind is RejectionKind.INVALID_TEXT
        else:
            assert rejection.kind is RejectionKind.NO_CONTENT
            assert expected == []
        return
    assert not has_forbidden_control(text)
    assert got == expected


@given(st.binary(max_size=200))
def test_invalid_utf8_offset_names_the_first_bad_byte(body: bytes) -> None:
    try:
        parse_lines(body, LIMITS)
    except Rejection as rejection:
        if rejection.kind is RejectionKind.INVALID_TEXT and "not valid UTF-8" in rejection.detail:
            offset = int(rejection.detail.rsplit("byte offset ", 1)[1].rstrip("."))
            body[:offset].decode("utf-8")  # everything before the offset is valid
            with pytest.raises(UnicodeDecodeError):
                body[: offset + 4].decode("utf-8")


@given(st.integers(min_value=1, max_value=200), st.integers(min_value=1, max_value=200))
def test_a_line_passes_exactly_when_within_the_line_limit(length: int, limit: int) -> None:
    limits = Limits(max_upload_bytes=10_000, max_line_bytes=limit)
    body = b"\n\r\n" + b"x" * length
    if length <= limit:
        assert parse_lines(body, limits)[-1] == "x" * length
    else:
        with pytest.raises(Rejection) as caught:
            parse_lines(body, limits)
        assert caught.value.kind is RejectionKind.LINE_TOO_LONG


def event_for(body: bytes, base64_encoded: bool, owner: str = "owner") -> dict[str, Any]:
    event = load("post_upload")
    event["requestContext"]["authorizer"]["sub"] = owner
    event["isBase64Encoded"] = base64_encoded
    event["body"] = (
        base64.b64encode(body).decode() if base64_encoded else body.decode("utf-8", "surrogatepass")
    )
    return event


def outcome(event: dict[str, Any]) -> Any:
    try:
        return parse_upload(event, LIMITS)
    except Rejection as rejection:
        return (rejection.kind, rejection.detail)


@given(texts)
def test_raw_and_base64_bodies_give_identical_results(text: str) -> None:
    body = text.encode("utf-8")
    assert outcome(event_for(body, True)) == outcome(event_for(body, False))


@given(
    # Kept lines: stripped, not empty, no line break inside (what parse_lines returns).
    st.lists(
        st.text(min_size=1, max_size=40).map(str.strip).filter(lambda s: s and "\n" not in s),
        min_size=1,
        max_size=50,
    ),
    st.text(min_size=1, max_size=20),
    st.text(min_size=1, max_size=20),
)
def test_same_input_same_ids_and_items_other_owner_other_id(
    lines: list[str], owner: str, other: str
) -> None:
    body = "\n".join(lines).encode()
    first = build_upload(owner, "n", body, lines)
    again = build_upload(owner, "n", body, list(lines))
    assert first == again
    assert [chunk_item(first, c) for c in first.chunks] == [
        chunk_item(again, c) for c in again.chunks
    ]
    assert meta_item(first, "t", "COMPLETE") == meta_item(again, "t", "COMPLETE")
    if other != owner:
        assert build_upload(other, "n", body, lines).upload_id != first.upload_id


line_lists = st.lists(
    st.text(
        alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
        min_size=1,
        max_size=3000,
    ),
    min_size=1,
    max_size=60,
)


@given(line_lists, st.integers(min_value=1, max_value=20_000))
def test_packed_items_stay_bounded_and_reassemble_exactly(lines: list[str], target: int) -> None:
    lines = [line for line in lines if line.strip()] or ["x"]
    body = "\n".join(lines).encode("utf-8")
    upload = build_upload("owner", None, body, lines)
    rebuilt: list[str] = []
    for chunk in pack_lines(lines, target):
        item = chunk_item(upload, chunk)
        assert item_size(item) <= ITEM_SIZE_BOUND
        assert chunk.first == len(rebuilt) + 1
        rebuilt += chunk_lines(item)
        assert len(chunk.lines) == 1 or len("\n".join(chunk.lines).encode("utf-8")) <= target
    assert rebuilt == lines


@given(
    st.lists(
        st.text(alphabet="abcdef ", min_size=1, max_size=200).map(str.strip).filter(bool),
        min_size=1,
        max_size=3000,
    )
)
def test_write_units_stay_near_the_byte_floor(lines: list[str]) -> None:
    body = "\n".join(lines).encode()
    upload = build_upload("owner", "name", body, lines)
    items = [chunk_item(upload, c) for c in upload.chunks]
    items.append(meta_item(upload, "2026-11-27T00:00:00.000Z", "COMPLETE"))
    floor = -(-len(body) // 1024)
    # Each item rounds up to a whole KiB and carries its keys: at most 2 units of overhead.
    assert sum(write_units(i) for i in items) <= floor + 2 * len(items)


bodies = st.binary(max_size=400) | texts.map(lambda t: t.encode("utf-8"))
content_types = st.sampled_from(
    [
        "text/plain",
        "text/plain; charset=utf-8",
        "text/plain; charset=latin-1",
        "application/octet-stream",
        None,
    ]
)


@given(bodies, content_types, st.booleans())
def test_any_body_is_stored_or_rejected_with_exactly_one_4xx(
    dynamodb: Any, body: bytes, content_type: str | None, encoded: bool
) -> None:
    event = event_for(body, True)
    if not encoded:
        event = event_for(body, False) if _is_text(body) else event
    event["headers"].pop("Content-Type")
    if content_type:
        event["headers"]["Content-Type"] = content_type
    response = processor.handler(event, LambdaContext())
    status = response["statusCode"]
    payload = json.loads(response["body"])
    if status in (200, 201):
        assert payload["status"] == "COMPLETE"
    else:
        assert 400 <= status < 500
        assert response["headers"]["Content-Type"] == "application/problem+json"
        assert payload["status"] == status


def _is_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class RecordingClient:
    def __init__(self, real: Any):
        self.real = real
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_item(self, **kwargs: Any) -> Any:
        self.writes += 1
        return self.real.put_item(**kwargs)

    def batch_write_item(self, **kwargs: Any) -> Any:
        self.writes += 1
        return self.real.batch_write_item(**kwargs)


@given(
    st.lists(
        st.text(alphabet="xyz 0123", min_size=1, max_size=80).map(str.strip).filter(bool),
        min_size=1,
        max_size=200,
    ),
    st.text(min_size=1, max_size=8),
)
def test_a_replay_writes_nothing_new(dynamodb: Any, lines: list[str], owner: str) -> None:
    body = "\n".join(lines).encode()
    upload = build_upload(owner, "n", body, lines)
    processor.store_upload(UploadWriter(dynamodb, TABLE), upload, "req-1")
    before = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"UPLOAD#{upload.upload_id}"}},
    )
    recording = RecordingClient(dynamodb)
    replay = processor.store_upload(UploadWriter(recording, TABLE), upload, "req-2")
    after = dynamodb.query(
        TableName=TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"UPLOAD#{upload.upload_id}"}},
    )
    assert replay.created is False
    assert recording.writes == 1  # the one conditional put, refused
    assert after["Items"] == before["Items"]
    assert any(i["sk"]["S"] == META_SK for i in after["Items"])


KEY = SigningKey("prop-key")
TOKEN = KEY.sign(access_claims())
CONFIG = AuthSettings(ISSUER, CLIENT_ID, "u", None, 0)
JWKS_DOC = jwks(KEY)


@given(st.integers(min_value=0, max_value=len(TOKEN) - 1), st.integers(min_value=1, max_value=255))
def test_any_single_byte_mutation_of_a_valid_token_is_rejected(position: int, delta: int) -> None:
    raw = bytearray(TOKEN.encode())
    raw[position] = (raw[position] + delta) % 256
    mutated = raw.decode("latin-1")
    cache = JwksCache("u", lambda _url: JWKS_DOC, lambda: 0.0)
    try:
        token = bearer_token({"Authorization": f"Bearer {mutated}"})
        claims = verify_access_token(token, CONFIG, cache, NOW)
    except TokenRejectedError:
        return
    # base64url has slack in its last character: a mutation there can decode to the same bytes.
    assert base64.urlsafe_b64decode(_pad(mutated.split(".")[2])) == base64.urlsafe_b64decode(
        _pad(TOKEN.split(".")[2])
    )
    assert claims == access_claims()


def _pad(segment: str) -> str:
    return segment + "=" * (-len(segment) % 4)


@given(
    st.text(max_size=300)
    | st.binary(max_size=300).map(lambda b: base64.urlsafe_b64encode(b).decode())
)
def test_any_cursor_is_accepted_for_its_owner_or_refused_as_400(cursor: str) -> None:
    try:
        key = cursors.list_start_key(cursor, "owner")
    except Rejection as rejection:
        assert rejection.kind is RejectionKind.BAD_CURSOR
        return
    assert key["gsi1pk"] == "OWNER#owner"


@given(st.integers(min_value=1, max_value=10**6), st.from_regex(r"[0-9a-f]{32}", fullmatch=True))
def test_line_cursors_round_trip_only_for_their_upload(line: int, upload_id: str) -> None:
    cursor = cursors.line_cursor(upload_id, line)
    assert cursors.line_start(cursor, upload_id, 10**6) == line
    with pytest.raises(Rejection):
        cursors.line_start(
            cursor, "f" * 31 + "e" if upload_id != "f" * 31 + "e" else "0" * 32, 10**6
        )


def joined_bytes(lines: tuple[str, ...]) -> int:
    return len("\n".join(lines).encode("utf-8"))


@given(
    st.lists(st.text(alphabet="aé😀", min_size=1, max_size=12), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=40),
)
def test_packing_is_tight_and_bounded_at_the_scale_of_the_target(
    lines: list[str], target: int
) -> None:
    """Lines of about the target's size: every chunk within it (or a lone line), and
    no chunk could have taken the next chunk's first line."""
    chunks = list(pack_lines(lines, target))
    assert [line for chunk in chunks for line in chunk.lines] == lines
    for chunk, after in itertools.pairwise(chunks):
        assert joined_bytes(chunk.lines) + 1 + joined_bytes(after.lines[:1]) > target
        assert after.first == chunk.first + len(chunk.lines)
    for chunk in chunks:
        assert len(chunk.lines) == 1 or joined_bytes(chunk.lines) <= target
