"""A JSON body decoded once: moto answers a call whose body the edge decoded (and
offered to moto's parser) exactly as it answers the same call decoded by moto itself
(the same status, headers, body and table afterwards), on random bodies: valid
requests, wrong types, lone surrogates, BOMs, UTF-16, truncated and non-object JSON."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto.core.parse import BaseJSONParser
from moto.dynamodb.models import dynamodb_backends

from localenv import moto_json_body
from localenv.edge.backends import MotoBackend
from localenv.edge.calls import RawRequest, json_body
from tests.aws_requests import sdk_request

VARYING_HEADERS = {"x-amzn-requestid", "date", "x-amz-crc32"}
TABLE = {
    "TableName": "j",
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "BillingMode": "PAY_PER_REQUEST",
}
BACKEND = MotoBackend("127.0.0.1", 4566)


@pytest.fixture(scope="module", autouse=True)
def started() -> None:
    BACKEND.start()


def with_host(raw: RawRequest, body: bytes | None = None) -> RawRequest:
    """A new request (nothing decoded yet) as an SDK sends it to the edge."""
    headers = (*raw.headers, ("Host", "127.0.0.1:4566"))
    return RawRequest(raw.method, raw.target, headers, raw.body if body is None else body)


def fresh_table() -> None:
    dynamodb_backends["123456789012"]["us-east-1"].reset()
    BACKEND.forward(with_host(sdk_request("dynamodb", "CreateTable", TABLE)))
    item = {"TableName": "j", "Item": {"pk": {"S": "k"}, "v": {"S": "old"}}}
    BACKEND.forward(with_host(sdk_request("dynamodb", "PutItem", item)))


def answer(raw: RawRequest) -> Any:
    fresh_table()
    try:
        response = BACKEND.forward(raw)
    except Exception as exc:
        return "raised", type(exc).__name__, str(exc)
    headers = sorted(
        (k.lower(), v) for k, v in response.headers if k.lower() not in VARYING_HEADERS
    )
    scan = BACKEND.forward(with_host(sdk_request("dynamodb", "Scan", {"TableName": "j"})))
    return response.status, headers, response.body, scan.body


TEXT = st.one_of(st.text(max_size=8), st.sampled_from(["\ud800", "a\udfffb", "é", "\x00"]))
VALUE = st.one_of(
    TEXT.map(lambda s: {"S": s}),
    st.integers().map(lambda n: {"N": str(n)}),
    TEXT,  # the wrong type
    st.lists(TEXT, max_size=2),
)
REQUESTS = st.one_of(
    st.builds(lambda v: ("PutItem", {"TableName": "j", "Item": {"pk": {"S": "n"}, "v": v}}), VALUE),
    st.builds(lambda k: ("GetItem", {"TableName": "j", "Key": {"pk": k}}), VALUE),
    st.builds(
        lambda k, v: (
            "BatchWriteItem",
            {"RequestItems": {"j": [{"PutRequest": {"Item": {"pk": k, "v": v}}}]}},
        ),
        VALUE,
        VALUE,
    ),
    st.builds(lambda t: ("PutItem", {"TableName": t, "Item": {"pk": {"S": "x"}}}), TEXT),
)


# An SDK's request of each operation, its body replaced by each example's.
TEMPLATES = {
    "PutItem": sdk_request("dynamodb", "PutItem", {"TableName": "j", "Item": {}}),
    "GetItem": sdk_request("dynamodb", "GetItem", {"TableName": "j", "Key": {}}),
    "BatchWriteItem": sdk_request("dynamodb", "BatchWriteItem", {"RequestItems": {}}),
}


# An SDK's request of each operation, its body replaced by each example's.
TEMPLATES = {
    "PutItem": sdk_request("dynamodb", "PutItem", {"TableName": "j", "Item": {}}),
    "GetItem": sdk_request("dynamodb", "GetItem", {"TableName": "j", "Key": {}}),
    "BatchWriteItem": sdk_request("dynamodb", "BatchWriteItem", {"RequestItems": {}}),
}


def encoded(document: Any, ascii_only: bool, form: str, cut: int) -> bytes:
    text = json.dumps(document, ensure_ascii=ascii_only)
    plain = text.encode("utf-8", "surrogatepass")
    return {
        "utf-8": plain,
        "bom": b"\xef\xbb\xbf" + plain,
        "utf-16": text.encode("utf-16", "surrogatepass"),
        "truncated": plain[: cut % max(len(plain), 1)],
        "array": json.dumps([document]).encode(),
        "string": json.dumps(text).encode(),
        "empty": b"",
        "invalid-utf-8": plain.replace(b"}", b"\xff}", 1),
    }[form]


FORMS = st.sampled_from(
    [
        "utf-8",
        "utf-8",
        "utf-8",
        "bom",
        "utf-16",
        "truncated",
        "array",
        "string",
        "empty",
        "invalid-utf-8",
    ]
)


@settings(deadline=None, max_examples=60)
@given(REQUESTS, st.booleans(), FORMS, st.integers(0, 500))
def test_moto_answers_a_call_the_edge_decoded_as_one_it_decodes_itself(
    request: tuple[str, dict[str, Any]], ascii_only: bool, form: str, cut: int
) -> None:
    operation, params = request
    body = encoded(params, ascii_only, form, cut)
    decoded_by_edge = with_host(TEMPLATES[operation], body)
    json_body(decoded_by_edge)  # what the edge's parse does
    assert decoded_by_edge.decoded_json() is not None
    decoded_by_moto = with_host(TEMPLATES[operation], body)
    assert answer(decoded_by_edge) == answer(decoded_by_moto)


def test_the_parser_takes_the_offered_document_itself() -> None:
    body = b'{"TableName": "j"}'
    document = {"TableName": "j"}
    parser = BaseJSONParser.__new__(BaseJSONParser)
    with moto_json_body.offered(body, document):
        assert parser._parse_body_as_json(bytes(body)) is document
        assert parser._parse_body_as_json(b'{"TableName": "k"}') == {"TableName": "k"}
    assert parser._parse_body_as_json(body) is not document


@pytest.mark.parametrize(
    ("body", "same"),
    [
        (b'{"a": "\xc3\xa9"}', True),
        (b'{"a": "\xed\xa0\x80"}', True),  # a surrogate: moto falls back to json.loads(bytes)
        (b'\xef\xbb\xbf{"a": 1}', False),  # a BOM, which moto's text decoding refuses
        ('{"a": 1}'.encode("utf-16"), False),
        (b"", False),
    ],
)
def test_only_a_body_moto_reads_the_edge_s_way_is_taken(body: bytes, same: bool) -> None:
    assert moto_json_body.same_decoding(body, body) is same


def test_a_replaced_body_is_decoded_anew() -> None:
    raw = with_host(sdk_request("dynamodb", "GetItem", {"TableName": "j", "Key": {}}))
    json_body(raw)
    replaced = dataclasses.replace(raw, body=b'{"TableName": "other"}')
    assert replaced.decoded_json() is None
    assert json_body(replaced) == {"TableName": "other"}
