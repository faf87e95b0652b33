"""The requests benchmarks/peer.py sends to both stacks, and their interleaving."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from benchmarks import measure
from localenv import emulator

BIG_LINES = 52_428  # 20-byte lines: 1,048,560 bytes, the largest such body within 1 MiB
# A stack's figure is its samples, or why it has none.
Outcome = list[float] | str


class RequestFailedError(Exception):
    """A stack answered a benchmark request with an unexpected status."""


@dataclass
class Side:
    """A running stack as its clients see it: its API, a token, its table."""

    name: str
    outputs: dict[str, Any]
    session: requests.Session
    upload_id: str = ""

    @property
    def api(self) -> str:
        return str(self.outputs["ApiEndpoint"])


def client(outputs: dict[str, Any]) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {measure.token(outputs)}"
    session.headers["Content-Type"] = "text/plain"
    return session


def timed(side: Side, method: str, url: str, body: bytes | None, expect: int) -> tuple[float, Any]:
    """The milliseconds of one request and its JSON body; a wrong status raises."""
    begun = time.perf_counter()
    response = side.session.request(method, url, data=body, timeout=120)
    ms = (time.perf_counter() - begun) * 1000
    if response.status_code != expect:
        raise RequestFailedError(
            f"{method} answered {response.status_code}: {response.text[:200]!r}"
        )
    return ms, response.json()


def post_line(side: Side, _: int) -> float:
    ms, body = timed(side, "POST", side.api, f"line {uuid.uuid4()}\n".encode(), 201)
    side.upload_id = side.upload_id or str(body["uploadId"])
    return ms


def get_one(side: Side, _: int) -> float:
    ms, body = timed(side, "GET", f"{side.api}/{side.upload_id}", None, 200)
    if body.get("uploadId") != side.upload_id:
        raise RequestFailedError(f"GET answered another upload: {str(body)[:200]}")
    return ms


def big_body(round_number: int) -> bytes:
    """1 MiB of 20-byte lines, different each round (the same body would be a replay)."""
    prefix = f"{round_number % 100:02d}"
    return b"".join(f"{prefix}-{n:016d}\n".encode() for n in range(BIG_LINES))


def post_big(side: Side, round_number: int) -> float:
    return timed(side, "POST", side.api, big_body(round_number), 201)[0]


def interleave(
    sides: list[Side], count: int, request: Callable[[Side, int], float]
) -> dict[str, Outcome]:
    """``count`` rounds of one request to each side, the order alternating each round.
    A side that fails a request is left out of the rest, with the reason."""
    samples: dict[str, list[float]] = {side.name: [] for side in sides}
    failed: dict[str, str] = {}
    for number in range(count):
        for side in sides if number % 2 == 0 else sides[::-1]:
            if side.name in failed:
                continue
            try:
                samples[side.name].append(request(side, number))
            except (RequestFailedError, requests.RequestException) as exc:
                failed[side.name] = str(exc)
    return {name: failed.get(name, values) for name, values in samples.items()}


def item_count(side: Side) -> int:
    dynamodb = emulator.session(side.outputs["Region"]).client(
        "dynamodb", endpoint_url=side.outputs["AwsEndpointUrl"]
    )
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=side.outputs["TableName"], Select="COUNT"
    )
    return sum(int(page["Count"]) for page in pages)
