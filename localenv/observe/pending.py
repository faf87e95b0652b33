"""Requests the gateway has answered but not yet observed.

The gateway writes a request's metrics and access log line once its response is sent,
as API Gateway does. A client that has its answer and then asks the stack to evaluate
its alarms (`localenv alarms evaluate`) or to list metrics must find that request
counted: those reads wait until every request answered before them has been observed
(not for requests answered later, so steady traffic does not hold a read up)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

# How long a read waits for observations still running; a slow one (a client that
# reads a large response slowly) only delays it by this much.
SETTLE_SECONDS = 5.0

Observe = Callable[[], None]


class PendingObservations:
    """Numbers each answered request from the moment its response is ready until its
    observation has run."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.issued = 0  # the number of the last request tracked
        self.open: set[int] = set()  # the numbers of those not yet observed

    def track(self, observe: Observe) -> Observe:
        """The request is pending until the returned callable has run ``observe``; running
        it again does nothing."""
        with self.changed:
            self.issued += 1
            number = self.issued
            self.open.add(number)
        started = False

        def observed() -> None:
            nonlocal started
            with self.changed:
                if started:
                    return
                started = True
            try:
                observe()
            finally:
                with self.changed:
                    self.open.discard(number)
                    self.changed.notify_all()

        return observed

    def settle(self, timeout: float = SETTLE_SECONDS) -> bool:
        """Waits until every request answered so far has been observed; False (and a
        warning) if some still were not at ``timeout``."""
        return self.observed_up_to(self.mark(), timeout)

    def mark(self) -> int:
        """The number of the last request answered."""
        with self.changed:
            return self.issued

    def observed_up_to(self, mark: int, timeout: float) -> bool:
        """Waits until no request numbered ``mark`` or lower is still pending."""
        with self.changed:
            settled = self.changed.wait_for(
                lambda: min(self.open, default=mark + 1) > mark, timeout
            )
        if not settled:
            log.warning("metrics read before every answered request was observed (%.0f s)", timeout)
        return settled
