"""The gateway without a socket: ``Gateway.handle(Request) -> Response``.

One step per method, in API Gateway's order: payload limit, stage and route
(unknown -> 403 Missing Authentication Token), stage throttling, the
authorizer, then the integration (Lambda proxy or mock) and the validation of
what the function returned.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from localenv.gateway import events, permissions, routing
from localenv.gateway.api_model import ApiModel, Authorizer, Method
from localenv.gateway.authorization import Authorization, Invoker
from localenv.gateway.errors import GatewayError
from localenv.gateway.requests import Request, Response
from localenv.gateway.throttling import TokenBucket
from localenv.runtime.pool import PAYLOAD_LIMIT_BYTES, ThrottledError

# API Gateway REST APIs accept request payloads up to 10 MB.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
PROXY_RESPONSE_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


class GatewayFailure(Exception):  # noqa: N818 - carries a canned response, like AWS's
    def __init__(self, error: GatewayError, integration_ms: float | None = None, reason: str = ""):
        super().__init__(error.name)
        self.error = error
        self.integration_ms = integration_ms
        self.resource_path = ""
        self.reason = reason


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, as metrics and access logs see it."""

    request: Request
    response: Response
    request_id: str
    latency_ms: float
    time: float


Observer = Callable[[Exchange], None]


class MalformedProxyResponseError(ValueError):
    """The function's answer is not a valid Lambda proxy response."""


def malformed(why: str) -> MalformedProxyResponseError:
    return MalformedProxyResponseError(f"Malformed Lambda proxy response: {why}")


class Gateway:
    def __init__(
        self, model: ApiModel, invoke: Invoker, workers: int = 64, observer: Observer | None = None
    ):
        self.model = model
        self.invoke = invoke
        self.observer = observer
        self.authorization = Authorization(invoke, self.authorizer_refusal)
        self.bucket = (
            TokenBucket(model.throttle.rate, model.throttle.burst) if model.throttle else None
        )
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="integration")

    def handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        started, wall = time.monotonic(), time.time()
        try:
            response = self.dispatch(request, request_id)
        except GatewayFailure as failure:
            response = self.error_response(failure.error)
            response.integration_ms = failure.integration_ms
            response.resource_path = failure.resource_path
            # $context.error.message; a local refusal says why (AWS says it in execution logs).
            message = failure.error.message
            response.error_message = f"{message}: {failure.reason}" if failure.reason else message
        response.headers += [
            ("x-amzn-RequestId", request_id),
            ("x-amz-apigw-id", base64.b64encode(uuid.uuid4().bytes)[:16].decode()),
            ("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"),
        ]
        if self.observer is not None:
            latency = (time.monotonic() - started) * 1000
            self.observer(Exchange(request, response, request_id, latency, wall))
        return response

    def dispatch(self, request: Request, request_id: str) -> Response:
        if request.oversize or len(request.body) > MAX_REQUEST_BYTES:
            raise GatewayFailure(GatewayError.REQUEST_TOO_LARGE)
        method, params = self.route(request)
        if self.bucket is not None and not self.bucket.take():
            raise GatewayFailure(GatewayError.THROTTLED)
        try:
            authorizer_context = self.authorize(method, request, params, request_id)
            if method.mock is not None:
                response = Response(method.mock.status, list(method.mock.headers.items()))
            else:
                response = self.integrate(method, request, params, request_id, authorizer_context)
        except GatewayFailure as failure:
            failure.resource_path = method.resource_path
            raise
        response.resource_path = method.resource_path
        response.principal_id = str((authorizer_context or {}).get("principalId", ""))
        return response

    def route(self, request: Request) -> tuple[Method, dict[str, str]]:
        prefix = f"/{self.model.stage}"
        if request.path != prefix and not request.path.startswith(prefix + "/"):
            raise GatewayFailure(GatewayError.MISSING_AUTHENTICATION_TOKEN)
        found = routing.match(request.path[len(prefix) :], self.model.resource_paths)
        method = None
        if found is not None:
            method = self.model.methods.get(
                (found.resource_path, request.method)
            ) or self.model.methods.get((found.resource_path, "ANY"))
        if found is None or method is None:
            raise GatewayFailure(GatewayError.MISSING_AUTHENTICATION_TOKEN)
        return method, found.path_parameters

    def authorize(
        self, method: Method, request: Request, params: dict[str, str], request_id: str
    ) -> dict[str, Any] | None:
        if method.authorizer is None:
            return None
        started = time.monotonic()
        event = events.authorizer_event(
            self.model, request, method.resource_path, method.resource_id, params, request_id
        )
        decision = self.authorization.decide(method.authorizer, request, event)
        if decision.error is not None:
            raise GatewayFailure(decision.error, reason=decision.reason)
        context = dict(decision.authorizer_context or {})
        context["integrationLatency"] = int((time.monotonic() - started) * 1000)
        return context

    def integrate(
        self,
        method: Method,
        request: Request,
        params: dict[str, str],
        request_id: str,
        authorizer: dict[str, Any] | None,
    ) -> Response:
        assert method.function is not None
        event = events.proxy_event(
            self.model,
            request,
            method.resource_path,
            method.resource_id,
            params,
            request_id,
            authorizer,
        )
        payload = json.dumps(event).encode()
        if len(payload) > PAYLOAD_LIMIT_BYTES:
            # Lambda refuses an event over 6 MB; API Gateway answers 500.
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE)
        refused = self.integration_refusal(method)
        if refused is not None:
            # No resource-based policy lets API Gateway invoke the function: 500.
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, reason=refused)
        started = time.monotonic()
        future = self.executor.submit(self.invoke, method.function, payload)
        try:
            outcome = future.result(timeout=method.timeout_ms / 1000)
        except FutureTimeout:
            raise GatewayFailure(GatewayError.INTEGRATION_TIMEOUT, elapsed_ms(started)) from None
        except ThrottledError:
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, elapsed_ms(started)) from None
        if outcome.kind != "ok":
            raise GatewayFailure(GatewayError.BAD_INTEGRATION_RESPONSE, elapsed_ms(started))
        try:
            response = proxy_response(outcome.payload)
        except MalformedProxyResponseError:
            raise GatewayFailure(
                GatewayError.BAD_INTEGRATION_RESPONSE, elapsed_ms(started)
            ) from None
        response.integration_ms = elapsed_ms(started)
        return response

    def integration_refusal(self, method: Method) -> str | None:
        assert method.function is not None
        model = self.model
        arn = permissions.method_arn(
            model.region,
            model.account_id,
            model.api_id,
            model.stage,
            method.http_method,
            method.resource_path,
        )
        caller = permissions.Caller(arn, model.account_id)
        return model.permissions.refusal(method.function, caller)

    def authorizer_refusal(self, authorizer: Authorizer) -> str | None:
        model = self.model
        arn = permissions.authorizer_arn(
            model.region, model.account_id, model.api_id, authorizer.id
        )
        return model.permissions.refusal(
            authorizer.function, permissions.Caller(arn, model.account_id)
        )

    def error_response(self, error: GatewayError) -> Response:
        extra = self.model.gateway_responses.get(error.response_type)
        if extra is None:
            extra = self.model.gateway_responses.get(error.default_type, {})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error.error_type)]
        return Response(error.status, headers + list(extra.items()), error.body)

    def stop(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def proxy_response(payload: bytes) -> Response:
    """The HTTP response a Lambda proxy result describes; anything else is malformed."""
    try:
        result = json.loads(payload)
    except ValueError as exc:
        raise malformed("not JSON") from exc
    if not isinstance(result, dict) or set(result) - PROXY_RESPONSE_KEYS:
        raise malformed("not an object with only the proxy keys")
    status = result.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise malformed("statusCode")
    headers = header_pairs(result.get("headers"), result.get("multiValueHeaders"))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return Response(status, headers, response_body(result))


def header_pairs(single: Any, multi: Any) -> list[tuple[str, str]]:
    if single is not None and not isinstance(single, dict):
        raise malformed("headers")
    if multi is not None and not isinstance(multi, dict):
        raise malformed("multiValueHeaders")
    pairs: dict[str, list[str]] = {}
    for name, values in (multi or {}).items():
        if not isinstance(values, list):
            raise malformed("multiValueHeaders values")
        pairs[name] = [scalar(v) for v in values]
    for name, value in (single or {}).items():
        pairs.setdefault(name, [scalar(value)])
    return [(name, value) for name, values in pairs.items() for value in values]


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str | int | float):
        return str(value)
    raise malformed("a header value that is not a string, number or boolean")


def response_body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise malformed("body is not a string")
    encoded = result.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise malformed("isBase64Encoded")
    if encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise malformed("body is not base64") from exc
    return body.encode("utf-8")
