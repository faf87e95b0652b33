"""Latency against table size: warm GET and upload p50 at 100 / 10,000 / 100,000 items.

The table is filled with realistic items (a COMPLETE metadata item carrying the
owner-index keys plus one chunk item per upload, for many owners) straight into
the emulator with packed ``BatchWriteItem`` calls, then the same GET of one
upload and the same one-line upload are timed at each size.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urljoin

import requests

from handlers.records import build_upload, chunk_item, meta_item
from handlers.storage import to_attributes
from handlers.text_rules import Limits, parse_lines
from localenv import emulator

SIZES = (100, 10_000, 100_000)
BATCH = 25  # BatchWriteItem's limit per call
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html


def filler_items(first: int, count: int) -> list[dict[str, Any]]:
    """``count`` items: pairs of COMPLETE metadata + chunk of other owners' uploads."""
    items: list[dict[str, Any]] = []
    for n in range(first, first + -(-count // 2)):
        body = f"{n:08d},sensor-{n % 97:02d},{n % 1000 / 10:.1f},ok\n".encode()
        upload = build_upload(f"filler-{n % 500}", None, body, parse_lines(body, Limits()))
        items.append(meta_item(upload, f"2026-01-01T00:00:{n % 60:02d}Z", "COMPLETE", "bench"))
        items.extend(chunk_item(upload, c) for c in upload.chunks)
    return items[:count]


def fill(outputs: dict[str, Any], first: int, count: int) -> None:
    dynamodb = emulator.session(outputs["Region"]).client(
        "dynamodb", endpoint_url=outputs["AwsEndpointUrl"]
    )
    items = filler_items(first, count)
    table = outputs["TableName"]
    for start in range(0, len(items), BATCH):
        batch = [{"PutRequest": {"Item": to_attributes(i)}} for i in items[start : start + BATCH]]
        dynamodb.batch_write_item(RequestItems={table: batch})


def p50(samples: list[float]) -> float:
    return sorted(samples)[len(samples) // 2]


def timed(call: Any) -> float:
    started = time.perf_counter()
    response = call()
    response.raise_for_status()
    return (time.perf_counter() - started) * 1000


def at_size(session: requests.Session, url: str, location: str, count: int) -> dict[str, float]:
    get = [timed(lambda: session.get(location, timeout=60)) for _ in range(count)]
    post = [
        timed(lambda: session.post(url, data=f"line {uuid.uuid4()}\n".encode(), timeout=60))
        for _ in range(count)
    ]
    return {"get_p50_ms": p50(get), "upload_p50_ms": p50(post)}


def measure(
    outputs: dict[str, Any], token: str, count: int, sizes: tuple[int, ...] = SIZES
) -> dict[str, dict[str, float]]:
    """Fill the table step by step and time at each size; the table's own uploads
    (``count`` per size) are few next to the filler."""
    url = outputs["ApiEndpoint"]
    results: dict[str, dict[str, float]] = {}
    filled = 0
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        session.headers["Content-Type"] = "text/plain"
        created = session.post(url, data=f"read by every GET {uuid.uuid4()}\n".encode(), timeout=60)
        created.raise_for_status()
        location = urljoin(url, created.headers["Location"])
        for size in sizes:
            fill(outputs, filled, size - filled)
            filled = size
            results[str(size)] = at_size(session, url, location, count)
    return results
