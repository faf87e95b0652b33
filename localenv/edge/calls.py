"""One AWS call as the edge sees it: who signed it, which service and operation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localenv.edge.operations import ServiceModel, rest_operation, service_model

# SigV4: Credential=AKID/date/region/service/aws4_request, in the Authorization
# header or a presigned URL's X-Amz-Credential.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Where IAM's service prefix differs from the SigV4 signing name.
IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
# Where IAM's action name differs from the API operation's: Lambda's Invoke is
# authorised as lambda:InvokeFunction.
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
IAM_ACTION = {("lambda", "Invoke"): "InvokeFunction"}
CBOR_PATH = re.compile(r"/service/[^/]+/operation/([A-Za-z0-9]+)")


@dataclass(frozen=True)
class JsonDocument:
    """A body as ``json.loads`` reads it: its value, or not JSON at all."""

    valid: bool
    value: Any = None


@dataclass(frozen=True)
class RawRequest:
    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # The body's JSON, decoded at most once (``json_document``) and handed to the
    # emulator with the call; ``dataclasses.replace`` (another body) starts empty.
    decoded: dict[str, JsonDocument] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def json_document(self) -> JsonDocument:
        """The body read as JSON, once per request. Its value is shared by the call's
        parameters and the emulator's parser: read it, never change it."""
        if "json" not in self.decoded:
            self.decoded["json"] = decode_json(self.body)
        return self.decoded["json"]

    def decoded_json(self) -> JsonDocument | None:
        """The body's JSON if it was read already, without reading it."""
        return self.decoded.get("json")

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.target).path)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query, keep_blank_values=True))


@dataclass(frozen=True)
class Signer:
    access_key: str
    region: str
    service: str  # the signing name, e.g. dynamodb, monitoring


@dataclass(frozen=True)
class AwsCall:
    raw: RawRequest
    signer: Signer | None  # None: unsigned (e.g. Cognito's public JWKS)
    model: ServiceModel | None
    operation: str | None
    # The request parameters we could read; read-only: a JSON body's document is the
    # emulator's input too (``RawRequest.json_document``).
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        """The protocol the request came in, which its answer must use: botocore speaks
        CloudWatch as JSON (X-Amz-Target) though the service model lists CBOR first."""
        if self.raw.header("X-Amz-Target"):
            return "json"
        if CBOR_PATH.fullmatch(self.raw.path):
            return "smithy-rpc-v2-cbor"
        model_protocol = self.model.protocol if self.model else "json"
        if "Action" in self.params and model_protocol not in {"query", "ec2"}:
            return "query"
        return model_protocol

    @property
    def action(self) -> str:
        """The IAM action: IAM's service prefix and the API operation name."""
        signing = self.signer.service if self.signer else "unknown"
        prefix = IAM_PREFIX.get(signing, signing)
        operation = self.operation or "*"
        return f"{prefix}:{IAM_ACTION.get((prefix, operation), operation)}"


def signer_of(raw: RawRequest) -> Signer | None:
    source = raw.header("Authorization") or ""
    if "X-Amz-Credential" in raw.query:
        source = "Credential=" + raw.query["X-Amz-Credential"]
    match = CREDENTIAL.search(source)
    return Signer(match.group(1), match.group(2), match.group(3)) if match else None


def form(raw: RawRequest) -> dict[str, str]:
    content_type = raw.header("Content-Type") or ""
    if raw.method == "POST" and "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(raw.body.decode("utf-8", "replace"), keep_blank_values=True))
    return {}


def decode_json(body: bytes) -> JsonDocument:
    try:
        return JsonDocument(True, json.loads(body or b"{}"))
    except ValueError:
        return JsonDocument(False)


def json_body(raw: RawRequest) -> dict[str, Any]:
    document = raw.json_document()
    return document.value if document.valid and isinstance(document.value, dict) else {}


def operation_and_params(raw: RawRequest, model: ServiceModel) -> tuple[str | None, dict[str, Any]]:
    target = raw.header("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1], json_body(raw)
    cbor = CBOR_PATH.fullmatch(raw.path)
    if cbor:
        return cbor.group(1), {}
    params = {**raw.query, **form(raw)}
    if "Action" in params:
        return params["Action"], params
    names = {k.lower() for k, _ in raw.headers}
    found = rest_operation(model, raw.method, raw.path, raw.query, names)
    if found is None:
        return None, {}
    body = json_body(raw) if model.protocol == "rest-json" else {}
    return found[0], {**raw.query, **body, **found[1]}


def parse(raw: RawRequest) -> AwsCall:
    signer = signer_of(raw)
    model = service_model(signer.service) if signer else None
    if signer is None or model is None:
        return AwsCall(raw, signer, model, None)
    operation, params = operation_and_params(raw, model)
    return AwsCall(raw, signer, model, operation, params)
