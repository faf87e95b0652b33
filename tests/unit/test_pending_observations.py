"""Reads of the stack's metrics wait for the requests already answered: the gateway writes
a request's metrics after sending its response, and a client that has its answer and then
evaluates the alarms must find that request counted."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from localenv.gateway.core import Gateway
from localenv.gateway.requests import Request
from localenv.gateway.trace import Trace
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi
from localenv.observe.clock import Clock
from localenv.observe.metrics import MetricKey
from localenv.observe.pending import PendingObservations
from localenv.workspace import Workspace
from tests.template_model import ROOT
from tests.unit.test_gateway_fidelity import PROXY, Lambda


def test_nothing_pending_settles_at_once() -> None:
    assert PendingObservations().settle(timeout=0)


def test_a_tracked_observation_is_pending_until_it_has_run_once() -> None:
    pending, runs = PendingObservations(), []
    observe = pending.track(lambda: runs.append(1))
    assert not pending.settle(timeout=0.05)
    observe()
    assert pending.settle(timeout=0)
    observe()  # run again: nothing happens
    assert runs == [1]
    assert pending.open == set()


def test_an_observation_that_fails_is_no_longer_pending() -> None:
    pending = PendingObservations()

    def fails() -> None:
        raise RuntimeError("the observer broke")

    observe = pending.track(fails)
    with pytest.raises(RuntimeError):
        observe()
    assert pending.settle(timeout=0)


def test_a_waiting_read_returns_when_the_last_observation_ends() -> None:
    pending = PendingObservations()
    first, second = pending.track(lambda: None), pending.track(lambda: None)
    settled: list[bool] = []
    reader = threading.Thread(target=lambda: settled.append(pending.settle(timeout=10)))
    reader.start()
    first()
    reader.join(0.1)
    assert reader.is_alive()  # one is still pending
    second()
    reader.join(10)
    assert settled == [True]


def test_a_read_waits_only_for_the_requests_answered_before_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Under steady traffic some request is always pending: a read must not wait for the
    ones answered after it started."""
    pending = PendingObservations()
    earlier = pending.track(lambda: None)
    mark = pending.mark()  # a read starts here
    later = pending.track(lambda: None)  # answered while the read waits, not yet observed
    assert not pending.observed_up_to(mark, timeout=0.05)  # `earlier` is still pending
    earlier()
    assert pending.observed_up_to(mark, timeout=0)
    assert not pending.settle(timeout=0.05)  # a new read waits for `later`
    assert "before every answered request was observed" in caplog.text
    later()
    assert pending.settle(timeout=0)


def test_metrics_read_after_an_answer_include_that_request(tmp_path: Path) -> None:
    """The local API's answer is out, its observation held: a metrics read waits for it."""
    api = LocalApi(
        Workspace(ROOT, tmp_path), tmp_path, "127.0.0.1", 0, IamGuard(Mode.OFF), Clock(), {}
    )
    released = threading.Event()

    def observer(trace: Trace) -> None:
        released.wait(10)
        key = MetricKey.of("AWS/ApiGateway", "Count", {"ApiName": "api", "Stage": "prod"})
        api.store.add(key, api.clock.now(), 1, "Count")

    api.serving.gateway = Gateway(PROXY, Lambda(), observer=observer)
    response, observe = api.handle(Request("GET", "/prod/x", "", []))
    assert response.status == 200
    sender = threading.Thread(target=observe)  # what the HTTP front runs once it has sent
    sender.start()
    read: list[dict[str, object]] = []
    reader = threading.Thread(target=lambda: read.append(api.metric_datapoints({"name": "Count"})))
    reader.start()
    reader.join(0.2)
    assert reader.is_alive() and not read
    released.set()
    reader.join(10)
    sender.join(10)
    assert [s["dimensions"] for s in read[0]["series"]] == [{"ApiName": "api", "Stage": "prod"}]
    api.serving.gateway.stop()
