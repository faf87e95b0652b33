"""Which operation a request calls, from botocore's service models.

botocore ships the model of every AWS API (protocol, JSON target prefix, each
operation's HTTP method and request URI), versioned with the boto3 that calls
it, so the edge names operations exactly as the SDK sends them. JSON and CBOR
protocols name the operation in ``X-Amz-Target`` or the path, the query
protocol in ``Action=``, REST protocols by their route.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass
from typing import Any

import botocore.loaders
import botocore.model
import botocore.session
from botocore.exceptions import UnknownServiceError

# Signing names that differ from the service model's name.
MODEL_OF_SIGNING_NAME = {"monitoring": "cloudwatch", "email": "ses"}


@dataclass(frozen=True)
class Route:
    method: str
    path: re.Pattern[str]
    query_keys: frozenset[str]
    headers: frozenset[str]  # required members sent as headers (S3 CopyObject's copy source)
    operation: str
    weight: int  # literal characters + required query keys: the most specific route wins


@dataclass(frozen=True)
class ServiceModel:
    name: str
    protocol: str
    target_prefix: str

    @property
    def routes(self) -> tuple[Route, ...]:
        """Built on the first request that needs them: most calls name their operation
        in a header or a parameter, and a service has up to ~400 operations."""
        return routes_of(self.name)


# Models botocore's own clients rewrite in place: the S3 client strips ``/{Bucket}`` from an
# operation's requestUri the first time it calls it, the S3 Control client drops the
# account host prefix (botocore.handlers: remove_bucket_from_url_paths_from_model,
# remove_accid_host_prefix_from_model).
REWRITTEN_BY_CLIENTS = frozenset({"s3", "s3control"})


class SharedLoader(botocore.loaders.Loader):
    """Shared by every session. botocore's clients rewrite the models of S3 and S3
    Control in place the first time they call an operation, so those clients share one
    copy of their own (as the clients of one plain botocore session share one model:
    the rewrite is idempotent), and the edge reads the models as parsed
    (``as_parsed``): otherwise, once the deploy's S3 client ran, the edge read the
    stripped paths and took a PutObject for an UploadPart. One copy per model and
    process, not one per load: a deep copy of S3's model costs ~25 ms."""

    def __init__(self) -> None:
        super().__init__()
        self.clients_copies: dict[tuple[str, str | None], Any] = {}

    def load_service_model(
        self, service_name: str, type_name: str, api_version: str | None = None
    ) -> Any:
        model = super().load_service_model(service_name, type_name, api_version)
        if type_name != "service-2" or service_name not in REWRITTEN_BY_CLIENTS:
            return model
        key = (service_name, api_version)
        if key not in self.clients_copies:
            self.clients_copies[key] = copy.deepcopy(model)
        return self.clients_copies[key]

    def as_parsed(self, service_name: str) -> Any:
        """A service's API model as parsed from botocore's data, never rewritten."""
        return super().load_service_model(service_name, "service-2")


@functools.cache
def data_loader() -> botocore.loaders.Loader:
    """The one loader of botocore's data files in this process. A botocore session
    parses each JSON file it needs (endpoints: ~1 MB, a service model: up to ~1 MB)
    once per loader; every session of the harness (the edge's, the deploy's, the
    runtime's) shares this one, so each file is parsed once per process."""
    return SharedLoader()


def new_botocore_session() -> botocore.session.Session:
    """A botocore session reading its data through the shared loader."""
    session = botocore.session.get_session()
    session.register_component("data_loader", data_loader())
    return session


def required_headers(operation: Any) -> frozenset[str]:
    shape = operation.input_shape
    if shape is None:
        return frozenset()
    members = shape.members  # botocore builds this mapping anew on every access
    return frozenset(
        members[m].serialization["name"].lower()
        for m in shape.required_members
        if members[m].serialization.get("location") == "header"
    )


def route_of(operation: Any) -> Route:
    http = operation.http
    path, _, query = http["requestUri"].partition("?")
    regex = "".join(
        "(?P<{}>.+)".format(part[1:-2].replace("-", "_"))
        if part.endswith("+}")
        else "(?P<{}>[^/]+)".format(part[1:-1].replace("-", "_"))
        if part.startswith("{")
        else re.escape(part)
        for part in re.split(r"(\{[^}]+\})", path)
        if part
    )
    keys = frozenset(k.split("=")[0] for k in query.split("&") if k)
    headers = required_headers(operation)
    literal = len(re.sub(r"\{[^}]+\}", "", path))
    return Route(
        http["method"],
        re.compile(regex.rstrip("/") + "/?"),
        keys,
        headers,
        operation.name,
        literal + len(keys) + len(headers),
    )


@functools.cache
@functools.cache
def botocore_model(name: str) -> botocore.model.ServiceModel:
    """The edge's reading of a service's model: as parsed, whatever clients rewrote."""
    loader = data_loader()
    assert isinstance(loader, SharedLoader)
    return botocore.model.ServiceModel(loader.as_parsed(name), service_name=name)


def service_model(signing_name: str) -> ServiceModel | None:
    name = MODEL_OF_SIGNING_NAME.get(signing_name, signing_name)
    try:
        model = botocore_model(name)
    except UnknownServiceError:
        return None
    return ServiceModel(name, model.protocol, model.metadata.get("targetPrefix", ""))


@functools.cache
def routes_of(name: str) -> tuple[Route, ...]:
    model = botocore_model(name)
    return tuple(
        sorted(
            (route_of(model.operation_model(op)) for op in model.operation_names),
            key=lambda r: -r.weight,
        )
    )


def rest_operation(
    model: ServiceModel, method: str, path: str, query: dict[str, str], headers: set[str]
) -> tuple[str, dict[str, str]] | None:
    """The most specific route matching the request, with its path parameters."""
    for route in model.routes:
        if route.method != method or not (
            route.query_keys <= query.keys() and route.headers <= headers
        ):
            continue
        match = route.path.fullmatch(path)
        if match is not None:
            return route.operation, match.groupdict()
    return None
