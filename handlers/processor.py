"""POST /dataproc: validate an upload and store its lines.

The entry point parses the event, calls the pure core and the storage edge, and
maps outcomes to proxy responses. Write order (README, "Storage"): an upload of one
chunk that costs no more write units inline is one conditional put of its COMPLETE
metadata item, lines included (atomic: nothing half-stored can exist). Any other
upload is metadata PENDING, then the chunks, then metadata COMPLETE; readers show
only COMPLETE uploads, so a crash mid-way leaves nothing visible and the client's
retry finishes the job.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from handlers import aws_clients, settings
from handlers.observability import logger as make_logger
from handlers.observability import metrics as make_metrics
from handlers.problems import Rejection, RejectionKind, json_response, problem_response
from handlers.proxy_event import ProxyEvent, request_id
from handlers.records import (
    STATUS_COMPLETE,
    STATUS_PENDING,
    Upload,
    chunk_item,
    meta_item,
    one_write_item,
)
from handlers.storage import (
    AlreadyCompleteError,
    Backoff,
    Deadline,
    StorageThrottledError,
    UploadWriter,
)
from handlers.upload_request import parse_upload

logger = make_logger("processor")
metrics = make_metrics("processor")
RETRY_AFTER_SECONDS = 2
# The writer gives up this long before Lambda would stop the function: time for
# one more DynamoDB call (its connect and read timeouts) and the answer. The
# function's timeout (28 s) sits under API Gateway's 29 s integration timeout.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
DEADLINE_MARGIN_SECONDS = aws_clients.CONNECT_TIMEOUT_SECONDS + aws_clients.READ_TIMEOUT_SECONDS + 1

Clock = Callable[[], datetime.datetime]


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


@dataclass(frozen=True)
class Stored:
    created: bool
    body: dict[str, Any]


def store_upload(
    writer: UploadWriter, upload: Upload, request: str, clock: Clock = utc_now
) -> Stored:
    """Store ``upload`` for the request ``request`` (recorded in the COMPLETE item)."""
    created_at = clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")
    try:
        write_upload(writer, upload, created_at, request)
    except AlreadyCompleteError as done:
        # A retried COMPLETE put whose first reply was lost finds its own item:
        # that is this request's upload, not an earlier one.
        if done.stored.get("completedBy") == request:
            return Stored(created=True, body=upload.summary())
        return Stored(created=False, body=replay_body(upload, done.stored))
    except StorageThrottledError as exc:
        raise Rejection(
            RejectionKind.STORAGE_THROTTLED,
            "Storage is throttling writes; retry later. Nothing was made visible.",
            retry_after=RETRY_AFTER_SECONDS,
        ) from exc
    return Stored(created=True, body=upload.summary())


def write_upload(writer: UploadWriter, upload: Upload, created_at: str, request: str) -> None:
    """One conditional put when the lines travel inline; else PENDING, chunks, COMPLETE.

    Both ways end in a put with the same condition, so replays and a lost reply's
    retry are told apart the same way.
    """
    inline = one_write_item(upload, created_at, request)
    if inline is not None:
        writer.put_meta(inline)
        return
    writer.put_meta(meta_item(upload, created_at, STATUS_PENDING))
    writer.write_items([chunk_item(upload, chunk) for chunk in upload.chunks])
    writer.put_meta(meta_item(upload, created_at, STATUS_COMPLETE, request))


def replay_body(upload: Upload, stored: dict[str, str | int]) -> dict[str, Any]:
    """The first upload's body: its name wins over a replay's (when the store returned it)."""
    body = upload.summary()
    if "uploadId" in stored:
        body["name"] = stored.get("name")
    return body


def writer(context: Any) -> UploadWriter:
    """A writer whose retries end in time to answer before the function's timeout."""
    seconds = context.get_remaining_time_in_millis() / 1000 - DEADLINE_MARGIN_SECONDS
    return UploadWriter(
        aws_clients.dynamodb_writer(),
        settings.required(os.environ, settings.TABLE_NAME),
        Backoff(Deadline.within(seconds)),
    )


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: ProxyEvent, context: Any) -> dict[str, Any]:
    rid = request_id(event, context.aws_request_id)
    logger.append_keys(api_request_id=rid)
    try:
        upload = parse_upload(event, settings.limits(os.environ))
        logger.append_keys(upload_id=upload.upload_id, owner=upload.owner)
        stored = store_upload(writer(context), upload, context.aws_request_id)
    except Rejection as rejection:
        logger.info("upload rejected", extra={"reason": rejection.kind.name})
        count_rejection(rejection.kind)
        return problem_response(rejection, rid)
    return respond(event, upload, stored)


def count_rejection(kind: RejectionKind) -> None:
    metrics.add_metric(name="UploadsRejected", unit=MetricUnit.Count, value=1)
    with single_metric(
        name="UploadsRejected", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
    ) as metric:
        metric.add_dimension(name="Reason", value=kind.name)


def respond(event: ProxyEvent, upload: Upload, stored: Stored) -> dict[str, Any]:
    if not stored.created:
        logger.info("upload replayed; nothing written")
        metrics.add_metric(name="UploadsReplayed", unit=MetricUnit.Count, value=1)
        return json_response(200, stored.body)
    logger.info("upload stored", extra={"lines": upload.line_count, "bytes": upload.size})
    metrics.add_metric(name="UploadsStored", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="LinesStored", unit=MetricUnit.Count, value=upload.line_count)
    metrics.add_metric(name="BytesStored", unit=MetricUnit.Bytes, value=upload.size)
    return json_response(201, stored.body, {"Location": location(event, upload.upload_id)})


def location(event: ProxyEvent, upload_id: str) -> str:
    context = event.get("requestContext") or {}
    path = context.get("path") or f"/{context.get('stage', 'prod')}/dataproc"
    return f"{str(path).rstrip('/')}/{upload_id}"
