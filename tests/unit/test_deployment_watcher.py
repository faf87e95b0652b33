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
    monkeypatch.setattr(deployments, "LOOKS_WITHOUT_A_WRITE", 10_000)  # no fallback read


class FailingOnce(CountingApiGateway):
    """GetDeployments fails the first time (moto read while another thread changes it)."""

    def get_deployments(self, **kwargs: Any) -> dict[str, Any]:
        if self.reads == 1:
            self.reads += 1
            raise RuntimeError("dictionary changed size during iteration")
        return super().get_deployments(**kwargs)


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
            call("dynamodb", "POST"),
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


@pytest.mark.parametrize(
    "write",
    [
        call("apigateway", "PATCH"),
        call("cloudformation", "POST"),  # a stack's AWS::ApiGateway::Deployment
        call("CloudFormation", "POST"),
        SimpleNamespace(signer=None, raw=SimpleNamespace(method="POST")),  # moto's own API
    ],
)
def test_writes_that_may_change_a_deployment_wake_the_watcher(write: Any) -> None:
    writes = ApiWrites()
    writes.take()
    writes(write, None)
    assert writes.take()


def test_a_failed_look_is_tried_again_without_another_write(tmp_path: Path) -> None:
    client, writes = FailingOnce(), ApiWrites()
    watcher = DeploymentWatcher(
        client, SnapshotStore(tmp_path), "api1", "prod", lambda: None, writes
    )
    watcher.start()
    try:
        # GetStage at the start; the first look fails at GetDeployments; the next reads both.
        assert reads_reach(client, 4) == 4
        assert reads_over(client, 20) == 0
    finally:
        watcher.stop()


def test_the_emulator_is_read_now_and_then_whatever_the_edge_saw(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deployments, "LOOKS_WITHOUT_A_WRITE", 3)
    client, writes = CountingApiGateway(), ApiWrites()
    watcher = DeploymentWatcher(
        client, SnapshotStore(tmp_path), "api1", "prod", lambda: None, writes
    )
    watcher.start()
    try:
        assert reads_reach(client, 3) == 3  # the first look
        assert reads_reach(client, 7) >= 7  # then every third interval, no write seen
    finally:
        watcher.stop()
