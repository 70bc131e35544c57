"""Production verification through a JWKS URL: served over loopback HTTP, cached, refetched on an
unknown key id (rate-limited), and never accepting a token from a key the JWKS does not hold."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from app.auth import tokens
from app.auth.errors import AuthenticationFailed
from app.auth.principal import Role
from app.settings import Settings


class _Jwks:
    def __init__(self) -> None:
        self.keys: list[RSAKey] = []
        self.fetches = 0


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, _Jwks]]:
    state = _Jwks()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches += 1
            body = json.dumps(KeySet(state.keys).as_dict(private=False)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", state
    finally:
        server.shutdown()


def _token(settings: Settings, key: RSAKey, tenant: uuid.UUID) -> str:
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "user@idp",
        "exp": 4102444800,
        "nbf": 0,
        "tenant_id": str(tenant),
        "role": Role.ENGINEER.value,
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def test_jwks_keys_verify_and_an_unknown_kid_triggers_one_refetch(
    jwks_server: tuple[str, _Jwks], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = jwks_server
    first = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    rotated = RSAKey.generate_key(2048, parameters={"kid": "k2"})
    state.keys = [first]
    settings = Settings(env="production", jwks_url=url, database_url="x", redis_url="y")
    verifier = tokens.TokenVerifier(settings)
    tenant = uuid.uuid4()

    assert verifier.verify(_token(settings, first, tenant)).tenant_id == tenant
    assert verifier.verify(_token(settings, first, tenant)).role is Role.ENGINEER
    assert state.fetches == 1  # cached

    # The provider rotates keys: a token with the new kid makes the verifier refetch once,
    # but only after the minimum refetch interval (no fetch storm from forged kids).
    state.keys = [first, rotated]
    with pytest.raises(AuthenticationFailed):
        verifier.verify(_token(settings, rotated, tenant))
    assert state.fetches == 1
    monkeypatch.setattr(tokens, "JWKS_MIN_REFETCH_SECONDS", -1)
    assert verifier.verify(_token(settings, rotated, tenant)).tenant_id == tenant
    assert state.fetches == 2


def test_a_key_outside_the_jwks_never_verifies(jwks_server: tuple[str, _Jwks]) -> None:
    url, state = jwks_server
    state.keys = [RSAKey.generate_key(2048, parameters={"kid": "k1"})]
    settings = Settings(env="production", jwks_url=url, database_url="x", redis_url="y")
    stranger = RSAKey.generate_key(2048, parameters={"kid": "k1"})  # same kid, other key
    with pytest.raises(AuthenticationFailed):
        tokens.TokenVerifier(settings).verify(_token(settings, stranger, uuid.uuid4()))
