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
CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
)


@functools.cache
def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)
