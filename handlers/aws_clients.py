"""The one place AWS clients are made: lazily, once per execution environment.

Clients come from botocore itself, not boto3: ``boto3.client`` is a thin wrapper over
``botocore.session.Session.create_client``, but importing boto3 also imports s3transfer
(and with it concurrent.futures and multiprocessing), which a DynamoDB client never
uses and every cold start would pay for. Everything a client resolves lives in
botocore: the region (``AWS_DEFAULT_REGION``, which Lambda sets), the credentials
(the function role's, from the environment Lambda sets), the retry mode and
attempts of the ``Config`` below, and the endpoint, where ``AWS_ENDPOINT_URL`` and
``AWS_ENDPOINT_URL_DYNAMODB`` are read by botocore's config provider, so the same code
talks to AWS or to a local emulator.
https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from typing import TYPE_CHECKING, Any, cast

import botocore.session
from botocore.config import Config
from botocore.exceptions import DataNotFoundError
from botocore.loaders import JSONFileLoader, Loader

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


DYNAMODB = "dynamodb"
MODEL_FILES = ((".json", open), (".json.gz", gzip.open))  # botocore's order: plain, then gzip


class PlainJSONFileLoader(JSONFileLoader):
    """botocore's model files, parsed into plain dicts.

    botocore parses each file with ``object_pairs_hook=OrderedDict``, a Python call per
    JSON object: 15-19 ms of CPU for the 1.25 MB ``endpoints.json`` every client loads,
    6 ms without it (measured, python3.12). Since Python 3.7 a dict keeps insertion
    order too, which is all the models need of it. A file in any other form is left to
    botocore's own loader. botocore's Loader takes a file loader so that a faster one
    can be used: https://docs.aws.amazon.com/botocore/latest/reference/loaders.html
    """

    def load_file(self, file_path: str) -> Any:
        for extension, opener in MODEL_FILES:
            path = file_path + extension
            if os.path.isfile(path):
                with opener(path, "rb") as model:
                    return json.loads(model.read().decode("utf-8"))
        return super().load_file(file_path)


class NoScanLoader(Loader):
    """botocore's Loader, except that it checks a service exists by looking at that
    service's own directory.

    Before loading a model, botocore's ``load_service_model`` checks the service is in
    ``list_available_services``, which lists every directory of its data (400+
    services): ~10 ms of CPU for each kind of model a client loads (its API, its
    endpoint rules), per cold start. While a model is being loaded, the listing holds
    the asked service if it has that kind of model (what the check needs to know), and
    the full listing otherwise; any other caller gets the full listing.
    """

    def __init__(self, extra_search_paths: list[str] | None) -> None:
        super().__init__(extra_search_paths=extra_search_paths, file_loader=PlainJSONFileLoader())
        self.asked: str | None = None

    # On AWS the botocore is the runtime's, updated by AWS: the overrides pass on whatever
    # arguments botocore's own methods take, so a new parameter cannot break a cold start.
    def load_service_model(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        self.asked = service_name
        try:
            return super().load_service_model(service_name, *args, **kwargs)
        finally:
            self.asked = None

    def list_available_services(self, type_name: str, *args: Any, **kwargs: Any) -> list[str]:
        asked = None if args or kwargs else self.asked
        if asked is not None and self.has_model(asked, type_name):
            return [asked]
        return super().list_available_services(type_name, *args, **kwargs)

    def has_model(self, service: str, type_name: str) -> bool:
        try:
            return bool(self.list_api_versions(service, type_name))
        except DataNotFoundError:
            return False


def data_paths(search_path: str | None) -> list[str] | None:
    """``AWS_DATA_PATH``'s directories, as botocore's own ``create_loader`` reads them."""
    if search_path is None:
        return None
    return [os.path.expanduser(os.path.expandvars(p)) for p in search_path.split(os.pathsep)]


def dynamodb_client(config: Config) -> DynamoDBClient:
    """A DynamoDB client of a new botocore session (each function makes only one)."""
    session = botocore.session.get_session()
    paths = data_paths(session.get_config_variable("data_path"))
    session.register_component("data_loader", NoScanLoader(paths))
    return cast("DynamoDBClient", session.create_client(DYNAMODB, config=config))


@functools.cache
def dynamodb() -> DynamoDBClient:
    """The reader's client: botocore retries transient errors itself."""
    return dynamodb_client(READ_CONFIG)


@functools.cache
def dynamodb_writer() -> DynamoDBClient:
    """The processor's client: one attempt per call, retried by the writer's own loop."""
    return dynamodb_client(WRITE_CONFIG)
