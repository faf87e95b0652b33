"""The API's resource policy, as API Gateway combines it with the method's authorization.

https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from localenv.gateway import resource_policy
from localenv.gateway.api_model import ApiModel, load
from localenv.gateway.core import Gateway
from localenv.intrinsics import UnsupportedError
from tests.unit.test_gateway_core import EXECUTE_API, FakeLambda, model, request

THINGS = f"{EXECUTE_API}/prod/GET/things"


def statement(effect: str, resource: str, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": resource,
        **extra,
    }


def from_ip(cidr: str) -> dict[str, Any]:
    return {"Condition": {"IpAddress": {"aws:SourceIp": cidr}}}


def with_policy(*statements: dict[str, Any], authorized: bool = True) -> ApiModel:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    base = model()
    methods = base.methods
    if not authorized:
        methods = {
            key: dataclasses.replace(m, authorization_type="NONE", authorizer=None)
            for key, m in methods.items()
        }
    return dataclasses.replace(
        base,
        methods=methods,
        resource_policy=resource_policy.parse(document, EXECUTE_API, "test"),
    )


def answer(api: ApiModel, path: str = "/prod/things") -> tuple[int, dict[str, Any], FakeLambda]:
    fake = FakeLambda()
    response = Gateway(api, fake).handle(request(path))
    return response.status, json.loads(response.body), fake


def test_an_explicit_deny_refuses_before_the_authorizer_is_called() -> None:
    api = with_policy(statement("Allow", "*"), statement("Deny", THINGS, **from_ip("127.0.0.0/8")))
    status, body, fake = answer(api)
    assert status == 403
    assert body == {
        "Message": "User: anonymous is not authorized to perform: execute-api:Invoke on "
        f"resource: {THINGS} with an explicit deny in a resource-based policy"
    }
    assert fake.calls == []
    assert answer(api, "/prod/things/1")[0] == 200  # the Deny names one method only


def test_with_an_authorizer_an_allow_elsewhere_leaves_the_decision_to_the_authorizer() -> None:
    """Table A: policy neither allows nor denies + authorizer Allow -> Allow."""
    status, _, fake = answer(with_policy(statement("Allow", THINGS, **from_ip("192.0.2.0/24"))))
    assert status == 200
    assert [f for f, _ in fake.calls] == ["auth-fn", "app-fn"]


def test_without_authorization_the_policy_must_allow_explicitly() -> None:
    elsewhere = with_policy(statement("Allow", THINGS, **from_ip("192.0.2.0/24")), authorized=False)
    status, body, fake = answer(elsewhere)
    assert status == 403 and fake.calls == []
    assert body["Message"].endswith(
        "because no resource-based policy allows the execute-api:Invoke action"
    )
    here = with_policy(statement("Allow", THINGS, **from_ip("127.0.0.1/32")), authorized=False)
    assert answer(here)[0] == 200


def test_the_abbreviated_resource_form_names_this_api() -> None:
    api = with_policy(statement("Deny", "execute-api:/prod/GET/things"))
    assert answer(api)[0] == 403
    assert answer(api, "/prod/things/1")[0] == 200


def test_statements_naming_iam_principals_do_not_apply_to_anonymous_callers() -> None:
    named = statement("Deny", "*") | {"Principal": {"AWS": "arn:aws:iam::123456789012:root"}}
    assert answer(with_policy(named))[0] == 200
    everyone = statement("Deny", "*") | {"Principal": {"AWS": "*"}}
    assert answer(with_policy(everyone))[0] == 403


def test_secure_transport_is_true_as_on_the_https_endpoint() -> None:
    insecure = {"Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert answer(with_policy(statement("Deny", "*", **insecure)))[0] == 200


@pytest.mark.parametrize(
    ("change", "refused"),
    [
        ({"NotPrincipal": {"AWS": "*"}, "Principal": None}, "NotPrincipal"),
        ({"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}, "aws:PrincipalOrgID"),
        ({"Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020"}}}, "DateGreaterThan"),
        ({"Resource": "execute-api:/${aws:username}"}, "policy variable"),
    ],
)
def test_what_cannot_be_evaluated_is_refused_when_the_policy_is_read(
    change: dict[str, Any], refused: str
) -> None:
    raw = {k: v for k, v in (statement("Deny", "*") | change).items() if v is not None}
    with pytest.raises(UnsupportedError, match=refused):
        resource_policy.parse({"Statement": [raw]}, EXECUTE_API, "test")


def test_the_policy_is_part_of_the_deployment_snapshot() -> None:
    document = json.dumps({"Statement": [statement("Deny", "execute-api:/*")]})
    snapshot = {
        "name": "api",
        "binaryMediaTypes": [],
        "resources": {"/things": "r1"},
        "methods": {
            "/things GET": {
                "authorizationType": "NONE",
                "methodIntegration": {"type": "MOCK", "integrationResponses": {}},
            }
        },
        "authorizers": {},
        "gatewayResponses": {},
        "policy": document,
    }
    stage = {"stageName": "prod", "deploymentId": "d1"}
    api = load(snapshot, stage, "api1", "us-east-1", "123456789012")
    assert api.resource_policy is not None
    assert answer(api)[0] == 403
    without = load({**snapshot, "policy": None}, stage, "api1", "us-east-1", "123456789012")
    assert without.resource_policy is None
    assert Gateway(without, FakeLambda()).handle(request("/prod/things")).status == 200
