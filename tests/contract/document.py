"""The API's OpenAPI document (cloudformation/openapi.yaml), and responses checked against it.

``check_response`` is a ``requests`` response hook: every response a test receives goes
through openapi-core, so the document and the API cannot drift apart unnoticed. A path or
method the document does not define must get API Gateway's 403 Missing Authentication
Token, which the document states once, as a shared response.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound

from tests.template_model import ROOT

DOCUMENT = ROOT / "cloudformation" / "openapi.yaml"


class ContractError(AssertionError):
    """A response the OpenAPI document does not allow."""


@functools.cache
def spec_dict(path: Path = DOCUMENT) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


@functools.cache
def openapi() -> OpenAPI:
    # RFC 9457 bodies are JSON under their own media type, which openapi-core does not know.
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_file_path(str(DOCUMENT), config=config)


def check_response(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """Raise :class:`ContractError` unless the document allows ``response`` to its request."""
    request = RequestsOpenAPIRequest(response.request)
    try:
        openapi().validate_response(request, RequestsOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        check_undefined_route(response)
    except Exception as exc:
        raise ContractError(describe(response, exc)) from exc
    return response


def check_undefined_route(response: requests.Response) -> None:
    shared = spec_dict()["components"]["responses"]["MissingAuthenticationToken"]
    schema = shared["content"]["application/json"]["schema"]
    resolved = {
        "allOf": [spec_dict()["components"]["schemas"]["GatewayMessage"], schema["allOf"][1]]
    }
    if response.status_code != 403 or "x-amzn-RequestId" not in response.headers:
        raise ContractError(describe(response, "an undefined route must be a 403"))
    try:
        jsonschema.validate(json.loads(response.content), resolved)
    except (ValueError, jsonschema.ValidationError) as exc:
        raise ContractError(describe(response, exc)) from exc


def describe(response: requests.Response, problem: object) -> str:
    sent = response.request
    causes = getattr(problem, "__cause__", None)
    return (
        f"{sent.method} {sent.url} -> {response.status_code} "
        f"{response.headers.get('Content-Type')} {response.content[:300]!r}: "
        f"{problem!r}" + (f" ({causes!r})" if causes else "")
    )
