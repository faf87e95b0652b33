"""Issue 17's probes through real HTTP, against tests/e2e/probe_stack/template.yaml.

Each expected value comes from LocalStack's AWS-validated recordings (repository
localstack/localstack, tests/aws/services/apigateway/*.snapshot.json and the tests
that produced them), named per test. The probe function returns the request's
body as its proxy response (or, without a body, the event it received).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator, stack
from localenv.intrinsics import UnsupportedError
from localenv.pytest_plugin import StackProcess
from tests.e2e.stacks import running
from tests.template_model import ROOT

TEMPLATE = Path(__file__).parent / "probe_stack" / "template.yaml"
PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n\x00\xff").decode()


@pytest.fixture(scope="module")
def probe(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[StackProcess]:
    with running(
        tmp_path_factory.mktemp("probe"),
        "--template",
        str(TEMPLATE),
        "--stack-name",
        "probe",
        *localenv_backend_args,
    ) as process:
        yield process


@pytest.fixture(scope="module")
def url(probe: StackProcess) -> str:
    return str(probe.outputs["ApiEndpoint"])


def answer(url: str, output: Any, **kwargs: Any) -> requests.Response:
    """The gateway's response when the function returns ``output`` (no Content-Type sent,
    as LocalStack's recordings send it, so the body is not a binary media type)."""
    return requests.post(f"{url}/anything", data=json.dumps(output), timeout=10, **kwargs)


def event(url: str, path: str = "/anything", **kwargs: Any) -> dict[str, Any]:
    response = requests.get(url + path, timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_item1_base64_is_decoded_only_for_a_binary_first_accept(url: str) -> None:
    # test_apigateway_lambda.py::test_aws_proxy_binary_response
    output = {"statusCode": 200, "body": PNG, "isBase64Encoded": True}
    binary = base64.b64decode(PNG)
    assert answer(url, output, headers={"Accept": "image/png"}).content == binary
    assert answer(url, output, headers={"Accept": "application/whatever"}).content == binary
    for accept in ("*/*", "image/*", "image/webp,image/png,*/*;q=0.8"):
        assert answer(url, output, headers={"Accept": accept}).text == PNG
    bad = {"statusCode": 200, "body": "èé+à)(", "isBase64Encoded": True}
    assert answer(url, bad, headers={"Accept": "image/png"}).status_code == 500


def test_item2_status_code_missing_or_a_string(url: str) -> None:
    # invoke-api-only-headers, invoke-api-status-code-str
    assert answer(url, {"headers": {"test-header": "value"}}).status_code == 200
    assert answer(url, {"statusCode": "201"}).status_code == 201


def test_item3_every_binary_media_type_is_kept_apart(url: str, probe: StackProcess) -> None:
    apigateway = emulator.session("us-east-1").client(
        "apigateway", endpoint_url=probe.outputs["AwsEndpointUrl"]
    )
    apis = apigateway.get_rest_apis()["items"]
    api = next(a for a in apis if a["name"] == "probe-api")
    assert sorted(api["binaryMediaTypes"]) == ["application/*", "image/png"]
    raw = bytes(range(256))
    got = requests.post(
        f"{url}/anything",
        data=raw,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    ).json()
    assert got["isBase64Encoded"] is True
    assert base64.b64decode(got["body"]) == raw  # not UTF-8-decoded with U+FFFD


def test_item4_function_headers_are_remapped_and_merged(url: str) -> None:
    # AWS_PROXY header remapping; invoke-api-multi-headers-overwrite
    output = {
        "statusCode": 200,
        "body": "hello",
        "headers": {"Content-Length": "5", "Transfer-Encoding": "chunked", "test-multi": "solo"},
        "multiValueHeaders": {"test-multi": ["multi"]},
    }
    response = answer(url, output)
    assert response.text == "hello"
    assert response.headers["x-amzn-Remapped-Content-Length"] == "5"
    assert response.headers["test-multi"] == "multi, solo"
    assert "Transfer-Encoding" not in response.headers and "Server" not in response.headers
    assert response.raw.headers.getlist("Content-Length") == ["5"]


def test_item5_request_headers_as_the_function_sees_them(url: str) -> None:
    # test_lambda_aws_proxy_integration; header_remapping_aws[AWS_PROXY]
    headers = {
        "aUThorization": "t",
        "user-Agent": "probe",
        "x-Custom": "c",
        "X-Forwarded-For": "10.1.2.3",
        "Max-Forwards": "3",
    }
    sent = event(url, headers=headers)["headers"]
    assert sent["Authorization"] == "t" and sent["User-Agent"] == "probe"
    assert sent["x-Custom"] == "c"
    assert "Max-Forwards" not in sent and "Connection" not in sent
    assert sent["X-Forwarded-For"].startswith("10.1.2.3, ")
    assert sent["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert {"X-Forwarded-Port", "X-Forwarded-Proto"} <= set(sent)


def test_item6_paths_keep_percent_encoding(url: str) -> None:
    # …with-path-encoded-email, …with-double-slash, …with-prepended-slash
    got = event(url, "/user/name%2Bextra@example.com")
    assert got["path"] == "/user/name%2Bextra@example.com"
    assert got["pathParameters"]["proxy"] == "user/name%2Bextra@example.com"
    assert event(url, "/a//b")["pathParameters"]["proxy"] == "a//b"
    assert event(url, "/a%2Fb")["pathParameters"]["proxy"] == "a%2Fb"


def test_item7_a_literal_resource_without_the_method_falls_through(url: str) -> None:
    # test_proxy_routing_with_hardcoded_resource_sibling
    assert event(url, "/test")["resource"] == "/{proxy+}"


def test_item9_a_non_post_proxy_integration_is_500(url: str) -> None:
    # test_lambda_aws_proxy_integration_non_post_method
    response = requests.get(f"{url}/nonpost", timeout=10)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}


def test_item10_mock_template_and_gateway_response_status(url: str) -> None:
    # test_routing_not_found ``working-route``; GatewayResponse StatusCode/ResponseTemplates
    mock = requests.get(f"{url}/mock", timeout=10)
    assert mock.status_code == 200
    assert mock.json() == {"statusCode": 200, "message": "working"}
    assert mock.headers["Content-Type"] == "application/json"
    missing = requests.get(url, timeout=10)  # "/" has no method
    assert missing.status_code == 404
    assert missing.json() == {"error": "Missing Authentication Token"}


def test_item11_ids_limits_query_and_method_override(url: str) -> None:
    response = requests.get(f"{url}/anything?a=1;b=2", timeout=10)
    got = response.json()
    assert got["requestContext"]["deploymentId"]
    assert got["requestContext"]["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert got["queryStringParameters"] == {"a": "1", "b": "2"}
    override = {"X-HTTP-Method-Override": "PUT"}
    assert event(url, headers=override)["httpMethod"] == "PUT"
    big = requests.get(f"{url}/anything", headers={"X-Big": "a" * 10_300}, timeout=10)
    assert big.status_code == 431


def test_issue14_requests_reads_the_413_for_an_11_mb_body(url: str) -> None:
    response = requests.post(f"{url}/anything", data=b"x" * (11 * 1024 * 1024), timeout=30)
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}


def test_item8_api_key_required_is_refused_at_deploy(moto_endpoint: str, tmp_path: Path) -> None:
    # API keys are not emulated: a method requiring one is refused, never served keyless
    # (on AWS a request without a valid x-api-key is a 403: test_api_key_required_for_methods).
    shutil.copytree(TEMPLATE.parent, tmp_path / "probe_stack")
    path = tmp_path / "probe_stack" / "template.yaml"
    text = path.read_text()
    marker = "      HttpMethod: POST\n"
    assert marker in text
    path.write_text(text.replace(marker, marker + "      ApiKeyRequired: true\n", 1))
    options = stack.StackOptions(
        root=ROOT, stack_name="keys", template=path, state_dir=tmp_path / "state"
    )
    with pytest.raises(UnsupportedError, match=r"TestPostMethod: ApiKeyRequired"):
        stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
