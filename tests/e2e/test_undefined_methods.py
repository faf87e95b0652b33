"""A method the API does not define reaches API Gateway's router like any other."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest


@pytest.mark.parametrize("method", ["TRACE", "QUERY", "FOO"])
def test_undefined_method_is_missing_authentication_token(
    localenv_stack: dict[str, Any], localenv_token: str, method: str
) -> None:
    url = urlsplit(localenv_stack["ApiEndpoint"])
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
    connection.request(method, url.path, headers={"Authorization": f"Bearer {localenv_token}"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 403
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(body) == {"message": "Missing Authentication Token"}
    assert response.getheader("x-amzn-RequestId")
