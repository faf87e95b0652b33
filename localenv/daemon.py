"""A worker whose constructor only stores: ``start()`` runs ``run()`` on a daemon
thread (once), ``stop()`` ends it, and it is a context manager."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from typing import Self


class DaemonWorker(ABC):
    thread_name = "worker"
    thread: threading.Thread | None = None

    @abstractmethod
    def run(self) -> None:
        """The thread's work, until ``stop()`` tells it to end."""

    @abstractmethod
    def stop(self) -> None:
        """End the thread's work."""

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self.run, daemon=True, name=self.thread_name)
            self.thread.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
