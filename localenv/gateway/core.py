"""The gateway without a socket: ``Gateway.handle(Request) -> Response``.

One step per method, in API Gateway's order: payload and header limits, stage
and route (unknown -> 403 Missing Authentication Token), stage throttling, the
authorizer, then the integration (Lambda proxy or mock) and the validation of
what the function returned. Each request ends in one immutable ``Trace`` handed
to the observer (metrics, access logs).
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from localenv.gateway import events, inbound, permissions, resource_policy, routing
from localenv.gateway.api_model import ApiModel, Authorizer, Method
from localenv.gateway.authorization import Authorization, Invoker, ResultCache
from localenv.gateway.errors import GatewayError, GatewayFailure, error_response
from localenv.gateway.proxy import (
    MalformedProxyResponseError,
    UndecodableBodyError,
    accepts_binary,
    proxy_response,
)
from localenv.gateway.requests import Request, Response
from localenv.gateway.throttling import TokenBucket
from localenv.gateway.trace import Observer, RequestIds, TraceNotes, freeze
from localenv.runtime.environment import OutcomeKind
from localenv.runtime.pool import PAYLOAD_LIMIT_BYTES, ThrottledError

__all__ = ["Gateway", "MalformedProxyResponseError", "proxy_response"]

# API Gateway REST APIs accept request payloads up to 10 MB.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
Clock = Callable[[], float]


class Gateway:
    """``clock`` (wall-clock seconds) drives throttling, the authorizer cache and the
    request times, so a test or the stack's clock can move them all at once."""

    def __init__(
        self,
        model: ApiModel,
        invoke: Invoker,
        workers: int = 64,
        observer: Observer | None = None,
        clock: Clock = time.time,
    ):
        self.model = model
        self.invoke = invoke
        self.observer = observer
        self.clock = clock
        self.authorization = Authorization(invoke, self.authorizer_refusal, ResultCache(clock))
        throttle = model.throttle
        self.bucket = TokenBucket(throttle.rate, throttle.burst, clock) if throttle else None
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="integration")

    def handle(self, request: Request) -> Response:
        response, observe = self.answer(request)
        observe()
        return response

    def answer(self, request: Request) -> tuple[Response, Callable[[], None]]:
        """The response, and the request's observation (its metrics and access log line)
        to make once the response is sent: API Gateway writes those after it answers, so
        the client does not wait for them (a next request on its connection does)."""
        ids = RequestIds(str(uuid.uuid4()), apigw_id(), self.clock())
        started, notes = time.perf_counter(), TraceNotes()
        trace_id = inbound.trace_id(request, ids.time)
        try:
            response = self.dispatch(request, ids, notes, trace_id)
        except GatewayFailure as failure:
            response = error_response(self.model, failure.error, ids.request_id, failure.message)
            notes.integration_ms = failure.integration_ms
            # $context.error.message; a local refusal says why (AWS says it in execution logs).
            message = failure.message or failure.error.message
            notes.error_message = f"{message}: {failure.reason}" if failure.reason else message
        response.headers += [
            ("x-amzn-RequestId", ids.request_id),
            ("x-amz-apigw-id", ids.extended_request_id),
            ("X-Amzn-Trace-Id", trace_id),
        ]
        observer = self.observer
        if observer is None:
            return response, unobserved
        latency = (time.perf_counter() - started) * 1000
        api = (self.model.api_id, self.model.name, self.model.stage)
        return response, lambda: observer(freeze(ids, request, response, notes, latency, api))

    def dispatch(
        self, request: Request, ids: RequestIds, notes: TraceNotes, trace_id: str
    ) -> Response:
        if request.oversize or len(request.body) > MAX_REQUEST_BYTES:
            raise GatewayFailure(GatewayError.REQUEST_TOO_LARGE)
        if inbound.header_bytes(request) > inbound.MAX_HEADER_BYTES:
            raise GatewayFailure(GatewayError.HEADERS_TOO_LARGE)
        if len(request.path) + len(request.query) + 1 > inbound.MAX_URL_CHARACTERS:
            raise GatewayFailure(GatewayError.URI_TOO_LONG)
        request = inbound.overridden(request)
        method, params = self.route(request)
        notes.resource_path = method.resource_path
        if self.bucket is not None and not self.bucket.take():
            raise GatewayFailure(GatewayError.THROTTLED)
        ctx = events.EventContext(
            self.model,
            inbound.integration_request(request, trace_id),
            method,
            params,
            ids.request_id,
            ids.extended_request_id,
            ids.time,
        )
        self.check_resource_policy(request, method)
        authorizer_context = self.authorize(ctx)
        notes.principal_id = str((authorizer_context or {}).get("principalId", ""))
        if method.mock is not None:
            mock = method.mock
            headers = [("Content-Type", "application/json"), *mock.headers.items()]
            return Response(mock.status, headers, mock.body.encode())
        return self.integrate(ctx, authorizer_context, notes)

    def route(self, request: Request) -> tuple[Method, dict[str, str]]:
        prefix = f"/{self.model.stage}"
        if request.path != prefix and not request.path.startswith(prefix + "/"):
            raise GatewayFailure(GatewayError.MISSING_AUTHENTICATION_TOKEN)
        found = routing.match(
            request.path[len(prefix) :],
            self.model.resource_paths,
            lambda path: self.method_of(path, request.method) is not None,
        )
        method = self.method_of(found.resource_path, request.method) if found else None
        if found is None or method is None:
            raise GatewayFailure(GatewayError.MISSING_AUTHENTICATION_TOKEN)
        return method, found.path_parameters

    def method_of(self, resource_path: str, verb: str) -> Method | None:
        methods = self.model.methods
        return methods.get((resource_path, verb)) or methods.get((resource_path, "ANY"))

    def check_resource_policy(self, request: Request, method: Method) -> None:
        """The API's resource policy, before the authorizer (resource_policy.py)."""
        policy = self.model.resource_policy
        if policy is None:
            return
        arn = events.method_arn(self.model, request)
        keys = resource_policy.context(request, self.clock())
        verdict = resource_policy.verdict(policy, arn, keys)
        refused = resource_policy.refusal(verdict, arn, method.authorizer is not None)
        if refused is not None:
            raise GatewayFailure(GatewayError.EXPLICIT_DENY, message=refused)

    def authorize(self, ctx: events.EventContext) -> dict[str, Any] | None:
        authorizer = ctx.method.authorizer
        if authorizer is None:
            return None
        started = time.perf_counter()
        event = events.authorizer_event(ctx)
        decision = self.authorization.decide(authorizer, ctx.request, event)
        if decision.error is not None:
            raise GatewayFailure(decision.error, reason=decision.reason)
        context = dict(decision.authorizer_context or {})
        context["integrationLatency"] = int((time.perf_counter() - started) * 1000)
        return context

    def integrate(
        self, ctx: events.EventContext, authorizer: dict[str, Any] | None, notes: TraceNotes
    ) -> Response:
        method = ctx.method
        assert method.function is not None
        if method.misconfiguration:
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, reason=method.misconfiguration)
        payload = events.proxy_payload(ctx, authorizer)
        if len(payload) > PAYLOAD_LIMIT_BYTES:
            # Lambda refuses an event over 6 MB; API Gateway answers 500.
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE)
        refused = self.integration_refusal(method)
        if refused is not None:
            # No resource-based policy lets API Gateway invoke the function: 500.
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, reason=refused)
        started = time.perf_counter()
        output = self.call(method.function, payload, method.timeout_ms, started)
        notes.integration_ms = elapsed_ms(started)
        binary = accepts_binary(ctx.request.header("Accept"), self.model.binary_media_types)
        try:
            return proxy_response(output, decode_base64=binary)
        except MalformedProxyResponseError:
            raise GatewayFailure(
                GatewayError.BAD_INTEGRATION_RESPONSE, elapsed_ms(started)
            ) from None
        except UndecodableBodyError:
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, elapsed_ms(started)) from None

    def call(self, function: str, payload: bytes, timeout_ms: int, started: float) -> bytes:
        future = self.executor.submit(self.invoke, function, payload)
        try:
            outcome = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            raise GatewayFailure(GatewayError.INTEGRATION_TIMEOUT, elapsed_ms(started)) from None
        except ThrottledError:
            raise GatewayFailure(GatewayError.INTEGRATION_FAILURE, elapsed_ms(started)) from None
        if outcome.kind is not OutcomeKind.OK:
            raise GatewayFailure(GatewayError.BAD_INTEGRATION_RESPONSE, elapsed_ms(started))
        return outcome.payload

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

    def stop(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def unobserved() -> None:
    """The observation of a gateway nobody observes."""


def elapsed_ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def apigw_id() -> str:
    """An x-amz-apigw-id value (also the event's extendedRequestId)."""
    return base64.b64encode(uuid.uuid4().bytes)[:16].decode()
