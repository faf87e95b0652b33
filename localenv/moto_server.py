"""``python -m localenv.moto_server``: moto's server with the harness's query patch.

The ``moto-process`` backend runs moto in a process of its own; this wrapper
applies ``localenv.moto_query_index`` and ``localenv.moto_speedups`` there too,
so a call costs the same whichever backend runs it, then hands over to moto's own command line.
"""

from __future__ import annotations

from moto.server import main

from localenv import moto_query_index, moto_speedups

if __name__ == "__main__":
    moto_query_index.apply()
    moto_speedups.apply()
    main()
