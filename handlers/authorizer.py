"""The REQUEST authorizer: a Cognito access token in, an IAM policy out.

Missing, malformed or failing token -> ``raise Exception("Unauthorized")``, the
one error text API Gateway turns into 401. A valid token of a user the
configuration does not admit -> an explicit Deny (403).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from handlers.observability import NAMESPACE
from handlers.observability import logger as make_logger
from handlers.policy import MethodArnError, authorizer_response, stage_wildcard
from handlers.settings import AuthSettings, auth_settings
from handlers.tokens import (
    JwksCache,
    JwksUnavailableError,
    TokenRejectedError,
    admits,
    bearer_token,
    verify_access_token,
)

logger = make_logger("authorizer")


@functools.cache
def jwks_cache(url: str) -> JwksCache:
    """One JWKS cache per URL for the life of the execution environment."""
    return JwksCache(url)


def authorize(
    event: Mapping[str, Any],
    config: AuthSettings,
    jwks: JwksCache,
    clock: Callable[[], float] = time.time,
) -> dict[str, Any]:
    resource = stage_wildcard(str(event.get("methodArn", "")))
    token = bearer_token(event.get("headers"))
    claims = verify_access_token(token, config, jwks, clock())
    effect = "Allow" if admits(claims, config) else "Deny"
    context = {
        "sub": str(claims["sub"]),
        "username": str(claims.get("username", "")),
        "scope": str(claims.get("scope", "")),
    }
    return authorizer_response(context["sub"], effect, resource, context)


def count_rejected_token(rejection: TokenRejectedError | MethodArnError) -> None:
    """One RejectedTokens datapoint (EMF on stdout, flushed now: the raise that follows ends
    the invocation), so the errors alarm can subtract rejections from Lambda's Errors.
    An unreachable JWKS is an outage, not a rejected token: it is not counted, so it alarms.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
    """
    if isinstance(rejection, JwksUnavailableError):
        return
    with single_metric(
        name="RejectedTokens", unit=MetricUnit.Count, value=1, namespace=NAMESPACE
    ) as metric:
        metric.add_dimension("service", "authorizer")


@logger.inject_lambda_context(clear_state=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    config = auth_settings(os.environ)
    try:
        response = authorize(event, config, jwks_cache(config.jwks_url))
    except (TokenRejectedError, MethodArnError) as exc:
        logger.info("token rejected", extra={"reason": str(exc)})
        count_rejected_token(exc)
        raise Exception("Unauthorized") from None  # noqa: TRY002 - API Gateway matches this text
    effect = response["policyDocument"]["Statement"][0]["Effect"]
    logger.info("token accepted", extra={"sub": response["principalId"], "effect": effect})
    return response
