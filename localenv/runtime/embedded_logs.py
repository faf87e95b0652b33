"""Function logs written straight into the embedded emulator's CloudWatch Logs.

Lambda delivers what a function prints to CloudWatch Logs itself: the function's role
must allow ``logs:CreateLogStream`` and ``logs:PutLogEvents`` (checked by the stack,
``IamGuard.lambda_writes_logs``), but the delivery is not one of the account's API
calls, so the account's throttles and the faults a user sets on its calls do not apply
to it. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html

When moto runs in the stack's process, the log shipper hands its batches to moto's
logs backend here, as moto's own PutLogEvents handler does, rather than as SDK calls
through the edge: each call cost ~1-1.5 ms of the interpreter to serialize, sign,
route and parse, five times a second under load, taken from the requests being
served. The groups, streams and events stored are the same; moto's checks (the
stream exists, events in order, none older than 14 days or over 2 hours ahead) are
its backend's and run either way. botocore's own checks of the request do not run:
the shipper's batches are within PutLogEvents' limits by construction
(``log_shipper.batches``). With an emulator someone else runs, the shipper keeps
the SDK client.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class EmbeddedLogs:
    """The three CloudWatch Logs calls the log shipper makes, with the SDK client's
    keyword arguments, on moto's backend for ``account_id`` in ``region``."""

    def __init__(self, account_id: str, region: str):
        from moto.logs.exceptions import ResourceAlreadyExistsException  # noqa: PLC0415
        from moto.logs.models import logs_backends  # noqa: PLC0415

        self.backends, self.account_id, self.region = logs_backends, account_id, region
        self.exceptions = SimpleNamespace(
            ResourceAlreadyExistsException=ResourceAlreadyExistsException
        )

    @property
    def backend(self) -> Any:
        """Looked up at each call, as moto's handler looks it up: a reset of the emulator
        (``/moto-api/reset``) replaces the backend."""
        return self.backends[self.account_id][self.region]

    def create_log_group(self, *, logGroupName: str) -> None:  # noqa: N803 - the SDK's names
        self.backend.create_log_group(logGroupName, tags={})

    def create_log_stream(self, *, logGroupName: str, logStreamName: str) -> None:  # noqa: N803
        self.backend.create_log_stream(logGroupName, logStreamName)

    def put_log_events(
        self,
        *,
        logGroupName: str,  # noqa: N803
        logStreamName: str,  # noqa: N803
        logEvents: list[dict[str, Any]],  # noqa: N803
    ) -> dict[str, Any]:
        token, rejected = self.backend.put_log_events(logGroupName, logStreamName, logEvents)
        answer: dict[str, Any] = {"nextSequenceToken": token}
        if rejected:
            answer["rejectedLogEventsInfo"] = rejected
        return answer
