"""Opaque pagination cursors: base64url JSON, checked field by field on the way in.

A cursor is the client's to hold, never to trust: anything that does not decode
to exactly the expected shape, or points outside the caller's own data, is a
400 before it reaches DynamoDB.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from handlers.problems import Rejection, RejectionKind
from handlers.records import META_SK, UPLOAD_PK_PREFIX, owner_pk

MAX_CURSOR_CHARS = 2048
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
GSI1SK = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9a-f]{32}")


def encode(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    if len(cursor) > MAX_CURSOR_CHARS:
        raise bad_cursor("is too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        # RecursionError: deeply nested brackets, which json.loads parses recursively.
        raise bad_cursor("does not decode") from exc
    if not isinstance(payload, dict):
        raise bad_cursor("has the wrong shape")
    return payload


def bad_cursor(why: str) -> Rejection:
    return Rejection(RejectionKind.BAD_CURSOR, f"The cursor {why}; start again without one.")


def list_start_key(cursor: str, owner: str) -> dict[str, str]:
    """The ExclusiveStartKey of an owner-index query, from a cursor we issued to this owner."""
    key = decode(cursor)
    if set(key) != {"pk", "sk", "gsi1pk", "gsi1sk"}:
        raise bad_cursor("has the wrong shape")
    if not all(isinstance(value, str) for value in key.values()):
        raise bad_cursor("has the wrong shape")
    upload_id = key["pk"].removeprefix(UPLOAD_PK_PREFIX)
    if (
        key["gsi1pk"] != owner_pk(owner)
        or key["sk"] != META_SK
        or not key["pk"].startswith(UPLOAD_PK_PREFIX)
        or not UPLOAD_ID.fullmatch(upload_id)
        or not GSI1SK.fullmatch(key["gsi1sk"])
        or not key["gsi1sk"].endswith(upload_id)
    ):
        raise bad_cursor("is not one of yours")
    return {k: str(v) for k, v in key.items()}


def line_cursor(upload_id: str, line: int) -> str:
    return encode({"u": upload_id, "line": line})


def line_start(cursor: str, upload_id: str, total_lines: int) -> int:
    """The first line number (1-based) a lines cursor points at, for this upload."""
    payload = decode(cursor)
    line = payload.get("line")
    if set(payload) != {"u", "line"} or payload.get("u") != upload_id:
        raise bad_cursor("is not for this upload")
    if not isinstance(line, int) or isinstance(line, bool) or not 1 <= line <= total_lines:
        raise bad_cursor("points outside the upload")
    return line
