"""The deployment watcher reads the emulator once an API Gateway write crossed the edge,
and every interval when calls may bypass the edge (an emulator someone else runs)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from localenv.gateway import deployments
from localenv.gateway.deployments import ApiWrites, DeploymentWatcher, SnapshotStore

TICK = 0.01


class CountingApiGateway:
    """GetStage and GetDeployments answered from memory, counted."""

    def __init__(self) -> None:
        self.reads = 0

    def get_stage(self, **_kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        return {"deploymentId": "d1"}

    def get_deployments(self, **_kwargs: Any) -> dict[str, Any]:
        self.reads += 1
        return {"items": []}


def call(service: str, method: str) -> Any:
    return SimpleNamespace(
        signer=SimpleNamespace(service=service), raw=SimpleNamespace(method=method)
    )


def reads_over(client: CountingApiGateway, ticks: int) -> int:
    before = client.reads
    time.sleep(TICK * ticks)
    return client.reads - before


def reads_reach(client: CountingApiGateway, count: int) -> int:
    """The reads once ``count`` are made (or 10 s have passed), however slow the machine."""
    deadline = time.monotonic() + 10
    while client.reads < count and time.monotonic() < deadline:
        time.sleep(TICK)
    return client.reads


@pytest.fixture(autouse=True)
def fast_ticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deployments, "WATCH_INTERVAL_SECONDS", TICK)


def test_the_emulator_is_read_only_after_an_api_gateway_write(tmp_path: Path) -> None:
    client, writes = CountingApiGateway(), ApiWrites()
    store = SnapshotStore(tmp_path)
    watcher = DeploymentWatcher(client, store, "api1", "prod", lambda: None, writes)
    watcher.start()
    try:
        # GetStage at the start, then one look (two reads) for what came before it.
        assert reads_reach(client, 3) == 3
        assert reads_over(client, 20) == 0
        for quiet in (
            call("apigateway", "GET"),
            call("lambda", "POST"),
            SimpleNamespace(signer=None, raw=None),
        ):
            writes(quiet, None)
        assert reads_over(client, 20) == 0
        writes(call("apigateway", "POST"), None)
        assert reads_reach(client, 5) == 5  # GetDeployments and GetStage, once
        assert reads_over(client, 20) == 0
    finally:
        watcher.stop()


def test_without_the_edges_word_the_emulator_is_read_every_interval(tmp_path: Path) -> None:
    client = CountingApiGateway()
    watcher = DeploymentWatcher(client, SnapshotStore(tmp_path), "api1", "prod", lambda: None)
    watcher.start()
    try:
        assert reads_reach(client, 11) >= 11  # GetStage at the start, then five looks
    finally:
        watcher.stop()


def test_a_write_during_a_look_is_seen_by_the_next() -> None:
    writes = ApiWrites()
    assert writes.take()  # the first look
    assert not writes.take()
    writes(call("apigateway", "PATCH"), None)
    assert writes.take()
    assert not writes.take()
