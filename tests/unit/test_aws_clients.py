"""The handlers' DynamoDB clients: made by botocore directly, with a loader that skips
botocore's listing of every service, and configured exactly as before."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
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
    ours = aws_clients.NoScanLoader(None)
    theirs = create_loader()
    assert ours.load_service_model("dynamodb", type_name) == theirs.load_service_model(
        "dynamodb", type_name
    )


@pytest.mark.parametrize("name", DATA)
def test_the_loader_loads_the_data_botocore_loads(name: str) -> None:
    ours = aws_clients.NoScanLoader(None)
    assert ours.load_data(name) == create_loader().load_data(name)


def test_the_loader_checks_the_asked_service_in_its_own_directory() -> None:
    loader = aws_clients.NoScanLoader(None)
    loader.asked = "dynamodb"
    assert loader.list_available_services("service-2") == ["dynamodb"]


def test_the_loader_loads_any_service_as_botocore_does() -> None:
    ours = aws_clients.NoScanLoader(None)
    assert ours.load_service_model("sts", "service-2") == create_loader().load_service_model(
        "sts", "service-2"
    )
    with pytest.raises(UnknownServiceError):
        ours.load_service_model("no-such-service", "service-2")


def test_outside_a_model_load_the_listing_is_botocores() -> None:
    ours = aws_clients.NoScanLoader(None)
    ours.load_service_model("dynamodb", "service-2")
    assert ours.asked is None
    listing = ours.list_available_services("service-2")
    assert listing == create_loader().list_available_services("service-2")
    assert {"dynamodb", "s3", "sts"} <= set(listing)


def test_a_model_kind_the_service_lacks_falls_back_to_the_listing() -> None:
    loader = aws_clients.NoScanLoader(None)
    loader.asked = "dynamodb"
    assert loader.list_available_services("no-such-kind-1") == []


def test_the_file_loader_answers_as_botocores(tmp_path: Path) -> None:
    (tmp_path / "model.json").write_text('{"a": 1}')
    assert aws_clients.PlainJSONFileLoader().load_file(str(tmp_path / "model")) == {"a": 1}
    assert aws_clients.PlainJSONFileLoader().load_file(str(tmp_path / "absent")) is None


class Watching(aws_clients.NoScanLoader):
    """The loader, recording each listing it answers."""

    def __init__(self) -> None:
        super().__init__(None)
        self.listings: list[list[str]] = []

    def list_available_services(self, type_name: str) -> list[str]:
        listing = super().list_available_services(type_name)
        self.listings.append(listing)
        return listing


def test_making_a_dynamodb_client_lists_no_other_service() -> None:
    loader = Watching()
    session = botocore.session.get_session()
    session.register_component("data_loader", loader)
    session.create_client("dynamodb", region_name="us-east-1")
    assert loader.listings == [["dynamodb"], ["dynamodb"]]  # its API, its endpoint rules


def test_aws_data_path_is_searched_as_botocore_searches_it(tmp_path: Path) -> None:
    setting = f"{tmp_path}/a:{tmp_path}/b"
    ours = aws_clients.NoScanLoader(aws_clients.data_paths(setting))
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
