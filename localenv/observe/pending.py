"""Requests the gateway has answered but not yet observed.

The gateway writes a request's metrics and access log line once its response is sent,
as API Gateway does. A client that has its answer and then asks the stack to evaluate
its alarms (`localenv alarms evaluate`) or to list metrics must find that request
counted: those reads wait until every answered request has been observed."""

from __future__ import annotations

import threading
from collections.abc import Callable

# How long a read waits for observations still running; a slow one (a client that
# reads a large response slowly) only delays it by this much.
SETTLE_SECONDS = 5.0


class PendingObservations:
    """Counts observations from the moment a response is ready until they have run."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.count = 0

    def track(self, observe: Callable[[], None]) -> Callable[[], None]:
        """Counts ``observe`` as pending until the returned callable has run it (once)."""
        with self.changed:
            self.count += 1
        done = False

        def observed() -> None:
            nonlocal done
            try:
                observe()
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
