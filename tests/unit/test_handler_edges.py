"""The proxy event's readers and the problem responses, one rule at a time.

The handler tests go through these on their happy paths; here each edge is pinned
on its own (a header whose value is null, an event without the optional maps, the
request id's fallback), so a change to one of them fails a test that names it.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from handlers import observability, proxy_event, upload_request
from handlers.problems import Rejection, RejectionKind, json_response, problem_response
from handlers.proxy_event import MissingCallerError


def test_header_lookup_ignores_case_and_keeps_a_null_value_null() -> None:
    event = {"headers": {"X-Other": "no", "content-TYPE": "text/plain", "X-Null": None}}
    assert proxy_event.header(event, "Content-Type") == "text/plain"
    assert proxy_event.header(event, "x-null") is None
    assert proxy_event.header(event, "Missing") is None
    assert proxy_event.header({"headers": None}, "Content-Type") is None
    assert proxy_event.header({}, "Content-Type") is None


def test_header_values_are_strings() -> None:
    assert proxy_event.header({"headers": {"N": 5}}, "n") == "5"


@pytest.mark.parametrize("field", ["queryStringParameters", "pathParameters"])
def test_query_and_path_parameters_absent_null_or_present(field: str) -> None:
    read = proxy_event.query_param if field == "queryStringParameters" else proxy_event.path_param
    assert read({}, "name") is None
    assert read({field: None}, "name") is None
    assert read({field: {"other": "x"}}, "name") is None
    assert read({field: {"name": None}}, "name") is None
    assert read({field: {"name": 7}}, "name") == "7"
    assert read({field: {"name": ""}}, "name") == ""


def test_request_id_is_api_gateways_else_the_fallback() -> None:
    assert proxy_event.request_id({"requestContext": {"requestId": "api-1"}}, "fb") == "api-1"
    assert proxy_event.request_id({"requestContext": {"requestId": ""}}, "fb") == "fb"
    assert proxy_event.request_id({"requestContext": None}, "fb") == "fb"
    assert proxy_event.request_id({}, "fb") == "fb"


def test_caller_is_sub_else_principal_id() -> None:
    def event(authorizer: object) -> dict[str, object]:
        return {"requestContext": {"authorizer": authorizer}}

    assert proxy_event.caller(event({"sub": "s", "principalId": "p"})) == "s"
    assert proxy_event.caller(event({"sub": "", "principalId": "p"})) == "p"
    assert proxy_event.caller(event({"principalId": "p"})) == "p"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": None},
        {"requestContext": {"authorizer": None}},
        {"requestContext": {"authorizer": {"sub": ""}}},
        {"requestContext": {"authorizer": {"sub": 5}}},
    ],
)
def test_no_caller_is_an_error(event: dict[str, object]) -> None:
    with pytest.raises(MissingCallerError):
        proxy_event.caller(event)


def test_body_bytes_raw_base64_and_missing() -> None:
    assert proxy_event.body_bytes({}) == b""
    assert proxy_event.body_bytes({"body": None, "isBase64Encoded": True}) == b""
    assert proxy_event.body_bytes({"body": "h\u00e9"}) == "h\u00e9".encode()
    assert proxy_event.body_bytes({"body": "aGk=", "isBase64Encoded": False}) == b"aGk="
    encoded = base64.b64encode(b"\xff\x00hi").decode()
    assert proxy_event.body_bytes({"body": encoded, "isBase64Encoded": True}) == b"\xff\x00hi"


def test_a_raw_body_keeps_a_lone_surrogate_as_its_bytes() -> None:
    # The runtime decodes the event's JSON, so an unpaired \\ud800 reaches the handler as
    # a lone surrogate: its bytes go on to the UTF-8 check, which refuses them.
    assert proxy_event.body_bytes({"body": "a\ud800"}) == b"a\xed\xa0\x80"


# Strict: a lax decoder would drop the characters outside the alphabet and decode the rest.
@pytest.mark.parametrize("body", ["not*base64", "aGk", "aG=k", "aGk=*", "aG k="])
def test_body_that_is_not_strict_base64_is_a_bad_request(body: str) -> None:
    with pytest.raises(Rejection) as caught:
        proxy_event.body_bytes({"body": body, "isBase64Encoded": True})
    assert caught.value.kind is RejectionKind.BAD_REQUEST
    assert "base64" in caught.value.detail


@pytest.mark.parametrize(
    ("text", "padded"),
    [
        ("", True),
        ("aGk=", True),
        ("aA==", True),
        ("aGkh", True),
        ("aG k", True),  # not base64, but in padded form: pybase64 refuses it
        ("aGk", False),  # not a multiple of 4
        ("aG=k", False),  # padding before data
        ("a===", False),  # three pads
        ("=aGk", False),  # leading padding
        ("aA==aA==", False),  # padding inside
    ],
)
def test_padded_form_is_padding_only_at_the_end_of_a_multiple_of_4(text: str, padded: bool) -> None:
    assert proxy_event.padded_form(text) is padded


@pytest.mark.parametrize("body", ["aGk*", "aG k", "aG\u00e9="])
def test_a_body_in_padded_form_that_is_not_base64_is_still_a_bad_request(body: str) -> None:
    with pytest.raises(Rejection) as caught:
        proxy_event.body_bytes({"body": body, "isBase64Encoded": True})
    assert caught.value.detail == "The body is not valid base64."


def test_bits_past_the_last_whole_byte_are_dropped_as_the_standard_decoder_does() -> None:
    assert base64.b64decode("aR==", validate=True) == b"i"  # "aQ==" without the stray bit
    assert proxy_event.body_bytes({"body": "aR==", "isBase64Encoded": True}) == b"i"


def test_problem_response_is_rfc_9457_with_the_request_id() -> None:
    rejection = Rejection(RejectionKind.NOT_FOUND, "No upload 'x' of yours.")
    response = problem_response(rejection, "rid-1")
    assert response["statusCode"] == 404
    assert response["headers"] == {"Content-Type": "application/problem+json"}
    assert json.loads(response["body"]) == {
        "type": "urn:dataproc:problem:not-found",
        "title": "Upload not found",
        "status": 404,
        "detail": "No upload 'x' of yours.",
        "requestId": "rid-1",
    }


def test_problem_response_carries_retry_after_when_given_and_keeps_non_ascii() -> None:
    rejection = Rejection(RejectionKind.STORAGE_THROTTLED, "busy \u2013 retry", retry_after=0)
    response = problem_response(rejection, "r")
    assert response["headers"]["Retry-After"] == "0"
    assert "\u2013" in response["body"]
    assert rejection.detail == str(rejection) == "busy \u2013 retry"


def test_json_response_is_compact_utf8_json_with_extra_headers() -> None:
    response = json_response(201, {"a": "\u00e9", "b": [1, 2]}, {"Location": "/x"})
    assert response == {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "Location": "/x"},
        "body": '{"a":"\u00e9","b":[1,2]}',
    }
    assert json_response(200, None)["headers"] == {"Content-Type": "application/json"}


def test_a_logger_writes_json_lines_named_after_its_service() -> None:
    logger = observability.logger("edge-service")
    # A second handler with the logger's own formatter: the first writes to the stdout
    # of whichever test made the logger first (Powertools reuses a service's logger).
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    stdlib_logger = logging.getLogger(logger.name)
    stdlib_logger.addHandler(handler)
    try:
        logger.info("hello", extra={"k": 1})
    finally:
        stdlib_logger.removeHandler(handler)
    (line,) = buffer.getvalue().splitlines()
    record = json.loads(line)
    assert (record["service"], record["message"], record["k"]) == ("edge-service", "hello", 1)
    assert record["level"] == "INFO"


def test_metrics_go_to_the_dataproc_namespace_under_their_service() -> None:
    metrics = observability.metrics("edge-service")
    try:
        metrics.add_metric(name="Edge", unit=MetricUnit.Count, value=1)
        emf: dict[str, Any] = dict(metrics.serialize_metric_set())
    finally:
        metrics.clear_metrics()
    (directive,) = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == observability.NAMESPACE == "DataProc"
    assert emf["service"] == "edge-service"


@pytest.mark.parametrize("name", ["", "x" * 257, "tab\there"])
def test_a_refused_name_tells_the_client_the_rule(name: str) -> None:
    with pytest.raises(Rejection) as caught:
        upload_request.upload_name({"queryStringParameters": {"name": name}})
    assert caught.value.kind is RejectionKind.BAD_REQUEST
    assert "1 to 256 characters" in caught.value.detail


def test_names_of_1_and_256_characters_are_kept() -> None:
    for name in ("a", "b" * 256):
        assert upload_request.upload_name({"queryStringParameters": {"name": name}}) == name
    assert upload_request.upload_name({"queryStringParameters": None}) is None


@pytest.mark.parametrize(
    "value",
    [
        "text/plain; format=flowed; charset=latin-1",  # a charset after another parameter
        "text/plain; charset=utf-8=x",  # the value is everything after the first "="
        "text/plain; charset=UTF-8X",  # only quotes and blanks are stripped from it
        "text/plain; charset=",
    ],
)
def test_every_charset_parameter_is_checked_whole(value: str) -> None:
    with pytest.raises(Rejection) as caught:
        upload_request.check_content_type(value)
    assert caught.value.kind is RejectionKind.UNSUPPORTED_MEDIA


@pytest.mark.parametrize(
    "value", ["text/plain; format=flowed; charset=utf-8", ' Text/Plain ; charset = "UTF-8" ']
)
def test_a_utf8_charset_among_other_parameters_is_accepted(value: str) -> None:
    upload_request.check_content_type(value)
