# The local stack in a container: `docker compose up` runs `localenv up` here.
FROM python:3.12.8-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY handlers ./handlers
COPY localenv ./localenv
COPY cloudformation ./cloudformation

# The install steps are README's Quickstart install steps (tests/docker checks it).
RUN python3 -m venv .venv && .venv/bin/pip install -e '.[dev]'
# The Lambda artifact and the python3.12 runtime layer, built into the image.
RUN .venv/bin/localenv build && .venv/bin/python -c "from pathlib import Path; \
from localenv.runtime import interpreters as i; \
i.runtime_layer(i.interpreter_for('python3.12'), Path('.localenv/cache'))"

EXPOSE 4566 4510
# Bound to every interface inside the container; outputs advertise 127.0.0.1.
CMD [".venv/bin/localenv", "--state-dir", "/state", "up", "--host", "0.0.0.0"]
