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

from handlers.observability import logger as make_logger
from handlers.policy import MethodArnError, authorizer_response, stage_wildcard
from handlers.settings import AuthSettings, auth_settings
from handlers.tokens import (
    JwksCache,
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


@logger.inject_lambda_context(clear_state=True)
def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    config = auth_settings(os.environ)
    try:
        response = authorize(event, config, jwks_cache(config.jwks_url))
    except (TokenRejectedError, MethodArnError) as exc:
        logger.info("token rejected", extra={"reason": str(exc)})
        raise Exception("Unauthorized") from None  # noqa: TRY002 - API Gateway matches this text
    effect = response["policyDocument"]["Statement"][0]["Effect"]
    logger.info("token accepted", extra={"sub": response["principalId"], "effect": effect})
    return response
