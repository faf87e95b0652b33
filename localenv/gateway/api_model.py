"""The deployed REST API as the gateway needs it, read from the emulator's API Gateway API.

Nothing here comes from code or from the template: routes, methods, authorizers,
integrations, binary media types and gateway responses are the snapshot of the
deployment the stage points at (read back through ``apigateway`` calls when the
deployment was created, see deployments.py); throttling and access logging are
the stage's own settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from localenv.gateway.errors import TEMPLATE_VARIABLE
from localenv.gateway.permissions import InvokePermissions
from localenv.gateway.resource_policy import ResourcePolicy
from localenv.gateway.resource_policy import parse as parse_policy
from localenv.intrinsics import UnsupportedError

FUNCTION_IN_URI = re.compile(
    r"arn:[\w-]+:apigateway:[\w-]+:lambda:path/2015-03-31/functions/"
    r"(arn:[\w-]+:lambda:[\w-]+:\d+:function:([\w-]+)(?::[\w$-]+)?)"
    r"/invocations"
)
DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000


@dataclass(frozen=True)
class Authorizer:
    id: str
    type: str
    function: str
    identity_sources: tuple[str, ...]  # e.g. ("method.request.header.Authorization",)
    ttl_seconds: int


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: dict[str, str]
    body: str = ""  # the integration response's (static) template


@dataclass(frozen=True)
class CustomResponse:
    """A GatewayResponse: its status, static headers and (static or $context) template."""

    status: int | None
    headers: dict[str, str]
    template: str | None = None


@dataclass(frozen=True)
class Method:
    http_method: str
    resource_id: str
    resource_path: str
    authorization_type: str
    authorizer: Authorizer | None
    integration_type: str
    function: str | None
    timeout_ms: int
    mock: MockResponse | None = None
    # A configuration API Gateway accepts but fails at request time with a 500 (why).
    misconfiguration: str = ""


@dataclass(frozen=True)
class Throttle:
    rate: float
    burst: int


@dataclass
class ApiModel:
    api_id: str
    name: str
    stage: str
    region: str
    account_id: str
    binary_media_types: tuple[str, ...]
    methods: dict[tuple[str, str], Method]  # (resource path, HTTP method)
    throttle: Throttle | None
    gateway_responses: dict[str, CustomResponse] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    access_log_format: str = ""
    access_log_destination: str = ""
    # Functions' resource-based policies; a function without one is never invoked.
    permissions: InvokePermissions = field(default_factory=lambda: InvokePermissions({}))
    deployment_id: str = ""
    resource_policy: ResourcePolicy | None = None

    @property
    def functions(self) -> set[str]:
        named = {m.function for m in self.methods.values() if m.function is not None}
        return named | {m.authorizer.function for m in self.methods.values() if m.authorizer}

    @property
    def resource_paths(self) -> list[str]:
        return sorted({path for path, _ in self.methods})


def function_name(uri: str, where: str) -> str:
    match = FUNCTION_IN_URI.fullmatch(uri)
    if match is None:
        raise UnsupportedError(f"{where}: integration URI {uri!r} is not a Lambda function")
    return match.group(2)


def load(
    snapshot: dict[str, Any], stage_info: dict[str, Any], api_id: str, region: str, account_id: str
) -> ApiModel:
    """The API as the stage serves it: from its deployment's snapshot (see deployments.py)."""
    authorizers = {a_id: authorizer(raw) for a_id, raw in snapshot["authorizers"].items()}
    methods: dict[tuple[str, str], Method] = {}
    for key, raw in snapshot["methods"].items():
        path, verb = key.rsplit(" ", 1)
        resource = {"path": path, "id": snapshot["resources"][path]}
        methods[(path, verb)] = method(resource, verb, raw, authorizers)
    access = stage_info.get("accessLogSettings") or {}
    return ApiModel(
        api_id=api_id,
        name=snapshot["name"],
        stage=stage_info["stageName"],
        region=region,
        account_id=account_id,
        binary_media_types=tuple(snapshot["binaryMediaTypes"]),
        methods=methods,
        throttle=throttle(stage_info),
        gateway_responses=gateway_responses(snapshot["gatewayResponses"]),
        stage_variables=stage_info.get("variables") or {},
        access_log_format=access.get("format", ""),
        access_log_destination=access.get("destinationArn", ""),
        deployment_id=str(stage_info.get("deploymentId", "")),
        resource_policy=resource_policy(snapshot.get("policy"), api_id, region, account_id),
    )


def resource_policy(
    document: str | None, api_id: str, region: str, account_id: str
) -> ResourcePolicy | None:
    if not document:
        return None
    api_arn = f"arn:aws:execute-api:{region}:{account_id}:{api_id}"
    return parse_policy(document, api_arn, f"API {api_id}")


def authorizer(raw: dict[str, Any]) -> Authorizer:
    # REQUEST authorizers only: a TOKEN authorizer gets another event shape, not emulated.
    if raw["type"] != "REQUEST":
        raise UnsupportedError(f"authorizer {raw['name']}: type {raw['type']} is not emulated")
    sources = tuple(s.strip() for s in raw.get("identitySource", "").split(",") if s.strip())
    return Authorizer(
        id=raw["id"],
        type=raw["type"],
        function=function_name(raw.get("authorizerUri", ""), f"authorizer {raw['name']}"),
        identity_sources=sources,
        ttl_seconds=int(raw.get("authorizerResultTtlInSeconds", 300)),
    )


def method(
    resource: dict[str, Any], verb: str, raw: dict[str, Any], authorizers: dict[str, Authorizer]
) -> Method:
    where = f"{verb} {resource['path']}"
    integration = raw.get("methodIntegration") or {}
    kind = integration.get("type", "")
    auth_type = raw.get("authorizationType", "NONE")
    if auth_type not in {"NONE", "CUSTOM"}:
        raise UnsupportedError(f"{where}: authorization type {auth_type} is not emulated")
    found = authorizers.get(raw.get("authorizerId", "")) if auth_type == "CUSTOM" else None
    if auth_type == "CUSTOM" and found is None:
        raise UnsupportedError(f"{where}: CUSTOM authorization without a known authorizer")
    if kind not in {"AWS_PROXY", "MOCK"}:
        raise UnsupportedError(f"{where}: integration type {kind!r} is not emulated")
    if raw.get("apiKeyRequired"):
        # API keys and usage plans are not emulated: refused, never silently let through.
        raise UnsupportedError(f"{where}: apiKeyRequired (API keys) is not emulated")
    return Method(
        http_method=verb,
        resource_id=resource["id"],
        resource_path=resource["path"],
        authorization_type=auth_type,
        authorizer=found,
        integration_type=kind,
        function=function_name(integration["uri"], where) if kind == "AWS_PROXY" else None,
        timeout_ms=int(integration.get("timeoutInMillis") or DEFAULT_INTEGRATION_TIMEOUT_MS),
        mock=mock_response(integration, where) if kind == "MOCK" else None,
        misconfiguration=misconfiguration(integration) if kind == "AWS_PROXY" else "",
    )


# Integration request headers API Gateway cannot set on a Lambda (AWS) integration.
ILLEGAL_HEADER_MAPPINGS = frozenset(
    {"content-length", "transfer-encoding", "x-amzn-trace-id", "x-amzn-apigateway-api-id"}
    | {"authorization", "connection", "expect", "proxy-authenticate", "te"}
)


def misconfiguration(integration: dict[str, Any]) -> str:
    """Why API Gateway answers 500 to every request of this AWS_PROXY method ("" if it does not).

    A Lambda proxy integration must call Lambda with POST: any other
    integrationHttpMethod is an "Execution failed due to configuration error"
    at request time (LocalStack's AWS recording, tests/aws/services/apigateway/
    test_apigateway_lambda.py::test_lambda_aws_proxy_integration_non_post_method);
    so is a header mapping that sets a header API Gateway manages itself
    (test_apigateway_integrations.snapshot.json, ``header_remapping_aws``).
    """
    verb = str(integration.get("httpMethod") or "POST")
    if verb != "POST":
        return f"AWS_PROXY integration uses httpMethod {verb}; Lambda is invoked with POST"
    for key in integration.get("requestParameters") or {}:
        header = key.removeprefix("integration.request.header.")
        if header != key and header.lower() in ILLEGAL_HEADER_MAPPINGS:
            return f"the integration maps the request header {header}, which it may not set"
    return ""


def mock_response(integration: dict[str, Any], where: str) -> MockResponse:
    responses = integration.get("integrationResponses") or {}
    status = sorted(responses)[0] if responses else "200"
    chosen = responses.get(status) or {}
    params = chosen.get("responseParameters") or {}
    templates = chosen.get("responseTemplates") or {}
    body = templates.get("application/json", next(iter(templates.values()), None)) or ""
    if "$" in body or "#" in body:
        # A mapping template is VTL; only static templates are produced locally.
        raise UnsupportedError(f"{where}: MOCK response template {body!r} is VTL, not emulated")
    return MockResponse(int(status), static_headers(params, "method.response.header.", where), body)


def static_headers(params: dict[str, str], prefix: str, where: str) -> dict[str, str]:
    """Header mappings with static values ('quoted'); any other mapping is refused loudly."""
    headers = {}
    for key, value in params.items():
        if not key.startswith(prefix):
            continue
        if not (len(value) >= 2 and value.startswith("'") and value.endswith("'")):
            raise UnsupportedError(
                f"{where}: header mapping {key} = {value} is not static, not emulated"
            )
        headers[key.removeprefix(prefix)] = value[1:-1]
    return headers


def throttle(stage: dict[str, Any]) -> Throttle | None:
    settings = (stage.get("methodSettings") or {}).get("*/*")
    if not settings or "throttlingRateLimit" not in settings:
        return None
    return Throttle(float(settings["throttlingRateLimit"]), int(settings["throttlingBurstLimit"]))


def gateway_responses(items: dict[str, dict[str, Any]]) -> dict[str, CustomResponse]:
    return {kind: custom_response(kind, item) for kind, item in items.items()}


def custom_response(kind: str, item: dict[str, Any]) -> CustomResponse:
    """A GatewayResponse's statusCode, headers and application/json template.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-gatewayResponse-definition.html
    """
    where = f"gateway response {kind}"
    params = item.get("responseParameters") or {}
    templates = item.get("responseTemplates") or {}
    status = item.get("statusCode")
    template = templates.get("application/json", next(iter(templates.values()), None))
    if template is not None and ("#" in template or "$" in TEMPLATE_VARIABLE.sub("", template)):
        raise UnsupportedError(
            f"{where}: template {template!r} uses VTL beyond {TEMPLATE_VARIABLE.pattern}"
        )
    return CustomResponse(
        int(status) if status else None,
        static_headers(params, "gatewayresponse.header.", where),
        template,
    )
