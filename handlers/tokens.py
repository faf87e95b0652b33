"""Verification of Cognito ACCESS tokens, as AWS's aws-jwt-verify does it.

The JWS signature is checked by PyJWT (RS256 only); every claim is checked here,
explicitly, against a clock passed in. The JWKS is fetched by a function passed
in, cached across invocations, and refetched on an unknown ``kid`` at most once
per ``JWKS_REFETCH_SECONDS``.
"""

from __future__ import annotations

import functools
import http.client
import json
import math
import re
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import jwt
from jwt import PyJWK

from handlers.settings import AuthSettings

MAX_TOKEN_CHARS = 8192
JWKS_REFETCH_SECONDS = 10.0
# urlopen's timeout bounds each socket operation, not the fetch: a server that
# drips a byte at a time never trips it. The fetch as a whole must end inside the
# authorizer's 5 s timeout, so reads stop at a total deadline too.
JWKS_SOCKET_TIMEOUT_SECONDS = 1.0
JWKS_FETCH_DEADLINE_SECONDS = 2.0
JWKS_READ_BYTES = 64 * 1024
JWKS_MAX_BYTES = 1024 * 1024
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
BEARER = re.compile(r"bearer[ \t]+(\S+)[ \t]*", re.IGNORECASE)

Fetch = Callable[[str], Mapping[str, Any]]
# Every way a JWKS fetch can fail: sockets and timeouts (OSError), a broken status
# line or headers (HTTPException is not an OSError), bad or too deeply nested JSON, bad keys.
JWKS_FAILURES = (OSError, http.client.HTTPException, ValueError, RecursionError, jwt.PyJWTError)


class TokenRejectedError(Exception):
    """The token is missing, malformed, unverifiable or not acceptable; the reason is logged."""


class JwksUnavailableError(TokenRejectedError):
    """The keys could not be had (fetch failed, too slow, too big, malformed): still a 401 for
    the caller, but an outage of the authorizer, not a rejected token."""


class DeferredHTTPSHandler(urllib.request.HTTPSHandler):
    """urllib's HTTPS handler, made ready on its first https request.

    Building an opener builds its HTTPS handler, and with it a TLS context that loads
    the system's whole CA bundle (25-40 ms of CPU, measured): a cold start paid it even
    for an http:// JWKS, which never opens a TLS connection. The first https request
    (the URL's own, or a redirect's) runs the stock constructor, so TLS is set up and
    verified exactly as by ``urllib.request.urlopen``.
    """

    def __init__(self) -> None:
        urllib.request.AbstractHTTPHandler.__init__(self)
        self.ready = False

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if not self.ready:
            urllib.request.HTTPSHandler.__init__(self)
            self.ready = True
        return super().https_open(req)


@functools.cache
def jwks_opener() -> urllib.request.OpenerDirector:
    """``urlopen``'s opener (proxies, redirects, HTTP errors), its HTTPS handler deferred."""
    return urllib.request.build_opener(DeferredHTTPSHandler())


def fetch_jwks(url: str, monotonic: Callable[[], float] = time.monotonic) -> Mapping[str, Any]:
    """GET the JWKS document, bounded in total time and in size."""
    if not url.startswith(("https://", "http://")):
        raise JwksUnavailableError(f"JWKS URL {url!r} is not http(s)")
    deadline = monotonic() + JWKS_FETCH_DEADLINE_SECONDS
    with jwks_opener().open(url, timeout=JWKS_SOCKET_TIMEOUT_SECONDS) as response:
        document = json.loads(read_until(response, deadline, monotonic))
    if not isinstance(document, dict):
        raise JwksUnavailableError("JWKS is not a JSON object")
    return document


def read_until(response: Any, deadline: float, monotonic: Callable[[], float]) -> bytes:
    """The body, at most ``JWKS_MAX_BYTES``, read piece by piece until ``deadline``."""
    body = b""
    while piece := response.read1(JWKS_READ_BYTES):
        body += piece
        if len(body) > JWKS_MAX_BYTES:
            raise JwksUnavailableError(f"JWKS larger than {JWKS_MAX_BYTES} bytes")
        if monotonic() > deadline:
            raise JwksUnavailableError("JWKS fetch took longer than its deadline")
    return body


def signing_keys(document: Mapping[str, Any]) -> dict[str, PyJWK]:
    """The RSA signature keys of a JWKS by ``kid``; keys of any other kind are ignored."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JwksUnavailableError("JWKS has no list of keys")
    keys: dict[str, PyJWK] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA":
            continue
        if entry.get("use", "sig") != "sig" or entry.get("alg", "RS256") != "RS256":
            continue
        kid = entry.get("kid")
        if isinstance(kid, str):
            keys[kid] = PyJWK.from_dict(entry, algorithm="RS256")
    return keys


@dataclass
class JwksCache:
    url: str
    fetch: Fetch = fetch_jwks
    monotonic: Callable[[], float] = time.monotonic
    keys: dict[str, PyJWK] = field(default_factory=dict)
    fetched_at: float | None = None

    def key_for(self, kid: str) -> PyJWK:
        if kid not in self.keys and self.may_refetch():
            self.refresh()
        try:
            return self.keys[kid]
        except KeyError:
            raise TokenRejectedError(f"unknown kid {kid!r}") from None

    def may_refetch(self) -> bool:
        return self.fetched_at is None or self.monotonic() - self.fetched_at >= JWKS_REFETCH_SECONDS

    def refresh(self) -> None:
        """Refetch; a JWKS that fails or holds no usable key leaves the last good keys."""
        self.fetched_at = self.monotonic()
        try:
            keys = signing_keys(self.fetch(self.url))
        except JwksUnavailableError:
            raise
        except JWKS_FAILURES as exc:
            raise JwksUnavailableError(f"JWKS unavailable: {exc}") from exc
        if keys:
            self.keys = keys


def bearer_token(headers: Mapping[str, Any] | None) -> str:
    """The token of the ``Authorization: Bearer`` header; names and scheme case-insensitive."""
    values = [v for k, v in (headers or {}).items() if k.lower() == "authorization"]
    if len(values) != 1 or not isinstance(values[0], str):
        raise TokenRejectedError("no single Authorization header")
    match = BEARER.fullmatch(values[0].strip())
    if match is None:
        raise TokenRejectedError("Authorization is not a Bearer token")
    token = match.group(1)
    if len(token) > MAX_TOKEN_CHARS or not COMPACT_JWS.fullmatch(token):
        raise TokenRejectedError("token is not a compact JWS of acceptable length")
    return token


def verify_access_token(
    token: str, config: AuthSettings, jwks: JwksCache, now: float
) -> dict[str, Any]:
    """The token's claims if it is a valid access token for ``config``; else raise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenRejectedError(f"unreadable header: {exc}") from exc
    if header.get("alg") != "RS256":
        raise TokenRejectedError(f"alg {header.get('alg')!r} is not RS256")
    kid = header.get("kid")
    if not isinstance(kid, str):
        raise TokenRejectedError("no kid")
    key = jwks.key_for(kid)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise TokenRejectedError(f"signature: {exc}") from exc
    check_claims(claims, config, now)
    return claims


def check_claims(claims: Mapping[str, Any], config: AuthSettings, now: float) -> None:
    leeway = config.leeway_seconds
    if claims.get("iss") != config.issuer:
        raise TokenRejectedError("iss does not match")
    if claims.get("token_use") != "access":
        raise TokenRejectedError("token_use is not access")
    if claims.get("client_id") != config.client_id:
        raise TokenRejectedError("client_id does not match")
    exp = claims.get("exp")
    if not is_number(exp) or now >= exp + leeway:
        raise TokenRejectedError("expired or no exp")
    for claim in ("nbf", "iat"):
        value = claims.get(claim)
        if value is not None and (not is_number(value) or value > now + leeway):
            raise TokenRejectedError(f"{claim} is in the future")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenRejectedError("no sub")


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite JSON number: not a boolean, NaN, infinity or an int beyond any float."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def admits(claims: Mapping[str, Any], config: AuthSettings) -> bool:
    """Whether a verified user is one this configuration admits (the optional group)."""
    if config.required_group is None:
        return True
    groups = claims.get("cognito:groups") or []
    return isinstance(groups, list) and config.required_group in groups
