"""Calls to the local API as a user makes them: a Cognito token, then HTTP."""

from __future__ import annotations

from typing import Any

import requests

from localenv import cognito_users, emulator

DEMO_TEXT = (
    "The local stack is up.\r\n"
    "  Lines end at LF, CRLF or CR; surrounding whitespace is stripped.  \n"
    "\n"
    "Empty lines are dropped, and order is kept.\r"
    "Ünïcødé is fine; invalid UTF-8 is a 422.\n"
)


def token(outputs: dict[str, Any], username: str | None = None, password: str | None = None) -> str:
    client = emulator.session(outputs["Region"]).client(
        "cognito-idp", endpoint_url=outputs["AwsEndpointUrl"]
    )
    return cognito_users.access_token(
        client,
        outputs["UserPoolClientId"],
        username or outputs["DemoUsername"],
        password or outputs["DemoPassword"],
    )


def upload(outputs: dict[str, Any], body: bytes, name: str | None = None) -> requests.Response:
    return requests.post(
        outputs["ApiEndpoint"],
        data=body,
        params={"name": name} if name else None,
        timeout=60,
        headers={"Authorization": f"Bearer {token(outputs)}", "Content-Type": "text/plain"},
    )


def get(
    outputs: dict[str, Any],
    upload_id: str = "",
    cursor: str | None = None,
    limit: int | None = None,
) -> requests.Response:
    params = {k: v for k, v in (("cursor", cursor), ("limit", limit)) if v}
    url = outputs["ApiEndpoint"] + (f"/{upload_id}" if upload_id else "")
    return requests.get(
        url, params=params, timeout=60, headers={"Authorization": f"Bearer {token(outputs)}"}
    )
