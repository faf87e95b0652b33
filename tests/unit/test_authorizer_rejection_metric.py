"""A rejected token is counted as RejectedTokens (EMF), so the errors alarm can leave it out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from handlers import authorizer
from tests.jwks_server import JwksServer, serving
from tests.token_factory import CLIENT_ID, ISSUER, SigningKey, access_claims, jwks
from tests.unit.conftest import LambdaContext
from tests.unit.test_authorizer import fresh_claims, request

KEY = SigningKey("live-key")


def emf_metrics(output: str) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [d for d in documents if "_aws" in d]


@pytest.fixture
def live_jwks(monkeypatch: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    authorizer.jwks_cache.cache_clear()
    with serving(jwks(KEY)) as server:
        monkeypatch.setenv("COGNITO_ISSUER", ISSUER)
        monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("JWKS_URL", server.url)
        yield server
    authorizer.jwks_cache.cache_clear()


def test_an_expired_token_emits_one_rejected_token_datapoint(
    live_jwks: JwksServer, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(request(KEY.sign(access_claims(exp=1000))), context)
    (document,) = emf_metrics(capsys.readouterr().out)
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "DataProc"
    assert directive["Dimensions"] == [["service"]]
    assert directive["Metrics"] == [{"Name": "RejectedTokens", "Unit": "Count"}]
    assert document["service"] == "authorizer"
    assert document["RejectedTokens"] in (1, 1.0, [1.0])


def test_an_accepted_token_or_an_unreachable_jwks_emits_none(
    live_jwks: JwksServer, context: LambdaContext, capsys: pytest.CaptureFixture[str]
) -> None:
    authorizer.handler(request(KEY.sign(fresh_claims())), context)
    assert emf_metrics(capsys.readouterr().out) == []
    authorizer.jwks_cache.cache_clear()  # a new execution environment: it fetches the JWKS
    live_jwks.status = 500
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(request(KEY.sign(fresh_claims())), context)
    assert live_jwks.requests == 2
    assert emf_metrics(capsys.readouterr().out) == []  # Errors counts it; nothing subtracts it


@pytest.mark.parametrize("document", [{"keys": 5}, {"no": "keys"}])
def test_a_malformed_jwks_is_an_outage_not_a_rejected_token(
    live_jwks: JwksServer,
    context: LambdaContext,
    capsys: pytest.CaptureFixture[str],
    document: dict[str, Any],
) -> None:
    live_jwks.document = document
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(request(KEY.sign(fresh_claims())), context)
    assert emf_metrics(capsys.readouterr().out) == []
