"""The OpenAPI document is valid, and it states the rules the code enforces.

Pure: the document against the handlers' and the gateway's own tables, no stack.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from handlers import cursors, reader, upload_request
from handlers.problems import Rejection, RejectionKind
from handlers.text_rules import Limits, parse_lines
from localenv.gateway.errors import GatewayError
from tests.contract.document import DOCUMENT, spec_dict

# The text rules without the byte limits (the pattern does not express sizes).
UNLIMITED = Limits(max_upload_bytes=1 << 40, max_line_bytes=1 << 40)
# Characters on the edges of the text rules: every whitespace and C0 control, the BOMs,
# characters that are not line breaks here but are for str.splitlines.
EDGES = st.sampled_from(
    [chr(c) for c in range(0x20)]
    + [" ", "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\u3000", "\ufeff", "\u200b", "a", "é"]
)
TEXTS = st.lists(st.one_of(EDGES, st.characters(exclude_categories=["Cs"])), max_size=8).map(
    "".join
)


def components() -> dict[str, Any]:
    return spec_dict()["components"]


def operation(path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = spec_dict()["paths"][path][method]
    return found


def query_schema(op: dict[str, Any], name: str) -> dict[str, Any]:
    for declared in op["parameters"]:
        parameter = declared
        if "$ref" in declared:
            parameter = components()["parameters"][declared["$ref"].rsplit("/", 1)[1]]
        if parameter["name"] == name:
            schema: dict[str, Any] = parameter["schema"]
            return schema
    raise AssertionError(f"no parameter {name}")


def accepted(text: str) -> bool:
    try:
        parse_lines(text.encode("utf-8"), UNLIMITED)
    except Rejection:
        return False
    return True


def test_the_document_is_valid_openapi() -> None:
    document, url = read_from_filename(str(DOCUMENT))
    validate(document, base_uri=url)


@settings(max_examples=2000, deadline=None)
@given(TEXTS)
def test_the_body_pattern_accepts_exactly_what_the_text_rules_accept(text: str) -> None:
    pattern = components()["schemas"]["UploadText"]["pattern"]
    assert bool(re.search(pattern, text)) == accepted(text), repr(text)


@pytest.mark.parametrize("text", ["\ufeff", "\ufeff\ufeff", " \ufeff", "\ufeff \n", "\x85a"])
def test_the_body_pattern_on_the_bom_and_whitespace_edges(text: str) -> None:
    pattern = components()["schemas"]["UploadText"]["pattern"]
    assert bool(re.search(pattern, text)) == accepted(text)


def test_the_name_rule_is_the_handlers() -> None:
    schema = query_schema(operation("/dataproc", "post"), "name")
    assert schema["maxLength"] == upload_request.MAX_NAME_CHARS
    assert schema["minLength"] == 1


def test_the_name_pattern_refuses_exactly_categories_cc_cf_cs() -> None:
    """Against this Python's Unicode database, for every assigned code point.

    Surrogates (Cs) cannot travel in UTF-8, so the pattern leaves them out; the handler
    refuses them all the same. Code points a newer Unicode assigns are compared only on a
    Python that knows them (the pattern is written for Unicode 15.0, Python 3.12).
    """
    pattern = re.compile(query_schema(operation("/dataproc", "post"), "name")["pattern"])
    wrong = [
        hex(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) not in {"Cn", "Cs"}
        and bool(pattern.search(chr(code))) != (unicodedata.category(chr(code)) not in {"Cc", "Cf"})
    ]
    assert wrong == []


def test_limit_bounds_and_defaults_are_the_readers() -> None:
    for path, bounds in (
        ("/dataproc", reader.LIST_LIMIT),
        ("/dataproc/{uploadId}", reader.LINES_LIMIT),
    ):
        schema = query_schema(operation(path, "get"), "limit")
        assert (schema["default"], schema["maximum"], schema["minimum"]) == (*bounds, 1)


def test_cursor_length_is_the_readers() -> None:
    for path in ("/dataproc", "/dataproc/{uploadId}"):
        schema = query_schema(operation(path, "get"), "cursor")
        assert schema["maxLength"] == cursors.MAX_CURSOR_CHARS


def documented_problem_types(status: int) -> set[str]:
    found: set[str] = set()
    for response in components()["responses"].values():
        for media in response.get("content", {}).values():
            for part in media["schema"].get("allOf", []):
                props = part.get("properties", {})
                if props.get("status", {}).get("const") == status:
                    kinds = props["type"]
                    found |= set(kinds.get("enum", [kinds.get("const")]))
    not_found = components()["schemas"]["NotFoundProblem"]["allOf"][1]["properties"]
    if not_found["status"]["const"] == status:
        found.add(not_found["type"]["const"])
    return found


@pytest.mark.parametrize("kind", list(RejectionKind), ids=lambda kind: kind.name)
def test_every_problem_the_handlers_answer_is_documented_under_its_status(
    kind: RejectionKind,
) -> None:
    assert kind.type_uri in documented_problem_types(kind.status)


GATEWAY_RESPONSES = {
    GatewayError.UNAUTHORIZED: "Unauthorized",
    GatewayError.EXPLICIT_DENY: "Forbidden",
    GatewayError.IMPLICIT_DENY: "Forbidden",
    GatewayError.MISSING_AUTHENTICATION_TOKEN: "MissingAuthenticationToken",
    GatewayError.THROTTLED: "Throttled",
    GatewayError.REQUEST_TOO_LARGE: "TooLarge",
    GatewayError.HEADERS_TOO_LARGE: "HeadersTooLarge",
    GatewayError.URI_TOO_LONG: "UriTooLong",
    GatewayError.AUTHORIZER_FAILURE: "GatewayInternalError",
    GatewayError.INTEGRATION_FAILURE: "GatewayInternalError",
    GatewayError.BAD_INTEGRATION_RESPONSE: "BadGateway",
    GatewayError.INTEGRATION_TIMEOUT: "GatewayTimeout",
}


def resolved(schema: Any) -> Any:
    """The schema with its local ``$ref``s inlined (the document has no cycles)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return resolved(components()["schemas"][schema["$ref"].rsplit("/", 1)[1]])
        return {key: resolved(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolved(item) for item in schema]
    return schema


@pytest.mark.parametrize("error", list(GatewayError), ids=lambda error: error.name)
def test_every_gateway_error_body_is_documented(error: GatewayError) -> None:
    response = components()["responses"][GATEWAY_RESPONSES[error]]
    jsonschema.validate(
        json.loads(error.body), resolved(response["content"]["application/json"]["schema"])
    )
    statuses = {
        status
        for path in spec_dict()["paths"].values()
        for op in path.values()
        for status, answer in op["responses"].items()
        if answer.get("$ref", "").endswith(f"/{GATEWAY_RESPONSES[error]}")
    }
    assert statuses == {str(error.status)}


def test_every_operation_documents_the_10_mb_gateway_limit() -> None:
    for path in spec_dict()["paths"].values():
        for op in path.values():
            assert "413" in op["responses"]
