"""The JWKS fetch's transport: TLS is set up only for an https request, and then exactly
as ``urllib.request.urlopen`` sets it up (the system's CAs, hostname checked)."""

from __future__ import annotations

import contextlib
import datetime
import json
import socket
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from handlers import tokens
from tests.token_factory import SigningKey, jwks
from tests.unit.test_tokens import RawServer, http_head

KEY = SigningKey("transport")


@pytest.fixture(autouse=True)
def fresh_opener() -> Iterator[None]:
    tokens.jwks_opener.cache_clear()
    yield
    tokens.jwks_opener.cache_clear()


def https_handlers() -> list[urllib.request.HTTPSHandler]:
    opener: Any = tokens.jwks_opener()  # OpenerDirector.handlers: not in typeshed
    return [h for h in opener.handlers if isinstance(h, urllib.request.HTTPSHandler)]


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        return int(closed.getsockname()[1])


def test_an_http_fetch_sets_up_no_tls() -> None:
    body = json.dumps(jwks(KEY)).encode()
    with RawServer(lambda conn: conn.sendall(http_head(len(body)) + body)) as server:
        assert tokens.fetch_jwks(server.url)["keys"][0]["kid"] == KEY.kid
    [handler] = https_handlers()
    assert isinstance(handler, tokens.DeferredHTTPSHandler)
    assert not handler.ready


def test_a_redirect_to_https_is_followed_over_tls() -> None:
    target = f"https://127.0.0.1:{closed_port()}/jwks.json"
    head = f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
    with (
        RawServer(lambda conn: conn.sendall(head)) as server,
        pytest.raises(urllib.error.URLError) as caught,
    ):
        tokens.fetch_jwks(server.url)
    # the https request was made (refused by the closed port), not refused as unknown
    assert isinstance(caught.value.reason, ConnectionRefusedError)
    [handler] = https_handlers()
    assert isinstance(handler, tokens.DeferredHTTPSHandler) and handler.ready


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def serve_tls(sock: socket.socket, context: ssl.SSLContext) -> None:
    with contextlib.suppress(OSError):
        conn, _ = sock.accept()
        with conn, contextlib.suppress(OSError):
            context.wrap_socket(conn, server_side=True).close()


def test_an_https_jwks_is_verified_against_the_system_cas(tmp_path: Path) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*self_signed(tmp_path))
    with socket.create_server(("127.0.0.1", 0)) as sock:
        threading.Thread(target=serve_tls, args=(sock, context), daemon=True).start()
        url = f"https://127.0.0.1:{sock.getsockname()[1]}/jwks.json"
        with pytest.raises(tokens.JwksUnavailableError, match="CERTIFICATE_VERIFY_FAILED"):
            tokens.JwksCache(url).key_for(KEY.kid)
