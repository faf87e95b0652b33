"""Access-token verification: every rule of the authorizer issue, and hostile tokens."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from handlers.settings import AuthSettings
from handlers.tokens import (
    JWKS_FETCH_DEADLINE_SECONDS,
    JWKS_MAX_BYTES,
    JWKS_REFETCH_SECONDS,
    JWKS_SOCKET_TIMEOUT_SECONDS,
    MAX_TOKEN_CHARS,
    JwksCache,
    TokenRejectedError,
    bearer_token,
    check_claims,
    fetch_jwks,
    read_until,
    verify_access_token,
)
from tests.jwks_server import serving
from tests.token_factory import CLIENT_ID, ISSUER, NOW, SigningKey, access_claims, jwks

KEY = SigningKey("key-1")
OTHER = SigningKey("key-2")
CONFIG = AuthSettings(ISSUER, CLIENT_ID, "unused", None, 0)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingFetch:
    def __init__(self, *keys: SigningKey):
        self.document = jwks(*keys)
        self.calls = 0

    def __call__(self, url: str) -> dict[str, Any]:
        self.calls += 1
        return self.document


def cache(*keys: SigningKey) -> tuple[JwksCache, CountingFetch, Clock]:
    fetch, clock = CountingFetch(*keys), Clock()
    return JwksCache("jwks-url", fetch, clock), fetch, clock


def verify(token: str, config: AuthSettings = CONFIG, now: float = NOW) -> dict[str, Any]:
    return verify_access_token(token, config, cache(KEY)[0], now)


def rejected(token: str, config: AuthSettings = CONFIG, now: float = NOW) -> str:
    with pytest.raises(TokenRejectedError) as caught:
        verify(token, config, now)
    return str(caught.value)


def segments(token: str) -> list[str]:
    return token.split(".")


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def test_valid_access_token_gives_its_claims() -> None:
    claims = verify(KEY.sign(access_claims()))
    assert claims["sub"] == access_claims()["sub"]


def test_alg_none_is_rejected() -> None:
    header = b64({"alg": "none", "kid": KEY.kid})
    with pytest.raises(TokenRejectedError):  # empty signature: not even a compact JWS
        bearer_token({"Authorization": f"Bearer {header}.{b64(access_claims())}."})
    assert "not RS256" in rejected(f"{header}.{b64(access_claims())}.c2ln")


def test_hs256_keyed_with_the_public_key_is_rejected() -> None:
    public_pem = KEY.private.public_key().public_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    header = b64({"alg": "HS256", "kid": KEY.kid, "typ": "JWT"})
    payload = b64(access_claims())
    mac = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    signature = base64.urlsafe_b64encode(mac).decode().rstrip("=")
    assert "not RS256" in rejected(f"{header}.{payload}.{signature}")


def test_unknown_kid_is_rejected() -> None:
    assert "unknown kid" in rejected(OTHER.sign(access_claims()))


def test_a_key_of_another_kid_cannot_sign() -> None:
    forged = OTHER.sign(access_claims(), headers={"kid": KEY.kid})
    assert "signature" in rejected(forged)


def test_expired_and_boundary() -> None:
    assert verify(KEY.sign(access_claims(exp=NOW + 1)))
    assert "expired" in rejected(KEY.sign(access_claims(exp=NOW)))
    assert "expired" in rejected(KEY.sign(access_claims(exp=NOW - 10)))


def test_missing_exp_is_rejected() -> None:
    assert "exp" in rejected(KEY.sign(access_claims(exp=None)))


def test_leeway_admits_recently_expired_and_early_nbf() -> None:
    lenient = AuthSettings(ISSUER, CLIENT_ID, "unused", None, 30)
    assert verify(KEY.sign(access_claims(exp=NOW - 10)), lenient)
    assert verify(KEY.sign(access_claims(nbf=NOW + 10)), lenient)
    assert "expired" in rejected(KEY.sign(access_claims(exp=NOW - 31)), lenient)


def test_future_nbf_is_rejected() -> None:
    assert "nbf" in rejected(KEY.sign(access_claims(nbf=NOW + 5)))
    assert verify(KEY.sign(access_claims(nbf=NOW)))


@pytest.mark.parametrize("iss", [ISSUER + "/", ISSUER.upper(), "https://evil.example/pool", None])
def test_issuer_must_match_exactly(iss: str | None) -> None:
    assert "iss" in rejected(KEY.sign(access_claims(iss=iss)))


def test_wrong_client_id_is_rejected() -> None:
    assert "client_id" in rejected(KEY.sign(access_claims(client_id="other-client")))


def test_id_token_is_rejected() -> None:
    assert "token_use" in rejected(KEY.sign(access_claims(token_use="id")))


def test_missing_sub_is_rejected() -> None:
    assert "sub" in rejected(KEY.sign(access_claims(sub=None)))


def test_tampered_payload_is_rejected() -> None:
    header, _, signature = segments(KEY.sign(access_claims()))
    forged = b64(access_claims(sub="someone-else"))
    assert "signature" in rejected(f"{header}.{forged}.{signature}")


def test_tampered_signature_is_rejected() -> None:
    header, payload, signature = segments(KEY.sign(access_claims()))
    flipped = ("A" if signature[10] != "A" else "B").join([signature[:10], signature[11:]])
    assert "signature" in rejected(f"{header}.{payload}.{flipped}")


def test_truncated_token_is_rejected() -> None:
    token = KEY.sign(access_claims())
    with pytest.raises(TokenRejectedError):
        verify(token[:-20])
    with pytest.raises(TokenRejectedError):
        bearer_token({"Authorization": "Bearer " + ".".join(segments(token)[:2])})


@pytest.mark.parametrize(
    "name", ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"]
)
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_header_name_and_scheme_are_case_insensitive(name: str, scheme: str) -> None:
    token = KEY.sign(access_claims())
    assert bearer_token({name: f"{scheme} {token}"}) == token


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Authorization": ""},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer a.b.c d"},
        {"Authorization": "Bearer a.b.c", "authorization": "Bearer a.b.c"},
        {"Authorization": "Bearer not-a-jwt"},
    ],
)
def test_missing_or_malformed_header_is_rejected(headers: dict[str, str] | None) -> None:
    with pytest.raises(TokenRejectedError):
        bearer_token(headers)


def test_token_length_is_capped_before_parsing() -> None:
    huge = "a" * (MAX_TOKEN_CHARS - 4) + ".b.c"
    assert bearer_token({"Authorization": f"Bearer {huge}"}) == huge
    with pytest.raises(TokenRejectedError, match="length"):
        bearer_token({"Authorization": f"Bearer a{huge}"})


def test_jwks_is_fetched_once_and_cached() -> None:
    jwks_cache, fetch, _ = cache(KEY)
    for _ in range(3):
        verify_access_token(KEY.sign(access_claims()), CONFIG, jwks_cache, NOW)
    assert fetch.calls == 1


def test_unknown_kid_refetches_at_most_once_per_interval_then_finds_rotated_key() -> None:
    jwks_cache, fetch, clock = cache(KEY)
    verify_access_token(KEY.sign(access_claims()), CONFIG, jwks_cache, NOW)
    fetch.document = jwks(KEY, OTHER)  # the pool rotated its keys
    clock.now += JWKS_REFETCH_SECONDS - 1
    with pytest.raises(TokenRejectedError, match="unknown kid"):
        verify_access_token(OTHER.sign(access_claims()), CONFIG, jwks_cache, NOW)
    assert fetch.calls == 1
    clock.now += 1
    assert verify_access_token(OTHER.sign(access_claims()), CONFIG, jwks_cache, NOW)
    assert fetch.calls == 2
    with pytest.raises(TokenRejectedError):
        verify_access_token(SigningKey("key-3").sign(access_claims()), CONFIG, jwks_cache, NOW)
    assert fetch.calls == 2


def test_jwks_over_real_http_and_its_failures() -> None:
    with serving(jwks(KEY)) as server:
        jwks_cache = JwksCache(server.url)
        assert verify_access_token(KEY.sign(access_claims()), CONFIG, jwks_cache, NOW)
        server.status = 500
        failing = JwksCache(server.url)
        with pytest.raises(TokenRejectedError, match="JWKS unavailable"):
            failing.key_for(KEY.kid)
    with pytest.raises(TokenRejectedError):
        fetch_jwks("file:///etc/passwd")


def test_non_rsa_and_non_signature_keys_are_ignored() -> None:
    document = jwks(KEY)
    document["keys"].append({"kty": "oct", "kid": "sym", "k": "c2VjcmV0"})
    document["keys"].append({**OTHER.jwk(), "use": "enc"})
    jwks_cache = JwksCache("u", lambda _url: document, lambda: 0.0)
    assert jwks_cache.key_for(KEY.kid)
    with pytest.raises(TokenRejectedError):
        jwks_cache.key_for("sym")
    with pytest.raises(TokenRejectedError):
        jwks_cache.key_for(OTHER.kid)


def test_header_not_json_is_rejected() -> None:
    assert "unreadable" in rejected("bm90anNvbg.e30.c2ln")


# Defect 7: finite numbers only; iat no later than now + leeway.


@pytest.mark.parametrize("exp", [float("nan"), float("inf"), 10**400, "9999999999", True])
def test_exp_must_be_a_finite_number(exp: Any) -> None:
    assert "exp" in rejected(KEY.sign(access_claims(exp=exp)))


@pytest.mark.parametrize("nbf", [float("nan"), 10**400, "0"])
def test_nbf_must_be_a_finite_number(nbf: Any) -> None:
    assert "nbf" in rejected(KEY.sign(access_claims(nbf=nbf)))


def test_iat_in_the_future_is_rejected_beyond_the_leeway() -> None:
    assert "iat" in rejected(KEY.sign(access_claims(iat=NOW + 365 * 86400)))
    assert "iat" in rejected(KEY.sign(access_claims(iat=NOW + 1)))
    assert "iat" in rejected(KEY.sign(access_claims(iat=float("nan"))))
    assert verify(KEY.sign(access_claims(iat=NOW)))
    leeway = AuthSettings(ISSUER, CLIENT_ID, "unused", None, 30)
    assert verify(KEY.sign(access_claims(iat=NOW + 30)), leeway)
    assert "iat" in rejected(KEY.sign(access_claims(iat=NOW + 31)), leeway)


def test_exp_and_nbf_boundaries_with_leeway() -> None:
    leeway = AuthSettings(ISSUER, CLIENT_ID, "unused", None, 30)
    assert verify(KEY.sign(access_claims(exp=NOW - 29)), leeway)
    assert "exp" in rejected(KEY.sign(access_claims(exp=NOW - 30)), leeway)
    assert "exp" in rejected(KEY.sign(access_claims(exp=NOW)))
    assert verify(KEY.sign(access_claims(exp=NOW + 1)))
    assert verify(KEY.sign(access_claims(nbf=NOW + 30)), leeway)
    assert "nbf" in rejected(KEY.sign(access_claims(nbf=NOW + 31)), leeway)


# Defect 6: every JWKS failure is a rejection, within a total deadline.


class RawServer:
    """A loopback TCP server that answers every connection with ``reply(conn)``."""

    def __init__(self, reply: Callable[[socket.socket], None]):
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self.serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/jwks.json"

    def serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                with conn:
                    conn.recv(65536)
                    with contextlib.suppress(OSError):
                        self.reply(conn)

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()


def http_head(length: int) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n".encode()


def test_a_bad_status_line_is_a_rejection() -> None:
    def bad_status(conn: socket.socket) -> None:
        conn.sendall(b"SPDY/9 what\r\n\r\n")

    with RawServer(bad_status) as server, pytest.raises(TokenRejectedError, match="unavailable"):
        JwksCache(server.url).key_for(KEY.kid)


def test_a_server_that_drips_is_cut_at_the_total_deadline() -> None:
    body = json.dumps(jwks(KEY)).encode()

    def drip(conn: socket.socket) -> None:
        conn.sendall(http_head(len(body)))
        for byte in body:
            conn.sendall(bytes([byte]))
            time.sleep(0.01)

    ticks = iter(range(0, 10_000))  # one second per reading of the clock
    with RawServer(drip) as server, pytest.raises(TokenRejectedError, match="deadline"):
        fetch_jwks(server.url, lambda: float(next(ticks)))


def test_a_body_over_the_cap_is_a_rejection() -> None:
    big = b" " * (JWKS_MAX_BYTES + 1)

    def send_big(conn: socket.socket) -> None:
        conn.sendall(http_head(len(big)) + big)

    with RawServer(send_big) as server, pytest.raises(TokenRejectedError, match="larger"):
        fetch_jwks(server.url)


def test_a_body_at_the_cap_is_read() -> None:
    document = json.dumps(jwks(KEY)).encode()
    padded = document + b" " * (JWKS_MAX_BYTES - len(document))

    def send(conn: socket.socket) -> None:
        conn.sendall(http_head(len(padded)) + padded)

    with RawServer(send) as server:
        assert fetch_jwks(server.url)["keys"][0]["kid"] == KEY.kid


def test_a_server_that_never_answers_times_out_as_a_rejection() -> None:
    def hang(conn: socket.socket) -> None:
        time.sleep(JWKS_SOCKET_TIMEOUT_SECONDS * 3)

    with RawServer(hang) as server, pytest.raises(TokenRejectedError, match="timed out"):
        JwksCache(server.url).key_for(KEY.kid)


def test_the_socket_and_total_timeouts_fit_the_authorizer() -> None:
    # The authorizer runs 5 s; a fetch overruns its deadline by one socket wait at most.
    assert JWKS_FETCH_DEADLINE_SECONDS + JWKS_SOCKET_TIMEOUT_SECONDS <= 3.0
    assert JWKS_SOCKET_TIMEOUT_SECONDS > 0


@pytest.mark.parametrize("document", [{"keys": 5}, {"keys": "abc"}, {}, {"keys": {"a": 1}}])
def test_a_jwks_without_a_list_of_keys_is_a_rejection(document: dict[str, Any]) -> None:
    jwks_cache = JwksCache("u", lambda _url: document, lambda: 0.0)
    with pytest.raises(TokenRejectedError, match="keys"):
        jwks_cache.key_for(KEY.kid)


@pytest.mark.parametrize("body", [b"[" * 5000, b"\xff", b"[]", b"not json"])
def test_a_jwks_that_is_not_a_json_object_is_a_rejection(body: bytes) -> None:
    def send(conn: socket.socket) -> None:
        conn.sendall(http_head(len(body)) + body)

    with RawServer(send) as server, pytest.raises(TokenRejectedError):
        JwksCache(server.url).key_for(KEY.kid)


def test_the_last_good_keys_survive_a_refetch_that_returns_none() -> None:
    documents = [jwks(KEY), {"keys": []}, {"keys": [{"kty": "oct", "kid": "x", "k": "YQ"}]}]
    clock = Clock()
    jwks_cache = JwksCache("u", lambda _url: documents.pop(0), clock)
    assert jwks_cache.key_for(KEY.kid)
    for _ in range(2):
        clock.now += JWKS_REFETCH_SECONDS
        with pytest.raises(TokenRejectedError):
            jwks_cache.key_for("unknown")
        assert jwks_cache.key_for(KEY.kid)
    assert documents == []


def test_refetch_waits_exactly_the_interval() -> None:
    jwks_cache, fetch, clock = cache(KEY)
    jwks_cache.key_for(KEY.kid)
    clock.now += JWKS_REFETCH_SECONDS - 0.001
    with pytest.raises(TokenRejectedError):
        jwks_cache.key_for("unknown")
    assert fetch.calls == 1
    clock.now += 0.001
    with pytest.raises(TokenRejectedError):
        jwks_cache.key_for("unknown")
    assert fetch.calls == 2
    assert JWKS_REFETCH_SECONDS == 10.0


# Issue 16, gaps 1-4 and 10: each rule on its own.


@pytest.mark.parametrize("sub", ["", 5, ["x"], None])
def test_sub_must_be_a_non_empty_string(sub: Any) -> None:
    # PyJWT refuses some non-string subs itself; check_claims must refuse them all.
    with pytest.raises(TokenRejectedError, match="no sub"):
        check_claims({**access_claims(), "sub": sub}, CONFIG, NOW)


def test_keys_without_alg_or_use_are_taken_as_rs256_signature_keys() -> None:
    bare = {k: v for k, v in KEY.jwk().items() if k not in {"alg", "use"}}
    jwks_cache = JwksCache("u", lambda _url: {"keys": [bare]}, lambda: 0.0)
    assert verify_access_token(KEY.sign(access_claims()), CONFIG, jwks_cache, NOW)


@pytest.mark.parametrize(
    "ignored",
    [
        {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
        {**OTHER.jwk(), "use": "enc"},
        {**OTHER.jwk(), "alg": "RS512"},
        {**OTHER.jwk(), "kid": 7},
        "not a key",
    ],
)
def test_an_ignored_key_before_the_valid_one_does_not_hide_it(ignored: Any) -> None:
    document = {"keys": [ignored, KEY.jwk()]}
    jwks_cache = JwksCache("u", lambda _url: document, lambda: 0.0)
    assert jwks_cache.key_for(KEY.kid)
    kid = ignored.get("kid") if isinstance(ignored, dict) else None
    if isinstance(kid, str):
        with pytest.raises(TokenRejectedError):
            jwks_cache.key_for(kid)


def test_an_https_jwks_url_is_fetched_not_refused() -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(OSError) as caught:  # connection refused: it was tried
        fetch_jwks(f"https://127.0.0.1:{port}/jwks.json")
    assert not isinstance(caught.value, TokenRejectedError)


def test_expiry_is_checked_against_the_injected_clock_not_the_wall_clock() -> None:
    wall = int(time.time())
    past = access_claims(exp=wall - 3600, iat=wall - 7200, nbf=wall - 7200)
    assert verify(KEY.sign(past), now=wall - 3700)
    future = access_claims(exp=wall + 9000, iat=wall + 3600, nbf=wall + 3600)
    assert verify(KEY.sign(future), now=wall + 3600)


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("Bearer a.b.c", True),
        ("bearer\ta.b.c", True),
        ("BEARER   a.b.c  ", True),
        ("Bearera.b.c", False),
        ("Bearer", False),
        ("Bearer a.b.c d", False),
        ("Basic a.b.c", False),
        ("Bearer a+b.c.d", False),
        ("Bearer a.b+c.d", False),
        ("Bearer a.b.c/d", False),
        ("Bearer a/b.c.d", False),
        ("Bearer a.b.c+", False),
        ("Bearer a.b.c=", False),
        ("Bearer a.b", False),
        ("Bearer .b.c", False),
    ],
)
def test_the_authorization_header_shape(value: str, accepted: bool) -> None:
    if accepted:
        assert bearer_token({"Authorization": value}) == "a.b.c"
    else:
        with pytest.raises(TokenRejectedError):
            bearer_token({"Authorization": value})


def test_the_token_length_limit_is_8192_characters() -> None:
    at_limit = "a." + "b" * (MAX_TOKEN_CHARS - 4) + ".c"
    assert len(at_limit) == MAX_TOKEN_CHARS == 8192
    assert bearer_token({"Authorization": f"Bearer {at_limit}"}) == at_limit
    over = "a." + "b" * (MAX_TOKEN_CHARS - 3) + ".c"
    with pytest.raises(TokenRejectedError):
        bearer_token({"Authorization": f"Bearer {over}"})


@pytest.mark.parametrize(
    "headers",
    [None, {}, {"Authorization": 5}, {"authorization": "Bearer a.b.c", "AUTHORIZATION": "x"}],
)
def test_no_single_string_authorization_header_is_a_rejection(headers: Any) -> None:
    with pytest.raises(TokenRejectedError):
        bearer_token(headers)


class Pieces:
    """A response whose body arrives in the given pieces."""

    def __init__(self, *pieces: bytes):
        self.pieces = list(pieces)

    def read1(self, _size: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_a_body_read_by_its_deadline_is_in_time_and_one_after_it_is_not() -> None:
    assert read_until(Pieces(b'{"keys"', b":[]}"), 2.0, lambda: 2.0) == b'{"keys":[]}'
    with pytest.raises(TokenRejectedError, match="deadline"):
        read_until(Pieces(b'{"keys"', b":[]}"), 2.0, lambda: 2.001)


def test_an_access_token_with_an_aud_claim_is_judged_on_client_id() -> None:
    # Cognito access tokens carry client_id, not aud; an aud present is not checked.
    assert verify(KEY.sign(access_claims(aud="something-else")))
