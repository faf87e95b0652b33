"""Cursor rules one at a time (issue 16, gap 7): each forged condition alone is a 400."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from handlers import cursors
from handlers.problems import Rejection, RejectionKind

OWNER = "alice"
UID = "0123456789abcdef0123456789abcdef"
VALID = {
    "pk": f"UPLOAD#{UID}",
    "sk": "META",
    "gsi1pk": f"OWNER#{OWNER}",
    "gsi1sk": f"2026-11-27T10:00:00.000Z#{UID}",
}


def forged(payload: Any) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def refused(call: Any, *args: Any) -> str:
    with pytest.raises(Rejection) as caught:
        call(*args)
    assert caught.value.kind is RejectionKind.BAD_CURSOR
    return caught.value.detail


def test_a_cursor_we_issued_round_trips() -> None:
    assert cursors.list_start_key(cursors.encode(VALID), OWNER) == VALID


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("gsi1pk", "OWNER#bob"),
        ("sk", "CHUNK#0000000001"),
        ("pk", UID),
        ("pk", f"UPLOAD#{UID.upper()}"),
        ("pk", f"UPLOAD#{UID[:-1]}"),
        ("pk", f"UPLOAD#{UID}0"),
        ("gsi1sk", f"2026-11-27T10:00:00Z#{UID}"),
        ("gsi1sk", f"2026-11-27 10:00:00.000Z#{UID}"),
        ("gsi1sk", f"2026-11-27T10:00:00.000Z#{'f' * 32}"),
        ("gsi1sk", f"x2026-11-27T10:00:00.000Z#{UID}"),
        ("gsi1sk", f"2026-11-27T10:00:00.000Z#{UID}x"),
    ],
)
def test_each_forged_field_alone_is_refused(field: str, value: str) -> None:
    detail = refused(cursors.list_start_key, forged({**VALID, field: value}), OWNER)
    assert "not one of yours" in detail


@pytest.mark.parametrize(
    "payload",
    [{**VALID, "extra": "x"}, {k: v for k, v in VALID.items() if k != "sk"}, {**VALID, "sk": 1}],
)
def test_a_list_cursor_of_the_wrong_shape_is_refused(payload: dict[str, Any]) -> None:
    assert "wrong shape" in refused(cursors.list_start_key, forged(payload), OWNER)


def test_the_cursor_length_cap_is_2048_characters() -> None:
    assert cursors.MAX_CURSOR_CHARS == 2048
    at_cap = forged({**VALID, "pad": "x" * 2000})[:2048]
    assert "too long" not in refused(cursors.decode, at_cap)
    assert "too long" in refused(cursors.decode, at_cap + "A")


@pytest.mark.parametrize("payload", [[1], "s", 5, None])
def test_a_cursor_that_is_not_an_object_is_refused(payload: Any) -> None:
    assert "wrong shape" in refused(cursors.decode, forged(payload))


@pytest.mark.parametrize(
    "payload",
    [
        {"u": UID, "line": 0},
        {"u": UID, "line": 11},
        {"u": UID, "line": True},
        {"u": UID, "line": 2.0},
        {"u": UID, "line": "2"},
        {"u": "f" * 32, "line": 2},
        {"u": UID, "line": 2, "x": 1},
        {"line": 2},
    ],
)
def test_each_forged_line_cursor_is_refused(payload: dict[str, Any]) -> None:
    refused(cursors.line_start, forged(payload), UID, 10)


def test_line_cursors_at_both_ends_are_accepted() -> None:
    assert cursors.line_start(cursors.line_cursor(UID, 1), UID, 10) == 1
    assert cursors.line_start(cursors.line_cursor(UID, 10), UID, 10) == 10


def test_the_cursor_encoding_is_unpadded_sorted_compact_base64url() -> None:
    assert cursors.line_cursor(UID, 3) == forged({"line": 3, "u": UID})
    assert "=" not in cursors.line_cursor(UID, 3)
