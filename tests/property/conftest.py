"""Property-test configuration: hypothesis profiles (HYPOTHESIS_PROFILE=dev|ci|ci-quick)
and one in-process moto DynamoDB for a whole module.

``ci`` is the full search, run once per CI run (tox's py311). ``ci-quick`` is for the other
interpreters (py312, py313): the properties are interpreter-independent logic, so there they
only need to run -- every property, every assertion -- not to search as deep again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto import mock_aws

from tests.template_model import table_definition

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci-quick", max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TABLE = "property-data"


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[Any]:
    from handlers import aws_clients

    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        TABLE_NAME=TABLE,
    )
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[key]
    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName=TABLE, **table_definition())
        yield client
    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()
    os.environ.clear()
    os.environ.update(saved)
