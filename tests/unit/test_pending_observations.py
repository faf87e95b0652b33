"""Work the stack does once a request's answer is sent (the request's metrics and access
log line, the function's log lines, REPORT and invocation metrics), and reads of the
stack's metrics that wait for it: a client that has its answer and then evaluates the
alarms must find that request counted."""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path

import pytest

from localenv.gateway.core import Gateway
from localenv.gateway.requests import Request
from localenv.gateway.trace import Trace
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi
from localenv.observe import pending
from localenv.observe.clock import Clock
from localenv.observe.metrics import MetricKey
from localenv.observe.pending import Deferral, PendingObservations
from localenv.runtime.environment import Outcome
from localenv.workspace import Workspace
from tests.template_model import ROOT
from tests.unit.test_gateway_fidelity import PROXY, Lambda


def test_nothing_pending_settles_at_once() -> None:
    assert PendingObservations().settle(timeout=0)


def test_a_tracked_observation_is_pending_until_it_has_run_once() -> None:
    observations, runs = PendingObservations(), []
    observe = observations.track(Deferral(), lambda: runs.append(1))
    assert not observations.settle(timeout=0.05)
    observe()
    assert observations.settle(timeout=0)
    observe()  # run again: counted once, never below zero
    assert runs == [1, 1]
    assert observations.count == 0


def test_an_observation_that_fails_is_no_longer_pending() -> None:
    observations, runs = PendingObservations(), []

    def fails() -> None:
        raise RuntimeError("the log delivery broke")

    with observations.answering() as deferral:
        pending.later(fails)
        pending.later(lambda: runs.append("metrics"))
    observe = observations.track(deferral, lambda: runs.append("access log"))
    with pytest.raises(RuntimeError, match="log delivery"):
        observe()
    assert runs == ["metrics", "access log"]  # the rest ran all the same
    assert observations.settle(timeout=0)


def test_a_waiting_read_returns_when_the_last_observation_ends() -> None:
    observations = PendingObservations()
    first = observations.track(Deferral(), lambda: None)
    second = observations.track(Deferral(), lambda: None)
    settled: list[bool] = []
    reader = threading.Thread(target=lambda: settled.append(observations.settle(timeout=10)))
    reader.start()
    first()
    reader.join(0.1)
    assert reader.is_alive()  # one is still pending
    second()
    reader.join(10)
    assert settled == [True]


def test_work_is_done_at_once_unless_a_request_is_being_answered() -> None:
    runs: list[str] = []
    pending.later(lambda: runs.append("invoke at the edge"))
    assert runs == ["invoke at the edge"]
    observations = PendingObservations()
    with observations.answering() as deferral:
        pending.later(lambda: runs.append("report"))
        assert runs == ["invoke at the edge"]
    pending.later(lambda: runs.append("after the block"))
    observe = observations.track(deferral, lambda: runs.append("access log"))
    observe()
    assert runs == ["invoke at the edge", "after the block", "report", "access log"]


def test_work_from_the_integration_thread_stays_with_its_request() -> None:
    """The gateway runs the integration on a thread of its own with a copy of the request's
    context; work handed over there after the answer went out runs at once, not never."""
    observations, runs = PendingObservations(), []
    with observations.answering() as deferral:
        context = contextvars.copy_context()
    worker = threading.Thread(target=context.run, args=(pending.later, lambda: runs.append(1)))
    worker.start()
    worker.join(10)
    assert runs == []
    observations.track(deferral, lambda: None)()
    assert runs == [1]
    late = threading.Thread(target=context.run, args=(pending.later, lambda: runs.append(2)))
    late.start()
    late.join(10)
    assert runs == [1, 2]  # the deferral was closed: done at once


def test_the_function_logs_of_a_gateway_request_are_delivered_after_its_answer(
    tmp_path: Path,
) -> None:
    """Through the gateway's integration thread, a function's log delivery waits for the
    answer to be sent; it runs, then the request's own observation."""
    api = LocalApi(
        Workspace(ROOT, tmp_path), tmp_path, "127.0.0.1", 0, IamGuard(Mode.OFF), Clock(), {}
    )
    runs: list[str] = []
    function = Lambda()

    def invoke(name: str, payload: bytes) -> Outcome:
        pending.later(lambda: runs.append("logs of " + name))
        return function(name, payload)

    api.gateway = Gateway(PROXY, invoke, observer=lambda trace: runs.append("access log"))
    response, observe = api.handle(Request("GET", "/prod/x", "", []))
    assert response.status == 200 and runs == []
    observe()
    assert runs == ["logs of fn", "access log"]
    api.gateway.stop()


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

    api.gateway = Gateway(PROXY, Lambda(), observer=observer)
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
    api.gateway.stop()
