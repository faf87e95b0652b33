"""benchmarks/waterfall.py's accounting: an upload's hops split into segments that add
up to the client's round trip, with overlapping calls counted once."""

from __future__ import annotations

import pytest

from benchmarks.waterfall import SEGMENTS, split, union_ns

MS = 1_000_000


def test_overlapping_intervals_are_counted_once() -> None:
    assert union_ns([(0, 10), (5, 20), (30, 40), (32, 35)]) == 30
    assert union_ns([]) == 0


def test_an_upload_splits_into_segments_that_add_up_to_its_round_trip() -> None:
    events = [
        (1 * MS, "GatewayRequestHandler.arrive"),
        (2 * MS, "invoke:proc.in"),
        (3 * MS, "next.sent"),
        (4 * MS, "in-process.in"),  # the stack's own background call: no one's segment
        (5 * MS, "edge.in"),
        (5 * MS, "in-process.out"),
        (6 * MS, "moto:PutItem.in"),
        (7 * MS, "edge.in"),  # a second call overlapping the first
        (8 * MS, "moto:PutItem.out"),
        (9 * MS, "moto:BatchWriteItem.in"),
        (10 * MS, "moto:BatchWriteItem.out"),
        (10 * MS, "edge-call.out"),
        (11 * MS, "edge-call.out"),
        (13 * MS, "runtime.post"),
        (14 * MS, "RuntimeApiHandler.arrive"),  # the worker's next GET, not its outcome
        (15 * MS, "invoke:proc.out"),
        (16 * MS, "sent.in"),
    ]
    segments = split(sorted(events), 0, 17 * MS, "proc")
    assert segments == pytest.approx(
        {
            "client": 1 + 1,  # to the gateway, and from its answer back
            "gateway": 1 + 1,  # to the invoke, and from its end to the answer
            "runtime": 1 + 2,  # to the worker, and from its post to the invoke's end
            "function": 10 - 6,  # the worker's time less the edge's calls (5 to 11)
            "edge": 6 - 3,  # 5 to 11 less the emulator's 6-8 and 9-10
            "emulator": 3,
        }
    )
    assert set(segments) == set(SEGMENTS)
    assert sum(segments.values()) == pytest.approx(17)
