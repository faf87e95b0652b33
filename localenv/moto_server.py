"""``python -m localenv.moto_server``: moto's server with the harness's patches.

The ``moto-process`` backend runs moto in a process of its own; this wrapper
applies ``localenv.moto_query_index`` and ``localenv.moto_speedups`` there too, and
serves through ``localenv.moto_dispatch.Dispatcher`` (no Flask app per call), so a
call costs the same whichever backend runs it, then hands over to moto's own command line.
"""

from __future__ import annotations

from typing import Any

from moto import server

from localenv import moto_query_index, moto_speedups
from localenv.moto_dispatch import Dispatcher


class ServerDispatcher(Dispatcher):
    """Stands in for moto's ``DomainDispatcherApplication(create_backend_app)``."""

    def __init__(self, _create_app: Any):
        super().__init__()


if __name__ == "__main__":
    moto_query_index.apply()
    moto_speedups.apply()
    server.DomainDispatcherApplication = ServerDispatcher  # type: ignore[attr-defined,assignment]
    server.main()
