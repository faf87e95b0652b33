"""The events API Gateway sends to Lambda: the REST (v1) proxy event and the REQUEST
authorizer event, field for field."""

from __future__ import annotations

import base64
import time
from typing import Any

from localenv.gateway.api_model import ApiModel
from localenv.gateway.requests import Request


def single_and_multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's two views: the last value of each name, and all of them."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def is_binary(model: ApiModel, content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";")[0].strip().lower()
    for pattern in model.binary_media_types:
        kind, _, sub = pattern.lower().partition("/")
        if (
            pattern == "*/*"
            or media == pattern.lower()
            or (sub == "*" and media.startswith(kind + "/"))
        ):
            return True
    return False


def request_context(
    model: ApiModel, request: Request, resource_path: str, request_id: str, resource_id: str
) -> dict[str, Any]:
    now = time.time()
    domain = f"{model.api_id}.execute-api.{model.region}.amazonaws.com"
    return {
        "resourceId": resource_id,
        "resourcePath": resource_path,
        "httpMethod": request.method,
        "extendedRequestId": request_id[:16],
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "path": request.path,
        "accountId": model.account_id,
        "protocol": "HTTP/1.1",
        "stage": model.stage,
        "domainPrefix": model.api_id,
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "domainName": domain,
        "apiId": model.api_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": request.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": request.header("User-Agent"),
            "user": None,
        },
    }


def stage_relative(model: ApiModel, request: Request) -> str:
    return request.path[len(model.stage) + 1 :] or "/"


def proxy_event(
    model: ApiModel,
    request: Request,
    resource_path: str,
    resource_id: str,
    path_parameters: dict[str, str],
    request_id: str,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    headers, multi_headers = single_and_multi(request.headers)
    query, multi_query = single_and_multi(request.query_pairs())
    context = request_context(model, request, resource_path, request_id, resource_id)
    if authorizer is not None:
        context["authorizer"] = authorizer
    binary = is_binary(model, request.header("Content-Type"))
    body: str | None = None
    if request.body:
        body = (
            base64.b64encode(request.body).decode()
            if binary
            else request.body.decode("utf-8", "replace")
        )
    return {
        "resource": resource_path,
        "path": stage_relative(model, request),
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": model.stage_variables or None,
        "requestContext": context,
        "body": body,
        "isBase64Encoded": binary and bool(request.body),
    }


def method_arn(model: ApiModel, request: Request) -> str:
    path = stage_relative(model, request).lstrip("/")
    return (
        f"arn:aws:execute-api:{model.region}:{model.account_id}:{model.api_id}/"
        f"{model.stage}/{request.method}/{path}"
    )


def authorizer_event(
    model: ApiModel,
    request: Request,
    resource_path: str,
    resource_id: str,
    path_parameters: dict[str, str],
    request_id: str,
) -> dict[str, Any]:
    headers, multi_headers = single_and_multi(request.headers)
    query, multi_query = single_and_multi(request.query_pairs())
    return {
        "type": "REQUEST",
        "methodArn": method_arn(model, request),
        "resource": resource_path,
        "path": stage_relative(model, request),
        "httpMethod": request.method,
        "headers": headers or {},
        "multiValueHeaders": multi_headers or {},
        "queryStringParameters": query or {},
        "multiValueQueryStringParameters": multi_query or {},
        "pathParameters": path_parameters,
        "stageVariables": model.stage_variables,
        "requestContext": request_context(model, request, resource_path, request_id, resource_id),
    }
