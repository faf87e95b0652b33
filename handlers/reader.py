"""GET /dataproc and GET /dataproc/{uploadId}: the caller's complete uploads, paginated.

Someone else's upload, an incomplete one and a missing one all answer the same
404: existence does not leak.
"""

from __future__ import annotations

import os
from typing import Any

from handlers import aws_clients, cursors, settings
from handlers.observability import logger as make_logger
from handlers.problems import Rejection, RejectionKind, json_response, problem_response
from handlers.proxy_event import ProxyEvent, caller, path_param, query_param, request_id
from handlers.records import STATUS_COMPLETE, Item, chunk_lines
from handlers.storage import UploadReader

logger = make_logger("reader")

LIST_LIMIT = (20, 100)  # (default, maximum) uploads per page
LINES_LIMIT = (1000, 10000)  # (default, maximum) lines per page
CHUNKS_PER_QUERY = 4
PUBLIC_FIELDS = ("uploadId", "name", "lines", "bytes", "sha256", "status", "createdAt")


def page_size(event: ProxyEvent, bounds: tuple[int, int]) -> int:
    raw = query_param(event, "limit")
    if raw is None:
        return bounds[0]
    if not raw.isdigit() or not 1 <= int(raw) <= bounds[1]:
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
    lines = read_lines(store, upload_id, start, limit)
    after = start + len(lines)
    next_cursor = cursors.line_cursor(upload_id, after) if after <= total else None
    return {**public(meta), "firstLine": start, "data": lines, "nextCursor": next_cursor}


def read_lines(store: UploadReader, upload_id: str, start: int, limit: int) -> list[str]:
    """Up to ``limit`` lines from line number ``start``, across as many chunks as needed."""
    chunk = store.chunk_at(upload_id, start)
    chunks = [chunk] if chunk else []
    out: list[str] = []
    skip = start - int(chunk["first"]) if chunk else 0
    while chunks:
        for item in chunks:
            out.extend(chunk_lines(item)[skip:][: limit - len(out)])
            skip = 0
            if len(out) >= limit:
                return out
        last = chunks[-1]
        chunks = store.chunks_from(
            upload_id, int(last["first"]) + int(last["count"]), CHUNKS_PER_QUERY
        )
    return out


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
