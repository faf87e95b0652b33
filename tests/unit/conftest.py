"""Unit-test fixtures: the template's table in moto's in-process mock, contexts, events."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.template_model import table_definition

TABLE = "unit-data"


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object the handlers and Powertools read."""

    function_name: str = "unit-fn"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:unit-fn"
    aws_request_id: str = "11111111-2222-4333-8444-555555555555"
    remaining_ms: int = 28_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@dataclass
class FakeClock:
    """Monotonic seconds that move only when something sleeps."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def context() -> LambdaContext:
    return LambdaContext()


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("TABLE_NAME", TABLE)


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A DynamoDB client on moto's in-process mock, with the template's table created."""
    from handlers import aws_clients

    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **table_definition())
        yield client
    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()


def all_items(client: Any) -> list[dict[str, Any]]:
    pages = client.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]
