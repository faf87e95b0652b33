"""GET /dataproc and GET /dataproc/{uploadId}: the caller's complete uploads, paginated.

Someone else's upload, an incomplete one and a missing one all answer the same
404: existence does not leak.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from handlers import aws_clients, cursors, settings
from handlers.observability import logger as make_logger
from handlers.problems import Rejection, RejectionKind, json_response, problem_response
from handlers.proxy_event import ProxyEvent, caller, path_param, query_param, request_id
from handlers.records import STATUS_COMPLETE, Item, chunk_lines, has_inline_lines
from handlers.storage import UploadReader

logger = make_logger("reader")

LIST_LIMIT = (20, 100)  # (default, maximum) uploads per page
LINES_LIMIT = (1000, 10000)  # (default, maximum) lines per page
CHUNKS_PER_QUERY = 4
PUBLIC_FIELDS = ("uploadId", "name", "lines", "bytes", "sha256", "status", "createdAt")
# ASCII digits only: str.isdigit and int() also take "²" and "١٢". Five digits
# cover every bound and keep int() far from its 4,300-digit limit.
ASCII_LIMIT = re.compile(r"[0-9]{1,5}")
# A synchronous Lambda response is at most 6 MB, proxy envelope included; over it
# API Gateway answers 502. A page stops short of it, with room for the cursor.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
RESPONSE_MAX_BYTES = 6 * 1000 * 1000
CURSOR_RESERVE_BYTES = 256


class MissingLinesError(Exception):
    """The stored chunks do not cover a line the metadata counts: the store is inconsistent."""


def page_size(event: ProxyEvent, bounds: tuple[int, int]) -> int:
    raw = query_param(event, "limit")
    if raw is None:
        return bounds[0]
    if not ASCII_LIMIT.fullmatch(raw) or not 1 <= int(raw) <= bounds[1]:
        raise Rejection(RejectionKind.BAD_LIMIT, f"limit must be an integer from 1 to {bounds[1]}.")
    return int(raw)


def public(meta: Item) -> dict[str, Any]:
    return {field: meta.get(field) for field in PUBLIC_FIELDS}


def list_uploads(store: UploadReader, event: ProxyEvent, owner: str) -> dict[str, Any]:
    limit = page_size(event, LIST_LIMIT)
    raw_cursor = query_param(event, "cursor")
    start = cursors.list_start_key(raw_cursor, owner) if raw_cursor else None
    page = store.list_uploads(owner, limit, start)
    uploads = [public(item) for item in page.items if item.get("status") == STATUS_COMPLETE]
    next_cursor = cursors.encode(dict(page.last_key)) if page.last_key else None
    return {"uploads": uploads, "nextCursor": next_cursor}


def visible_meta(store: UploadReader, upload_id: str, owner: str) -> Item:
    meta = store.get_meta(upload_id) if cursors.UPLOAD_ID.fullmatch(upload_id) else None
    if meta is None or meta.get("owner") != owner or meta.get("status") != STATUS_COMPLETE:
        raise Rejection(RejectionKind.NOT_FOUND, f"No upload {upload_id!r} of yours.")
    return meta


def get_upload(
    store: UploadReader, event: ProxyEvent, owner: str, upload_id: str
) -> dict[str, Any]:
    meta = visible_meta(store, upload_id, owner)
    limit = page_size(event, LINES_LIMIT)
    total = int(meta["lines"])
    raw_cursor = query_param(event, "cursor")
    start = cursors.line_start(raw_cursor, upload_id, total) if raw_cursor else 1
    page = {**public(meta), "firstLine": start, "data": [], "nextCursor": None}
    budget = PageBudget(RESPONSE_MAX_BYTES - CURSOR_RESERVE_BYTES - envelope_bytes(page))
    lines = read_lines(store, meta, start, min(limit, total - start + 1), budget)
    after = start + len(lines)
    next_cursor = cursors.line_cursor(upload_id, after) if after <= total else None
    return {**page, "data": lines, "nextCursor": next_cursor}


def envelope_bytes(body: dict[str, Any]) -> int:
    """Size of the proxy response carrying ``body``, as the Lambda runtime sends it."""
    response = json_response(200, body)
    return len(json.dumps(response, ensure_ascii=False).encode("utf-8"))


class PageBudget:
    """Bytes left in the response; a line costs what it adds once escaped twice.

    The page is JSON inside the proxy response's ``body`` string, so each line is
    escaped once in the page and once more in the envelope.
    """

    def __init__(self, left: int):
        self.left = left

    def take(self, line: str) -> bool:
        inner = json.dumps(line, ensure_ascii=False)
        cost = len(json.dumps(inner, ensure_ascii=False).encode("utf-8")) - 2 + 1
        self.left -= cost
        return self.left >= 0


def read_lines(
    store: UploadReader, meta: Item, start: int, wanted: int, budget: PageBudget
) -> list[str]:
    """Lines ``start`` .. ``start + wanted - 1`` (fewer if the budget runs out; never none).

    An upload stored by one put carries its lines in ``meta``, read already: no query.
    Otherwise only chunks that continue exactly at the next line are read: a retried
    upload whose chunk size changed leaves stale chunks in between, and they are skipped.
    """
    upload_id = str(meta["uploadId"])
    chunk = meta if has_inline_lines(meta) else store.chunk_at(upload_id, start)
    if chunk is None or int(chunk["first"]) + int(chunk["count"]) <= start:
        raise MissingLinesError(f"no chunk holds line {start} of {upload_id}")
    out: list[str] = []
    lines = chunk_lines(chunk)[start - int(chunk["first"]) :]
    while take_lines(out, lines, wanted, budget):
        after = start + len(out)
        lines = contiguous_lines(store.chunks_from(upload_id, after, CHUNKS_PER_QUERY), after)
    return out


def take_lines(out: list[str], lines: list[str], wanted: int, budget: PageBudget) -> bool:
    """Append what fits; whether the page wants more lines after these."""
    for line in lines[: wanted - len(out)]:
        if not budget.take(line) and out:
            return False
        out.append(line)
    return len(out) < wanted


def contiguous_lines(chunks: list[Item], line: int) -> list[str]:
    """The lines of the chunks that continue one another from line number ``line``."""
    lines: list[str] = []
    for chunk in chunks:
        first = int(chunk["first"])
        if first > line + len(lines):
            break
        if first == line + len(lines):
            lines += chunk_lines(chunk)
    if not lines:
        raise MissingLinesError(f"no chunk starts at line {line}")
    return lines


def reader() -> UploadReader:
    return UploadReader(aws_clients.dynamodb(), settings.required(os.environ, settings.TABLE_NAME))


@logger.inject_lambda_context(clear_state=True)
def handler(event: ProxyEvent, context: Any) -> dict[str, Any]:
    rid = request_id(event, context.aws_request_id)
    owner = caller(event)
    upload_id = path_param(event, "uploadId")
    logger.append_keys(api_request_id=rid, owner=owner, upload_id=upload_id)
    try:
        if upload_id is None:
            return json_response(200, list_uploads(reader(), event, owner))
        return json_response(200, get_upload(reader(), event, owner, upload_id))
    except Rejection as rejection:
        logger.info("read refused", extra={"reason": rejection.kind.name})
        return problem_response(rejection, rid)
