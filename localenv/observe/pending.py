"""What the stack does once a request's answer is sent, and reads that wait for it.

API Gateway writes a request's metrics and access log line after answering it, and
Lambda delivers a function's log lines (with the metrics of its Embedded Metric Format
lines), its REPORT line and its invocation metrics after the invocation. The stack does
that work once the gateway's response is sent, off the client's time: work handed to
``later`` while a request is being answered (``PendingObservations.answering``) is kept
for then. A client that has its answer and then asks the stack to evaluate its alarms
(`localenv alarms evaluate`) or to list metrics must still find that request counted:
those reads wait (``settle``) until every answered request has been observed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Work = Callable[[], None]

# How long a read waits for observations still running; a slow one (a client that
# reads a large response slowly) only delays it by this much.
SETTLE_SECONDS = 5.0


class Deferral:
    """The work kept while one request is answered. The gateway runs its integration on
    a thread of its own, with a copy of the request's context, so work may be added from
    there; work added once the deferral is closed (an integration that outlived its
    timeout) runs at once instead of being lost."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.works: list[Work] = []
        self.closed = False

    def add(self, work: Work) -> bool:
        with self.lock:
            if not self.closed:
                self.works.append(work)
            return not self.closed

    def close(self) -> list[Work]:
        with self.lock:
            self.closed = True
            return list(self.works)


ANSWERING: ContextVar[Deferral | None] = ContextVar("answering", default=None)


def later(work: Work) -> None:
    """``work`` once the answer is sent when this context is answering a request (see
    ``PendingObservations.answering``); otherwise (Invoke at the edge, async events, the
    stack's own calls) now."""
    deferral = ANSWERING.get()
    if deferral is None or not deferral.add(work):
        work()


class PendingObservations:
    """Counts observations from the moment a response is ready until they have run."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.count = 0

    @contextmanager
    def answering(self) -> Iterator[Deferral]:
        """What ``later`` is handed inside the block (in this context, or a copy of it) is
        kept in the yielded deferral, to run once the answer is sent."""
        deferral = Deferral()
        token = ANSWERING.set(deferral)
        try:
            yield deferral
        finally:
            ANSWERING.reset(token)

    def track(self, deferral: Deferral, observe: Work) -> Work:
        """Counts the request as pending until the returned callable has run the deferred
        work and then ``observe`` (each runs even when one before it fails; the first
        failure is raised). Running it again runs them again but counts once."""
        with self.changed:
            self.count += 1
        done = False

        def observed() -> None:
            nonlocal done
            try:
                run_all([*deferral.close(), observe])
            finally:
                with self.changed:
                    if not done:
                        done = True
                        self.count -= 1
                        self.changed.notify_all()

        return observed

    def settle(self, timeout: float = SETTLE_SECONDS) -> bool:
        """Waits until no observation is pending; False if some still were at ``timeout``."""
        with self.changed:
            return self.changed.wait_for(lambda: self.count == 0, timeout)


def run_all(works: list[Work]) -> None:
    failure: BaseException | None = None
    for work in works:
        try:
            work()
        except BaseException as exc:  # the rest still run; the first failure is raised
            failure = failure or exc
    if failure is not None:
        raise failure
