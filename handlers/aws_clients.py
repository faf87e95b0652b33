"""The one place AWS clients are made: lazily, once per execution environment.

boto3 reads ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_DYNAMODB``) itself, so
the same code talks to AWS or to a local emulator.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# Lambda's API Gateway integration gives up at 29 s: keep each call well inside it.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
# botocore's ``max_attempts`` counts retries after the first call, ``total_max_attempts``
# every call: 3 here means at most 3 requests for one read.
# https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html
READ_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": 3},
)
# The writer retries by itself against the request's deadline (storage.Backoff);
# retries inside botocore would sleep past it unseen, so its client makes one attempt.
WRITE_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT_SECONDS,
    read_timeout=READ_TIMEOUT_SECONDS,
    retries={"mode": "standard", "total_max_attempts": 1},
)


@functools.cache
def dynamodb() -> DynamoDBClient:
    """The reader's client: botocore retries transient errors itself."""
    return boto3.client("dynamodb", config=READ_CONFIG)


@functools.cache
def dynamodb_writer() -> DynamoDBClient:
    """The processor's client: one attempt per call, retried by the writer's own loop."""
    return boto3.client("dynamodb", config=WRITE_CONFIG)
