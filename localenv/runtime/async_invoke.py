"""Lambda's asynchronous invocation: a queue, retries on function errors, retries on throttles.

Lambda queues an ``Event`` invocation and answers 202 at once. On a function
error (an error the code returns or raises, a timeout, a runtime exit) it runs
the event two more times, one minute after the first attempt and two minutes
after the second; a throttled event goes back to the queue and is retried with
a backoff growing from 1 second to 5 minutes, for up to 6 hours.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html

Those waits are AWS minutes. Locally they are scaled by ``time_scale`` (default
1/60: one AWS minute is one local second, so the two retries come 1 s and 2 s
after the first attempt), so a failing event's three attempts show in its log
while the developer is still looking.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from localenv.runtime.environment import Outcome, OutcomeKind
from localenv.runtime.pool import ThrottledError

RETRY_DELAYS_SECONDS = (60.0, 120.0)  # before the second and the third attempt
THROTTLE_FIRST_SECONDS, THROTTLE_MAX_SECONDS = 1.0, 300.0
MAX_EVENT_AGE_SECONDS = 6 * 3600.0
LOCAL_TIME_SCALE = 1 / 60
WORKERS = 4
log = logging.getLogger(__name__)

# (function name, payload, request id) -> the outcome; raises ThrottledError.
AsyncInvoker = Callable[[str, bytes, str], Outcome]


@dataclass(order=True)
class Event:
    due: float
    seq: int
    function: str = field(compare=False)
    payload: bytes = field(compare=False)
    request_id: str = field(compare=False)
    queued: float = field(compare=False)
    attempt: int = field(compare=False, default=0)  # function-error retries so far
    throttles: int = field(compare=False, default=0)


class AsyncQueue:
    def __init__(
        self,
        invoke: AsyncInvoker,
        time_scale: float = LOCAL_TIME_SCALE,
        now: Callable[[], float] = time.monotonic,
    ):
        self.invoke = invoke
        self.time_scale = time_scale
        self.now = now
        self.heap: list[Event] = []
        self.seq = itertools.count()
        self.wake = threading.Condition()
        self.stopping = False
        self.executor: ThreadPoolExecutor | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="async-invoke")
        self.thread = threading.Thread(target=self.schedule, daemon=True)
        self.thread.start()

    def submit(self, function: str, payload: bytes, request_id: str) -> None:
        now = self.now()
        self.push(Event(now, next(self.seq), function, payload, request_id, now))

    def push(self, event: Event) -> None:
        with self.wake:
            heapq.heappush(self.heap, event)
            self.wake.notify()

    def schedule(self) -> None:
        """Hand each event to a worker when it is due."""
        while (event := self.next_due()) is not None:
            assert self.executor is not None
            self.executor.submit(self.run, event)

    def next_due(self) -> Event | None:
        with self.wake:
            while not self.stopping:
                if self.heap and self.heap[0].due <= self.now():
                    return heapq.heappop(self.heap)
                timeout = self.heap[0].due - self.now() if self.heap else None
                self.wake.wait(timeout)
        return None

    def run(self, event: Event) -> None:
        try:
            outcome = self.invoke(event.function, event.payload, event.request_id)
        except ThrottledError:
            self.throttled(event)
            return
        except Exception:
            log.exception("async invoke of %s failed", event.function)
            return
        if outcome.kind is not OutcomeKind.OK and event.attempt < len(RETRY_DELAYS_SECONDS):
            delay = RETRY_DELAYS_SECONDS[event.attempt] * self.time_scale
            event.attempt += 1
            self.again(event, delay)

    def throttled(self, event: Event) -> None:
        backoff = min(THROTTLE_FIRST_SECONDS * 2**event.throttles, THROTTLE_MAX_SECONDS)
        event.throttles += 1
        if self.now() - event.queued > MAX_EVENT_AGE_SECONDS * self.time_scale:
            # Lambda discards the event (to a dead-letter queue or on-failure
            # destination when configured; the stack configures neither).
            log.warning(
                "async event %s for %s discarded: too old", event.request_id, event.function
            )
            return
        self.again(event, backoff * self.time_scale)

    def again(self, event: Event, delay: float) -> None:
        event.due = self.now() + delay
        event.seq = next(self.seq)
        self.push(event)

    def pending(self) -> int:
        with self.wake:
            return len(self.heap)

    def stop(self) -> None:
        with self.wake:
            self.stopping = True
            self.wake.notify_all()
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
