"""The harness's one error family: every error localenv raises for the user derives
from ``LocalenvError``, so the command line catches that one type."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


class LocalenvError(Exception):
    """A one-line error for the user: what went wrong, and what to do about it."""


class AwsCallError(LocalenvError):
    """An AWS call the harness made (to the emulator or Cognito) was refused or failed."""


@contextlib.contextmanager
def aws_call_errors() -> Iterator[None]:
    """AWS SDK errors (a refused call, an unreachable or malformed answer) as
    ``AwsCallError``, so they reach the user as one line like every other error."""
    # botocore loads with the first AWS call, not with every command line.
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415
    from botocore.parsers import ResponseParserError  # noqa: PLC0415

    try:
        yield
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise AwsCallError(str(exc)) from exc
