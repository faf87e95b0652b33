"""Users and tokens of the stack's Cognito pool, through the Cognito API of the emulator."""

from __future__ import annotations

import contextlib
from typing import Any

DEMO_USERNAME = "demo@example.com"
DEMO_PASSWORD = "Demo-Passw0rd!local"  # noqa: S105 - a local demo user, printed for the user


def add_user(cognito: Any, pool_id: str, username: str, password: str) -> None:
    """Create a confirmed user with a permanent password (idempotent)."""
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=username,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": username},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )


def access_token(cognito: Any, client_id: str, username: str, password: str) -> str:
    result = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    return str(result["AuthenticationResult"]["AccessToken"])
