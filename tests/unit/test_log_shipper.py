"""Function and access logs reach CloudWatch Logs (moto in-process): sorted, retried, all."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localenv.runtime import log_shipper
from localenv.runtime.embedded_logs import EmbeddedLogs
from localenv.runtime.log_shipper import LogShipper, batches

GROUP = "/aws/apigateway/access"
STREAM = "localenv-access"
ACCOUNT = "123456789012"  # moto's default account, the one mock_aws serves


@pytest.fixture
def logs() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("logs", region_name="us-east-1")


def stored(client: Any, group: str = GROUP, stream: str = STREAM) -> list[tuple[int, str]]:
    events = client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    return [(e["timestamp"], e["message"]) for e in events["events"]]


def now_ms() -> int:
    return int(time.time() * 1000)


def test_lines_of_concurrent_requests_are_shipped_sorted_and_none_lost(logs: Any) -> None:
    base = now_ms()
    shipper = LogShipper(logs)
    shipper.start()
    # Requests finish out of order: each logs its own line when it ends.
    for offset in (30, 10, 50, 20, 40, 0):
        shipper(GROUP, STREAM, [(base + offset, f"request at +{offset}")])
    shipper.stop()
    assert shipper.thread is not None
    shipper.thread.join(timeout=30)
    lines = stored(logs)
    assert lines == sorted(lines)
    assert [m for _, m in lines] == [f"request at +{n}" for n in (0, 10, 20, 30, 40, 50)]


class RefusingFirst:
    """A real logs client that refuses the first ``refusals`` PutLogEvents calls."""

    def __init__(self, real: Any, refusals: int):
        self.real, self.refusals = real, refusals
        self.exceptions = real.exceptions

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def put_log_events(self, **kwargs: Any) -> Any:
        if self.refusals:
            self.refusals -= 1
            raise self.real.exceptions.ServiceUnavailableException(
                {"Error": {"Code": "ServiceUnavailableException", "Message": "busy"}},
                "PutLogEvents",
            )
        return self.real.put_log_events(**kwargs)


def test_a_refused_batch_is_retried_until_it_lands(logs: Any) -> None:
    sleeps: list[float] = []
    shipper = LogShipper(RefusingFirst(logs, refusals=2), sleep=sleeps.append)
    base = now_ms()
    shipper.ship(GROUP, STREAM, [(base + 1, "b"), (base, "a")])
    assert stored(logs) == [(base, "a"), (base + 1, "b")]
    assert sleeps == [log_shipper.RETRY_BASE_SECONDS, log_shipper.RETRY_BASE_SECONDS * 2]
    shipper.stop()


def test_a_batch_refused_every_time_is_reported_loudly(
    logs: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    with LogShipper(RefusingFirst(logs, refusals=99), sleep=lambda _s: None) as shipper:
        shipper(GROUP, STREAM, [(now_ms(), "x")])
        shipper(GROUP, STREAM, [(now_ms(), "y")])
        shipper.flush()
    assert "lost 2 log lines" in capsys.readouterr().out


def test_batches_are_sorted_and_split_at_the_event_count() -> None:
    lines = [(n % 7, f"m{n}") for n in range(log_shipper.MAX_EVENTS_PER_CALL + 1)]
    split = batches(lines)
    assert [len(b) for b in split] == [log_shipper.MAX_EVENTS_PER_CALL, 1]
    stamps = [e["timestamp"] for b in split for e in b]
    assert stamps == sorted(stamps)


def test_batches_split_at_the_byte_limit_counting_26_bytes_an_event() -> None:
    per_event = 1000 - log_shipper.EVENT_OVERHEAD_BYTES
    fits = log_shipper.MAX_BYTES_PER_CALL // 1000
    lines = [(1, "é" * (per_event // 2))] * (fits + 1)
    assert [len(b) for b in batches(lines)] == [fits, 1]


def test_batches_span_at_most_24_hours() -> None:
    day = log_shipper.MAX_SPAN_MS
    split = batches([(0, "a"), (day, "b"), (day + 1, "c")])
    assert [[e["message"] for e in b] for b in split] == [["a", "b"], ["c"]]


def everything(client: Any, group: str, stream: str) -> dict[str, Any]:
    """What a reader sees of a stream: its events, and the group's and stream's fields."""
    events = client.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    streams = client.describe_log_streams(logGroupName=group)["logStreams"]
    groups = client.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    return {
        "events": [(e["timestamp"], e["message"]) for e in events["events"]],
        "streams": [s["logStreamName"] for s in streams],
        "stored_bytes": [g.get("storedBytes") for g in groups],
    }


def test_the_embedded_emulator_stores_what_the_sdk_calls_store(logs: Any) -> None:
    """A shipper writing into moto's backend in-process leaves what one making SDK calls
    leaves: the same group, stream and events, with an event over 14 days old dropped
    by moto either way, and a stream created once for two shipments."""
    base = now_ms()
    fortnight = 15 * 24 * 3600 * 1000
    lines = [(base + 5, "b"), (base - fortnight, "too old"), (base, "a"), (base + 9, "é\tc")]
    seen = {}
    for group, client in (("/sdk", logs), ("/embedded", EmbeddedLogs(ACCOUNT, "us-east-1"))):
        shipper = LogShipper(client)
        shipper.ship(group, STREAM, lines[:2])
        shipper.ship(group, STREAM, lines[2:])
        seen[group] = everything(logs, group, STREAM)
    assert seen["/embedded"] == seen["/sdk"]
    assert seen["/sdk"]["events"] == [(base, "a"), (base + 5, "b"), (base + 9, "é\tc")]


def test_the_embedded_emulator_refuses_what_the_sdk_call_is_refused(logs: Any) -> None:
    """Events out of order in one call are refused whole, as PutLogEvents refuses them."""
    embedded = EmbeddedLogs(ACCOUNT, "us-east-1")
    embedded.create_log_group(logGroupName="/g")
    embedded.create_log_stream(logGroupName="/g", logStreamName="s")
    with pytest.raises(Exception, match="chronological order"):
        embedded.put_log_events(
            logGroupName="/g",
            logStreamName="s",
            logEvents=[{"timestamp": now_ms(), "message": "b"}, {"timestamp": 1, "message": "a"}],
        )
    with pytest.raises(embedded.exceptions.ResourceAlreadyExistsException):
        embedded.create_log_stream(logGroupName="/g", logStreamName="s")
