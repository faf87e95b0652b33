"""``python -m localenv`` is the ``localenv`` command."""

from localenv.cli import main

raise SystemExit(main())
