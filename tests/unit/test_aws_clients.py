"""The handlers' DynamoDB clients: made by botocore directly, with a loader that skips
botocore's listing of every service, and configured exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import create_loader

from handlers import aws_clients

MODELS = ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2")
DATA = ("endpoints", "partitions", "_retry", "sdk-default-configuration")


@pytest.fixture
def fresh_clients() -> Iterator[None]:
    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()
    yield
    aws_clients.dynamodb.cache_clear()
    aws_clients.dynamodb_writer.cache_clear()


@pytest.mark.parametrize("type_name", MODELS)
def test_the_loader_loads_the_dynamodb_models_botocore_loads(type_name: str) -> None:
    ours = aws_clients.OneServiceLoader(aws_clients.DYNAMODB, None)
    theirs = create_loader()
    assert ours.load_service_model("dynamodb", type_name) == theirs.load_service_model(
        "dynamodb", type_name
    )


@pytest.mark.parametrize("name", DATA)
def test_the_loader_loads_the_data_botocore_loads(name: str) -> None:
    ours = aws_clients.OneServiceLoader(aws_clients.DYNAMODB, None)
    assert ours.load_data(name) == create_loader().load_data(name)


def test_the_loader_knows_only_its_service() -> None:
    loader = aws_clients.OneServiceLoader(aws_clients.DYNAMODB, None)
    assert loader.list_available_services("service-2") == ["dynamodb"]
    assert loader.list_available_services("no-such-model-1") == []
    with pytest.raises(UnknownServiceError):
        loader.load_service_model("s3", "service-2")


def test_aws_data_path_is_searched_as_botocore_searches_it(tmp_path: Any) -> None:
    setting = f"{tmp_path}/a:{tmp_path}/b"
    ours = aws_clients.OneServiceLoader(aws_clients.DYNAMODB, aws_clients.data_paths(setting))
    assert ours.search_paths == create_loader(setting).search_paths
    assert aws_clients.data_paths(None) is None


def test_clients_keep_their_timeouts_and_attempts(fresh_clients: None) -> None:
    reader: Any = aws_clients.dynamodb().meta.config
    writer: Any = aws_clients.dynamodb_writer().meta.config
    assert (reader.connect_timeout, reader.read_timeout) == (2, 5)
    assert (writer.connect_timeout, writer.read_timeout) == (2, 5)
    assert reader.retries == {"mode": "standard", "total_max_attempts": 3}
    assert writer.retries == {"mode": "standard", "total_max_attempts": 1}


def test_clients_take_region_and_endpoint_from_the_environment(
    fresh_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    client = aws_clients.dynamodb()
    assert client.meta.region_name == "eu-west-3"
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"


def test_the_dynamodb_endpoint_setting_wins_over_the_global_one(
    fresh_clients: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
    assert aws_clients.dynamodb_writer().meta.endpoint_url == "http://127.0.0.1:8000"


def test_without_an_endpoint_setting_clients_talk_to_aws(fresh_clients: None) -> None:
    assert aws_clients.dynamodb().meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
