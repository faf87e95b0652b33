"""IAM policies an API Gateway Lambda authorizer returns. Pure."""

from __future__ import annotations

import re
from typing import Any

# arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{verb}/{resource path}
# The path is the client's, decoded: it may hold any character, a newline included
# (``%0A``), so ``.`` must match newlines too (re.DOTALL). IAM's ``*`` in the
# policy's resource matches any characters, newlines included.
METHOD_ARN = re.compile(
    r"arn:(?P<partition>[\w-]+):execute-api:(?P<region>[\w-]+):(?P<account>\d+|\*):"
    r"(?P<api>[^/]+)/(?P<stage>[^/]+)/[A-Z*]+(?:/.*)?",
    re.DOTALL,
)


class MethodArnError(ValueError):
    """The event's methodArn is not an execute-api method ARN."""


def stage_wildcard(method_arn: str) -> str:
    """Every method and path of the stage the request is for.

    API Gateway caches the policy by identity-source value and applies it to
    every route of the API, so an Allow naming only this method would deny a
    sibling route from the cache.
    """
    match = METHOD_ARN.fullmatch(method_arn)
    if match is None:
        raise MethodArnError(f"not an execute-api method ARN: {method_arn!r}")
    p = match.groupdict()
    return (
        f"arn:{p['partition']}:execute-api:{p['region']}:{p['account']}:{p['api']}/{p['stage']}/*/*"
    )


def authorizer_response(
    principal_id: str, effect: str, resource: str, context: dict[str, str]
) -> dict[str, Any]:
    return {
        "principalId": principal_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": context,
    }
