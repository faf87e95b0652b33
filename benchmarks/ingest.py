"""The ingest figure: a 4 MiB upload over HTTP against its floor, raw packed
``BatchWriteItem`` calls of the same chunks straight into the same emulator.

    python benchmarks/ingest.py [--rounds 9] [--json]

(alone, it starts a stack of its own; ``measure.py`` calls :func:`measure`). A round
posts a fresh body (its first line differs, so no round is a replay), then writes
the chunks of another fresh body from this process with ``BatchWriteItem``, 25
items a call, one call after another. The figure is the median of the rounds'
ratios: on a shared machine one round can be off by half either way.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.records import build_upload, chunk_item, meta_item, write_units  # noqa: E402
from handlers.storage import to_attributes  # noqa: E402
from handlers.text_rules import Limits, parse_lines  # noqa: E402
from localenv import emulator  # noqa: E402

BATCH = 25
BIG_FILE_BYTES = 4 * 1024 * 1024 - 64


def big_file(tag: str = "") -> bytes:
    """~4 MiB of CSV lines (150,000 at most); ``tag`` makes its first line unique."""
    lines = [
        f"{n:08d},sensor-{n % 97:02d},{(n * 7919) % 100000 / 100:.2f},ok" for n in range(150_000)
    ]
    body = ((f"tag,{tag}\n" if tag else "") + "\n".join(lines) + "\n").encode()
    return body[:BIG_FILE_BYTES].rsplit(b"\n", 1)[0] + b"\n"


def dynamodb_client(outputs: dict[str, Any]) -> Any:
    return emulator.session(outputs["Region"]).client(
        "dynamodb", endpoint_url=outputs["AwsEndpointUrl"]
    )


def chunk_items(body: bytes) -> list[dict[str, str | int]]:
    upload = build_upload(f"bench-{uuid.uuid4()}", None, body, parse_lines(body, Limits()))
    return [chunk_item(upload, chunk) for chunk in upload.chunks]


def raw_batch_seconds(dynamodb: Any, table: str, body: bytes) -> float:
    """The floor: the body's chunks in 25-item BatchWriteItem calls, one after another."""
    items = chunk_items(body)
    started = time.perf_counter()
    for start in range(0, len(items), BATCH):
        batch = items[start : start + BATCH]
        dynamodb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": to_attributes(i)}} for i in batch]}
        )
    return time.perf_counter() - started


def post_seconds(session: requests.Session, url: str, body: bytes) -> float:
    started = time.perf_counter()
    response = session.post(url, data=body, headers={"Content-Type": "text/plain"}, timeout=120)
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"the ingest upload answered {response.status_code}, not 201")
    return elapsed


def rounds(session: requests.Session, outputs: dict[str, Any], count: int) -> list[list[float]]:
    """[HTTP seconds, raw batch seconds] of each round."""
    dynamodb = dynamodb_client(outputs)
    samples = []
    for _ in range(count):
        http = post_seconds(session, outputs["ApiEndpoint"], big_file(uuid.uuid4().hex))
        raw = raw_batch_seconds(dynamodb, outputs["TableName"], big_file(uuid.uuid4().hex))
        samples.append([http, raw])
    return samples


def put_per_line_seconds(dynamodb: Any, table: str, lines: list[str]) -> float:
    """PutItem per line for 5,000 lines, scaled to all of them."""
    sample = lines[:5000]
    pk = f"LINE#{uuid.uuid4()}"
    started = time.perf_counter()
    for n, line in enumerate(sample):
        dynamodb.put_item(
            TableName=table,
            Item={"pk": {"S": pk}, "sk": {"S": f"{n:010d}"}, "text": {"S": line}},
        )
    return (time.perf_counter() - started) * len(lines) / len(sample)


def write_costs(body: bytes, lines: list[str]) -> dict[str, float]:
    """Write units per MiB: the upload's items, the byte floor, one item per line."""
    upload = build_upload("bench", None, body, lines)
    units = sum(write_units(chunk_item(upload, c)) for c in upload.chunks)
    units += write_units(meta_item(upload, "t", "COMPLETE"))
    per_line = sum(write_units({"pk": "LINE#x", "sk": "0" * 10, "text": line}) for line in lines)
    mib = len(body) / 1024 / 1024
    return {
        "write_units_per_mib": units / mib,
        "floor_units_per_mib": -(-len(body) // 1024) / mib,
        "per_line_write_units_per_mib": per_line / mib,
    }


def measure(session: requests.Session, outputs: dict[str, Any], count: int) -> dict[str, Any]:
    """The ingest results: medians over ``count`` interleaved rounds, and write costs."""
    samples = rounds(session, outputs, count)
    body = big_file()
    lines = parse_lines(body, Limits())
    http = statistics.median(s[0] for s in samples)
    raw = statistics.median(s[1] for s in samples)
    mib = len(body) / 1024 / 1024
    put = put_per_line_seconds(dynamodb_client(outputs), outputs["TableName"], lines)
    return {
        "bytes": len(body),
        "lines": len(lines),
        "rounds": count,
        "http_s_rounds": [s[0] for s in samples],
        "batch_s_rounds": [s[1] for s in samples],
        "http_lines_per_s": len(lines) / http,
        "http_mib_per_s": mib / http,
        "batch_lines_per_s": len(lines) / raw,
        "http_vs_batch": statistics.median(s[1] / s[0] for s in samples),
        "put_per_line_lines_per_s": len(lines) / put,
        **write_costs(body, lines),
    }


def main() -> int:
    from benchmarks import measure as stack  # noqa: PLC0415 - measure imports this module

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as base_name:
        base = Path(base_name)
        root = stack.fresh_project(base)
        _, outputs = stack.up(root, base / "state")
        try:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {stack.token(outputs)}"
                post_seconds(session, outputs["ApiEndpoint"], big_file("warm-up"))
                results = measure(session, outputs, args.rounds)
        finally:
            stack.localenv(root, base / "state", "down")
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        ratios = [
            raw / http
            for http, raw in zip(results["http_s_rounds"], results["batch_s_rounds"], strict=True)
        ]
        print(
            f"ingest over HTTP / raw packed BatchWriteItem, median of {args.rounds} rounds: "
            f"{results['http_vs_batch']:.2f}x (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
