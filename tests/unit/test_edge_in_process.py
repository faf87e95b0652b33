"""The stack's own calls handed to its edge without a socket meet the edge as the same
request it would have read from HTTP, and the SDK reads the same answer."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from localenv.edge.backends import MotoBackend
from localenv.edge.calls import RawRequest
from localenv.edge.errors import EdgeResponse
from localenv.edge.in_process import InProcessSender, raw_request
from localenv.edge.server import Edge
from localenv.emulator import CREDENTIALS
from localenv.resources.base import DeployContext

# Per-call values: the SDK's invocation id and attempt, the signature's date and
# signature, request ids, dates and the server's name in answers.
VARYING = {
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-date",
    "authorization",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-amz-id-2",
    "date",
    "server",
    "x-amz-crc32",
}


def sdk_session() -> boto3.Session:
    return boto3.Session(
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["aws_access_key_id"],
        aws_secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


class Recorder:
    """A backend in front of embedded moto that keeps every request it forwards."""

    def __init__(self) -> None:
        self.moto = MotoBackend("127.0.0.1", 0)
        self.seen: list[RawRequest] = []

    def start(self) -> None:
        self.moto.start()

    def forward(self, raw: RawRequest) -> EdgeResponse:
        self.seen.append(raw)
        return self.moto.forward(raw)


@pytest.fixture(scope="module")
def edge() -> Iterator[Edge]:
    with Edge("127.0.0.1", 0, Recorder()) as started:
        yield started


def clients(edge: Edge, service: str, handled: list[RawRequest] | None = None) -> tuple[Any, Any]:
    """One client over HTTP to the edge's server, one handing calls to ``edge.handle``
    (each kept in ``handled``, when given)."""
    session: Any = sdk_session()  # client() is overloaded per service name
    config = Config(retries={"max_attempts": 1})
    over_http = session.client(service, endpoint_url=edge.endpoint_url, config=config)
    in_process = session.client(service, endpoint_url=edge.endpoint_url, config=config)

    def handle(raw: RawRequest) -> EdgeResponse:
        if handled is not None:
            handled.append(raw)
        return edge.handle(raw)

    return over_http, InProcessSender(handle).attach(in_process)


def stable(raw: RawRequest) -> tuple[str, str, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in raw.headers if k.lower() not in VARYING]
    return raw.method, raw.target, headers, raw.body


def answer_of(call: Callable[[Any], Any], client: Any) -> Any:
    try:
        result = call(client)
    except ClientError as exc:
        result = exc.response
    metadata = result.pop("ResponseMetadata", {})
    headers = {k: v for k, v in metadata.get("HTTPHeaders", {}).items() if k not in VARYING}
    body = result.pop("Body", None)
    return result, metadata.get("HTTPStatusCode"), headers, body.read() if body else None


def setup_calls(edge: Edge) -> None:
    dynamodb, _ = clients(edge, "dynamodb")
    dynamodb.create_table(
        TableName="in-process",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3, _ = clients(edge, "s3")
    s3.create_bucket(Bucket="in-process")


ITEM = {"pk": {"S": "a"}, "text": {"S": "x" * 2000}}
CALLS: list[tuple[str, str, Callable[[Any], Any]]] = [
    ("json", "dynamodb", lambda c: c.put_item(TableName="in-process", Item=ITEM)),
    ("json read", "dynamodb", lambda c: c.get_item(TableName="in-process", Key={"pk": ITEM["pk"]})),
    ("json error", "dynamodb", lambda c: c.describe_table(TableName="missing")),
    ("rest-xml bytes", "s3", lambda c: c.put_object(Bucket="in-process", Key="k", Body=b"abc")),
    (
        "rest-xml file",
        "s3",
        lambda c: c.put_object(Bucket="in-process", Key="f", Body=io.BytesIO(b"file body")),
    ),
    ("streaming answer", "s3", lambda c: c.get_object(Bucket="in-process", Key="f")),
    ("head", "s3", lambda c: c.head_object(Bucket="in-process", Key="f")),
    ("query", "iam", lambda c: c.get_role(RoleName="missing")),
    ("rest-json", "apigateway", lambda c: c.get_rest_apis()),
    ("rest-json GET", "lambda", lambda c: c.list_functions()),
    ("PUT, no body", "s3", lambda c: c.create_bucket(Bucket="in-process")),
]


@pytest.mark.parametrize(("kind", "service", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_a_call_meets_the_edge_as_over_http(
    edge: Edge, kind: str, service: str, call: Callable[[Any], Any]
) -> None:
    if not any(r.target == "/in-process" for r in edge.backend.seen):  # type: ignore[attr-defined]
        setup_calls(edge)
    handled: list[RawRequest] = []
    over_http, in_process = clients(edge, service, handled)
    seen: list[RawRequest] = edge.backend.seen  # type: ignore[attr-defined]
    http_answer = answer_of(call, over_http)
    by_http, count = stable(seen[-1]), len(seen)
    in_process_answer = answer_of(call, in_process)
    assert len(handled) == 1 and len(seen) == count + 1  # in-process, through the edge
    assert stable(seen[-1]) == by_http
    assert in_process_answer == http_answer


class Answering:
    """A backend with one answer, or one failure (an exception)."""

    def __init__(self, answer: EdgeResponse | Exception):
        self.answer = answer

    def start(self) -> None:
        pass

    def forward(self, _raw: RawRequest) -> EdgeResponse:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def both_ways(backend: Answering, service: str, call: Callable[[Any], Any]) -> list[Any]:
    """What the SDK makes of the backend's answer, over HTTP and in-process: the answer,
    or the name of the SDK's error."""
    with Edge("127.0.0.1", 0, backend) as fixed:
        return [outcome(call, client) for client in clients(fixed, service)]


def outcome(call: Callable[[Any], Any], client: Any) -> Any:
    try:
        return answer_of(call, client)
    except BotoCoreError as exc:
        return type(exc).__name__


def test_a_failing_edge_answers_500_as_its_server_does() -> None:
    failing = Answering(RuntimeError("a defect in an interceptor"))
    over_http, in_process = both_ways(failing, "dynamodb", lambda c: c.list_tables())
    assert over_http[1] == 500
    assert in_process == over_http


def test_a_repeated_header_reads_as_over_http() -> None:
    # urllib3 joins a repeated header's values with ", " and botocore reads the joined value.
    headers = (("x-amz-meta-k", "1"), ("x-amz-meta-k", "2"), ("ETag", '"a"'), ("ETag", '"b"'))
    repeated = Answering(EdgeResponse(200, headers, b""))
    over_http, in_process = both_ways(repeated, "s3", lambda c: c.head_object(Bucket="b", Key="k"))
    assert over_http[0]["Metadata"] == {"k": "1, 2"}
    assert in_process == over_http


@pytest.mark.parametrize("status", [204, 304])
def test_a_bodiless_status_reads_as_over_http(status: int) -> None:
    body = b"<Error><Code>Unexpected</Code></Error>"
    answer = Answering(EdgeResponse(status, (("Content-Type", "application/xml"),), body))
    over_http, in_process = both_ways(answer, "s3", lambda c: c.get_object(Bucket="b", Key="k"))
    assert in_process == over_http


def test_a_deploy_context_routes_each_client_it_makes(edge: Edge) -> None:
    handled: list[str] = []

    def handle(raw: RawRequest) -> EdgeResponse:
        handled.append(raw.header("X-Amz-Target") or raw.target)
        return edge.handle(raw)

    ctx = DeployContext(
        endpoint_url="http://127.0.0.1:9",  # nothing listens: a socket would fail
        region="us-east-1",
        account_id="123456789012",
        stack_name="s",
        template_dir=Path("."),
        session=sdk_session(),
        attach=InProcessSender(handle).attach,
    )
    ctx.client("dynamodb").list_tables()
    assert ctx.client("dynamodb") is ctx.client("dynamodb")
    assert handled == ["DynamoDB_20120810.ListTables"]


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.0.1:4566/", "127.0.0.1:4566"),
        ("http://LOCALHOST:4566/", "localhost:4566"),
        ("http://127.0.0.1:80/", "127.0.0.1"),
        ("https://h:443/", "h"),
        ("http://[::1]:4566/", "[::1]:4566"),
    ],
)
def test_the_host_header_is_the_one_http_client_sends(url: str, host: str) -> None:
    assert raw_request(AWSRequest("GET", url).prepare()).header("Host") == host


def test_the_request_keeps_headers_botocore_set_itself() -> None:
    request = AWSRequest(
        "POST", "http://127.0.0.1:1/p?q=1", data=b"{}", headers={"Host": "h", "Content-Length": "2"}
    ).prepare()
    raw = raw_request(request)
    assert raw.target == "/p?q=1"
    assert [k.lower() for k, _ in raw.headers].count("host") == 1
    assert raw.header("Host") == "h"
    assert raw.header("Accept-Encoding") == "identity"


class Fixed:
    """A backend with one answer: a 404 whose body names an error code."""

    def start(self) -> None:
        pass

    def forward(self, _raw: RawRequest) -> EdgeResponse:
        body = b"<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>"
        return EdgeResponse(404, (("Content-Type", "application/xml"),), body)


def test_a_head_answer_has_no_body_as_over_http() -> None:
    # An HTTP server sends no body after a HEAD's headers, so the SDK names the
    # error by its status alone; in-process it must see the same.
    with Edge("127.0.0.1", 0, Fixed()) as fixed:
        codes = []
        for client in clients(fixed, "s3"):
            with pytest.raises(ClientError) as raised:
                client.head_object(Bucket="b", Key="k")
            codes.append(raised.value.response["Error"]["Code"])
    assert codes == ["404", "404"]
