"""The load run's client: uploads with retries, the read-back and the records check.

A bounded client of our own rather than Locust: the run must stop by itself after
a fixed number of uploads, retry exactly as the issue says (429/5xx, honouring
``Retry-After``), keep every body to read it back byte for byte, and run inside
the test suite without a web UI, gevent or a second process.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import requests

from localenv import emulator

MAX_BODY = 2 * 1024 * 1024  # 2 MiB, the largest upload of the run
MAX_ATTEMPTS = 20
RETRIED = {429, 500, 502, 503, 504}


class LoadError(Exception):
    """An upload the API refused for good, or a run that ran out of attempts or time."""


@dataclass(frozen=True)
class Sample:
    at: float  # seconds since the run started
    ms: float
    status: int


@dataclass
class Upload:
    index: int
    body: bytes
    lines: list[str]
    upload_id: str = ""


@dataclass
class Recorder:
    started: float = field(default_factory=time.monotonic)
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, session: requests.Session, method: str, url: str, **kw: Any) -> Any:
        begun = time.monotonic()
        response = session.request(method, url, timeout=120, **kw)
        sample = Sample(
            begun - self.started, (time.monotonic() - begun) * 1000, response.status_code
        )
        with self.lock:
            self.samples.append(sample)
        return response

    def status_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(str(s.status) for s in self.samples).items()))


def upload_body(index: int, draw: random.Random) -> Upload:
    """1 line up to 2 MiB, sizes spread evenly on a log scale; every line unique."""
    target = 1 if index == 0 else int(2 ** draw.uniform(4, 21))
    lines: list[str] = []
    size = 0
    while size < max(target, 1) and size < MAX_BODY - 64:
        line = f"u{index:04d} l{len(lines):07d} x" + "x" * draw.randint(0, 40)
        lines.append(line)
        size += len(line) + 1
    return Upload(index, ("\n".join(lines) + "\n").encode(), lines)


def uploads(count: int, seed: int) -> list[Upload]:
    draw = random.Random(seed)  # noqa: S311 - sizes, not secrets
    return [upload_body(i, draw) for i in range(count)]


def pause(response: requests.Response, attempt: int) -> float:
    """Retry-After when the answer has one, else capped exponential backoff with jitter."""
    given = response.headers.get("Retry-After")
    if given and given.isdigit():
        return float(given)
    backoff: float = min(0.05 * 2.0**attempt, 4.0)
    return backoff * random.uniform(0.5, 1.0)  # noqa: S311


def retried(recorder: Recorder, session: requests.Session, method: str, url: str, **kw: Any) -> Any:
    """One request, retried on 429/5xx (the local runtime, like Lambda, throttles past its
    concurrency: API Gateway's 500) with Retry-After or backoff; the last answer."""
    seen: list[str] = []
    for attempt in range(MAX_ATTEMPTS):
        response = recorder.timed(session, method, url, **kw)
        if response.status_code not in RETRIED:
            return response
        seen.append(f"{response.status_code} {response.text[:120]}")
        time.sleep(pause(response, attempt))
    raise LoadError(f"{method} {url}: {MAX_ATTEMPTS} attempts, got {seen}")


def send(recorder: Recorder, session: requests.Session, url: str, upload: Upload) -> None:
    params = {"name": f"load-{upload.index}.txt"}
    headers = {"Content-Type": "text/plain"}
    response = retried(
        recorder, session, "POST", url, data=upload.body, params=params, headers=headers
    )
    if response.status_code not in {200, 201}:
        raise LoadError(f"upload {upload.index}: {response.status_code} {response.text}")
    upload.upload_id = response.json()["uploadId"]


def read_back(recorder: Recorder, session: requests.Session, url: str, upload_id: str) -> list[str]:
    collected: list[str] = []
    cursor = ""
    while True:
        params = {"limit": "10000", **({"cursor": cursor} if cursor else {})}
        page = retried(recorder, session, "GET", f"{url}/{upload_id}", params=params)
        if page.status_code != 200:
            raise LoadError(f"read-back of {upload_id}: {page.status_code} {page.text}")
        collected += page.json()["data"]
        cursor = page.json()["nextCursor"] or ""
        if not cursor:
            return collected


@dataclass
class Check:
    lost_lines: int = 0
    duplicated_lines: int = 0
    bad_order: int = 0
    bad_sha256: int = 0

    def add(self, upload: Upload, got: list[str]) -> None:
        expected, seen = Counter(upload.lines), Counter(got)
        self.lost_lines += sum((expected - seen).values())
        self.duplicated_lines += sum((seen - expected).values())
        self.bad_order += got != upload.lines
        rebuilt = ("\n".join(got) + "\n").encode()
        self.bad_sha256 += hashlib.sha256(rebuilt).digest() != hashlib.sha256(upload.body).digest()


def log_messages(outputs: dict[str, Any], group: str) -> Iterator[str]:
    logs = emulator.session(outputs["Region"]).client(
        "logs", endpoint_url=outputs["AwsEndpointUrl"]
    )
    try:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            yield from (event["message"] for event in page["events"])
    except logs.exceptions.ResourceNotFoundException:
        return


def request_ids(messages: list[str], prefix: str) -> set[str]:
    return {m.split()[2] for m in messages if m.startswith(prefix) and len(m.split()) > 2}


def missing_reports(outputs: dict[str, Any], groups: list[str]) -> int:
    """Invocations (START lines) without their REPORT line."""
    missing = 0
    for group in groups:
        messages = list(log_messages(outputs, group))
        missing += len(
            request_ids(messages, "START RequestId:") - request_ids(messages, "REPORT RequestId:")
        )
    return missing


def wait_for(count: int, measure: Any, timeout: float = 60.0) -> int:
    """The log shipper batches: wait (bounded) until ``measure()`` reaches ``count``."""
    deadline = time.monotonic() + timeout
    found = measure()
    while found < count and time.monotonic() < deadline:
        time.sleep(1.0)
        found = measure()
    return int(found)
