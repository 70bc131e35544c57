"""JWKS keys during an identity-provider outage, against a real local JWKS HTTP server: stale keys
keep verifying tokens, one background refresh runs however many requests arrive, and the fresh
keys are used once the provider answers again."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.auth.errors import AuthenticationFailed
from app.auth.principal import Role
from app.auth.tokens import JWKS_REFRESH_SECONDS, TokenVerifier
from app.settings import Settings

KEY = RSAKey.generate_key(2048, parameters={"kid": "provider-1"})


class Provider:
    """A JWKS endpoint on loopback that counts its hits and can hang or go down."""

    def __init__(self) -> None:
        self.hits = 0
        self.release = threading.Event()
        self.release.set()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.hits += 1
                provider.release.wait(10)
                body = json.dumps({"keys": [KEY.as_dict(private=False)]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def go_down(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def provider() -> Iterator[Provider]:
    p = Provider()
    try:
        yield p
    finally:
        if p.thread.is_alive():
            p.go_down()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token(settings: Settings) -> str:
    issued = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "analyst@example.com",
        "iat": issued,
        "exp": issued + 600,
        "tenant_id": str(uuid.uuid4()),
        "role": Role.ANALYST.value,
    }
    return jwt.encode({"alg": "RS256", "kid": KEY.kid}, claims, KEY)


def verifier_for(url: str, clock: Clock) -> TokenVerifier:
    settings = Settings(env="test", jwks_url=url)
    verifier = TokenVerifier(settings)
    assert verifier._jwks is not None
    verifier._jwks.clock = clock
    return verifier


def wait_for_refresh(verifier: TokenVerifier) -> None:
    thread = verifier._jwks._refreshing  # type: ignore[union-attr]
    if thread is not None:
        thread.join(10)


@contextmanager
def keys_fetched_once() -> Iterator[tuple[Provider, Clock, TokenVerifier, str]]:
    """A provider, a verifier on a test clock, and a token it has verified (so it holds keys)."""
    with provider() as idp:
        clock = Clock()
        verifier = verifier_for(idp.url, clock)
        signed = token(verifier.settings)
        assert verifier.verify(signed).role is Role.ANALYST
        yield idp, clock, verifier, signed


def test_stale_keys_verify_tokens_while_one_refresh_waits_for_a_slow_provider() -> None:
    # Given keys fetched once
    with keys_fetched_once() as (idp, clock, verifier, signed):
        assert idp.hits == 1

        # When they are stale and the provider hangs, 20 requests arrive at once
        clock.now += JWKS_REFRESH_SECONDS + 1
        idp.release.clear()
        with ThreadPoolExecutor(20) as pool:
            roles = list(pool.map(lambda _: verifier.verify(signed).role, range(20)))

        # Then every one is verified with the stale keys, and one refresh is under way
        assert roles == [Role.ANALYST] * 20
        idp.release.set()
        wait_for_refresh(verifier)
        assert idp.hits == 2


def test_a_provider_outage_keeps_tokens_verified_with_the_keys_it_had() -> None:
    with keys_fetched_once() as (idp, clock, verifier, signed):
        # Given a provider that is gone and keys past their refresh time
        idp.go_down()
        clock.now += JWKS_REFRESH_SECONDS + 1

        # When requests keep arriving
        first = verifier.verify(signed)
        wait_for_refresh(verifier)  # the refresh fails: connection refused
        second = verifier.verify(signed)

        # Then they are verified with the stale keys, not refused
        assert (first.role, second.role) == (Role.ANALYST, Role.ANALYST)
        assert verifier._jwks is not None and verifier._jwks.keys is not None


def test_without_any_keys_an_outage_is_a_clear_authentication_failure() -> None:
    with provider() as idp:
        url = idp.url
        idp.go_down()
    verifier = verifier_for(url, Clock())
    with pytest.raises(AuthenticationFailed, match="JWKS unavailable"):
        verifier.verify(token(verifier.settings))
