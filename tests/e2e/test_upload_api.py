"""The upload API end to end: real HTTP to the local gateway, real Cognito tokens, the real
handlers in awslambdaric workers, and the table read back through boto3.

Every response here is checked against the API's OpenAPI document (tests/contract/document.py)
as it arrives: through the module's own ``api_client`` and through ``http``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import ApiClient, new_user
from tests.contract.document import check_response


def contract_client(endpoint: str, token: str | None) -> ApiClient:
    client = ApiClient(endpoint, token)
    client.hooks["response"].append(check_response)
    return client


@pytest.fixture
def api_client(localenv_stack: dict[str, Any], localenv_token: str) -> Iterator[ApiClient]:
    """The plugin's client, with every response checked against the OpenAPI document."""
    with contract_client(localenv_stack["ApiEndpoint"], localenv_token) as client:
        yield client


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain session (no token) whose responses are checked against the OpenAPI document."""
    with requests.Session() as session:
        session.hooks["response"].append(check_response)
        yield session


def table_items(outputs: dict[str, Any], upload_id: str) -> list[dict[str, Any]]:
    dynamodb = emulator.session(outputs["Region"]).client(
        "dynamodb", endpoint_url=outputs["AwsEndpointUrl"]
    )
    pages = dynamodb.get_paginator("query").paginate(
        TableName=outputs["TableName"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"UPLOAD#{upload_id}"}},
    )
    return [item for page in pages for item in page["Items"]]


def post(
    client: ApiClient, body: bytes, content_type: str = "text/plain", **params: str
) -> requests.Response:
    return client.post("", data=body, headers={"Content-Type": content_type}, params=params)


def multi_mib_file() -> tuple[bytes, list[str]]:
    lines = [f"{n:07d} the quick brown fox jumps over the lazy dog ünïcødé" for n in range(60_000)]
    return ("\r\n".join(lines) + "\n").encode(), lines


def test_multi_mib_upload_replay_and_read_back(
    api_client: ApiClient, localenv_stack: dict[str, Any]
) -> None:
    body, lines = multi_mib_file()
    assert len(body) > 3 * 1024 * 1024
    created = post(api_client, body, name="big.txt")
    assert created.status_code == 201, created.text
    summary = created.json()
    assert summary["lines"] == len(lines)
    assert summary["sha256"] == hashlib.sha256(body).hexdigest()
    assert created.headers["Location"].endswith(f"/dataproc/{summary['uploadId']}")
    items = table_items(localenv_stack, summary["uploadId"])
    replay = post(api_client, body, name="other-name.txt")
    assert replay.status_code == 200
    assert replay.json() == summary
    assert table_items(localenv_stack, summary["uploadId"]) == items  # nothing written twice
    collected: list[str] = []
    cursor = None
    while True:
        page = api_client.get(
            summary["uploadId"], params={"limit": "10000", **({"cursor": cursor} if cursor else {})}
        )
        assert page.status_code == 200
        collected += page.json()["data"]
        cursor = page.json()["nextCursor"]
        if not cursor:
            break
    assert collected == lines
    listing = api_client.get("").json()["uploads"]
    assert [u["uploadId"] for u in listing] == [summary["uploadId"]]


def test_raw_text_reaches_the_function_base64_encoded_and_lines_are_exact(
    api_client: ApiClient,
) -> None:
    body = "\ufeffa\u2028b\r\n\r\n  c  \rd\n".encode()
    created = post(api_client, body, "text/plain; charset=utf-8")
    assert created.status_code == 201
    read = api_client.get(created.json()["uploadId"]).json()
    assert read["data"] == ["a\u2028b", "c", "d"]


def test_every_rejection_is_problem_json_and_writes_nothing(
    api_client: ApiClient, localenv_stack: dict[str, Any]
) -> None:
    cases = [
        (b"", "text/plain", 400),
        (b"x" * (4 * 1024 * 1024 + 1), "text/plain", 413),
        (b"y" * (256 * 1024 + 1), "text/plain", 413),
        (b"hello", "application/json", 415),
        (b"hello", "text/plain; charset=iso-8859-1", 415),
        (b"\xff\xfeh\x00i\x00", "text/plain", 415),
        (b"ok\n\xc3\x28", "text/plain", 422),
        (b"nul\x00", "text/plain", 422),
        (b" \n\t\n", "text/plain", 422),
    ]
    for body, content_type, status in cases:
        response = post(api_client, body, content_type)
        assert response.status_code == status, (content_type, status, response.text)
        assert response.headers["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status
        assert problem["requestId"] == response.headers["x-amzn-RequestId"]
    assert api_client.get("").json()["uploads"] == []


def test_invalid_utf8_detail_names_the_byte_offset(api_client: ApiClient) -> None:
    response = post(api_client, b"abc\n\xe2\x28\xa1")
    assert response.status_code == 422
    assert "byte offset 4" in response.json()["detail"]


def test_owners_are_isolated(api_client: ApiClient, localenv_stack: dict[str, Any]) -> None:
    mine = post(api_client, b"private\n").json()["uploadId"]
    other = new_user(localenv_stack)
    with contract_client(localenv_stack["ApiEndpoint"], other.token) as theirs:
        assert theirs.get(mine).status_code == 404
        assert theirs.get("").json()["uploads"] == []
        same = post(theirs, b"private\n")
        assert same.status_code == 201  # their own copy, under their own id
        assert same.json()["uploadId"] != mine


def test_missing_and_bad_tokens(localenv_stack: dict[str, Any], http: requests.Session) -> None:
    url = localenv_stack["ApiEndpoint"]
    missing = http.post(url, data=b"x", headers={"Content-Type": "text/plain"}, timeout=30)
    assert (missing.status_code, missing.text) == (401, '{"message":"Unauthorized"}')
    bad = http.get(url, headers={"Authorization": "Bearer not.a.token"}, timeout=30)
    assert (bad.status_code, bad.text) == (401, '{"message":"Unauthorized"}')
    forged = http.get(
        url,
        timeout=30,
        headers={
            "Authorization": "Bearer "
            + ".".join(
                [
                    base64.urlsafe_b64encode(b'{"alg":"none","kid":"dummy"}').decode().rstrip("="),
                    base64.urlsafe_b64encode(b'{"sub":"x"}').decode().rstrip("="),
                    "c2ln",
                ]
            )
        },
    )
    assert forged.status_code == 401


def test_unknown_route_and_method(
    localenv_stack: dict[str, Any], localenv_token: str, http: requests.Session
) -> None:
    base = localenv_stack["ApiEndpoint"].rsplit("/", 1)[0]
    auth = {"Authorization": f"Bearer {localenv_token}"}
    for method, path in (("GET", "/nothing"), ("DELETE", "/dataproc"), ("GET", "/../x")):
        response = http.request(method, base + path, headers=auth, timeout=30)
        assert response.status_code == 403
        assert response.text == '{"message":"Missing Authentication Token"}'
    wrong_stage = http.get(base.rsplit("/", 1)[0] + "/dev/dataproc", headers=auth, timeout=30)
    assert wrong_stage.status_code == 403


def test_body_over_10_mb_is_413(
    localenv_stack: dict[str, Any], localenv_token: str, http: requests.Session
) -> None:
    response = http.post(
        localenv_stack["ApiEndpoint"],
        data=b"z" * (10 * 1024 * 1024 + 1),
        headers={"Authorization": f"Bearer {localenv_token}", "Content-Type": "text/plain"},
        timeout=60,
    )
    assert response.status_code == 413


def test_cors_preflight_and_cors_on_gateway_errors(
    localenv_stack: dict[str, Any], http: requests.Session
) -> None:
    url = localenv_stack["ApiEndpoint"]
    preflight = http.options(url, timeout=30)
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    denied = http.get(url, timeout=30)
    assert denied.status_code == 401
    assert denied.headers["Access-Control-Allow-Origin"] == "*"


def test_the_stacks_endpoint_refuses_a_26_item_batch_as_dynamodb_does(
    localenv_stack: dict[str, Any],
) -> None:
    """The emulator alone writes it; DynamoDB refuses it, and so does the stack's endpoint."""
    dynamodb = emulator.session(localenv_stack["Region"]).client(
        "dynamodb", endpoint_url=localenv_stack["AwsEndpointUrl"]
    )
    table = localenv_stack["TableName"]
    puts = [
        {"PutRequest": {"Item": {"pk": {"S": "LIMIT#batch"}, "sk": {"S": f"{n:02d}"}}}}
        for n in range(26)
    ]
    with pytest.raises(dynamodb.exceptions.ClientError) as refused:
        dynamodb.batch_write_item(RequestItems={table: puts})
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "ValidationException",
        "Too many items requested for the BatchWriteItem call",
    )
    assert (
        dynamodb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "LIMIT#batch"}},
        )["Items"]
        == []
    )
    dynamodb.batch_write_item(RequestItems={table: puts[:25]})  # 25: written
