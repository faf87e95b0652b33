"""moto's request dispatcher, without a directory listing per request.

moto 5.2's ``DomainDispatcherApplication.get_backend_for_host`` checks a host
against ``backends.list_of_moto_modules()``, which lists moto's package
directory (``os.listdir``, sorted, and an ``os.path.isdir`` per entry) on every
request: about 0.3 ms of a 1 ms DynamoDB call served in-process. Its answer
depends only on the host and the installed moto, so the dispatcher keeps the
first one per host. moto calls it under the dispatcher's own lock. Written so it
can be offered upstream as it stands: a cache in ``get_backend_for_host`` (or a
cached ``list_of_moto_modules``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication


class CachedDispatcher(DomainDispatcherApplication):
    def __init__(self, create_app: Callable[..., Any]):
        super().__init__(create_app)
        self.known: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        if host not in self.known:
            self.known[host] = super().get_backend_for_host(host)
        return self.known[host]
