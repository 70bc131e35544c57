"""JWT bearer tokens: verification (signature, iss, aud, exp, nbf) and development issuance.

Uses joserfc, the JOSE library by Authlib's author that Authlib 1.9 itself depends on and
recommends in place of the deprecated `authlib.jose`. Asymmetric keys come from a JWKS URL or a
local public key file; HS256 is accepted only when a secret is explicitly configured, and then
only HS256 (never both families at once, which is what makes algorithm confusion impossible).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet, OctKey, RSAKey
from joserfc.jwt import JWTClaimsRegistry

from app.auth.errors import TOKEN_EXPIRED, AuthenticationFailed
from app.auth.principal import Principal, Role
from app.settings import Settings

ASYMMETRIC_ALGORITHMS = ["RS256", "ES256"]
JWKS_REFRESH_SECONDS = 300
JWKS_MIN_REFETCH_SECONDS = 30
JWKS_MAX_STALE_SECONDS = 24 * 3600

log = logging.getLogger(__name__)


def load_or_create_dev_key(path: Path) -> RSAKey:
    """The development signing key: created on first use, kept in the data directory."""
    if not path.exists():
        _load_key.cache_clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
        path.chmod(0o600)
    return _load_key(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _load_key(path: Path, mtime_ns: int) -> RSAKey:
    """Parsing an RSA key costs ~100 ms: cache it per file version (path and mtime)."""
    pem = path.read_bytes()
    key = RSAKey.import_key(pem)
    # PEM carries no key id: derive a stable one from the key itself (RFC 7638 thumbprint).
    return RSAKey.import_key(pem, parameters={"kid": f"dev-{key.thumbprint()[:16]}"})


class JwksCache:
    """The identity provider's keys, fetched from its JWKS URL.

    - The first use fetches them (blocking: nothing can be verified without them).
    - Once they are `JWKS_REFRESH_SECONDS` old they are still served, and ONE background thread
      fetches fresh ones (stale-while-revalidate): a provider outage or a slow provider does not
      slow any request down, and concurrent requests do not start a fetch each.
    - A failed refresh keeps the keys it had and is retried at most every
      `JWKS_MIN_REFETCH_SECONDS`; keys older than `JWKS_MAX_STALE_SECONDS` are no longer served
      (a blocking fetch, and a 401 while it fails), so a retired key cannot stay trusted for ever.
    - A token naming a key id the set lacks (the provider rotated its keys) triggers a blocking
      fetch, at most every `JWKS_MIN_REFETCH_SECONDS`; if it fails, the known keys are used.
    """

    def __init__(self, url: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.clock = clock
        self.keys: KeySet | None = None
        self.fetched_at = 0.0  # when the keys were fetched
        self.attempted_at = float("-inf")  # when a fetch last started
        self._lock = threading.Lock()
        self._refreshing: threading.Thread | None = None

    def get(self, kid: str | None) -> KeySet:
        now = self.clock()
        keys = self.keys
        if keys is None or now - self.fetched_at > JWKS_MAX_STALE_SECONDS:
            return self._fetch_blocking()
        may_refetch = now - self.attempted_at > JWKS_MIN_REFETCH_SECONDS
        if kid is not None and not _has_kid(keys, kid) and may_refetch:
            try:
                return self._fetch_blocking()
            except httpx.HTTPError:
                log.warning("JWKS fetch for unknown key id %r failed; using the known keys", kid)
                return keys
        if now - self.fetched_at > JWKS_REFRESH_SECONDS and may_refetch:
            self._refresh_in_background()
        return keys

    def _fetch_blocking(self) -> KeySet:
        seen = self.fetched_at
        with self._lock:  # concurrent first uses wait for one fetch
            if self.keys is not None and self.fetched_at != seen:
                return self.keys  # another thread fetched them while this one waited
            return self._fetch()

    def _fetch(self) -> KeySet:
        self.attempted_at = self.clock()
        response = httpx.get(self.url, timeout=5.0)
        response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
        self.keys, self.fetched_at = keys, self.clock()
        return keys

    def _refresh_in_background(self) -> None:
        with self._lock:
            if self._refreshing is not None and self._refreshing.is_alive():
                return
            self.attempted_at = self.clock()
            self._refreshing = threading.Thread(
                target=self._refresh, name="jwks-refresh", daemon=True
            )
            self._refreshing.start()

    def _refresh(self) -> None:
        try:
            self._fetch()
        except (httpx.HTTPError, ValueError, JoseError) as exc:
            age = self.clock() - self.fetched_at
            log.warning("JWKS refresh failed (%s); serving keys %.0f s old", exc, age)


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)


class TokenVerifier:
    """Turns a bearer token into a Principal, or raises AuthenticationFailed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._jwks = JwksCache(settings.jwks_url) if settings.jwks_url else None
        self._static: KeySet | None = None
        self.algorithms = ASYMMETRIC_ALGORITHMS
        if settings.jwt_hs256_secret:
            self._static = KeySet([OctKey.import_key(settings.jwt_hs256_secret.encode())])
            self.algorithms = ["HS256"]
        elif settings.jwt_public_key_file:
            self._static = KeySet([RSAKey.import_key(settings.jwt_public_key_file.read_bytes())])
        elif not settings.jwks_url and settings.env != "production":
            dev = load_or_create_dev_key(settings.dev_private_key_path)
            self._static = KeySet([RSAKey.import_key(dev.as_dict(private=False))])
        self._claims = JWTClaimsRegistry(
            leeway=settings.jwt_leeway_seconds,
            iss={"essential": True, "value": settings.jwt_issuer},
            aud={"essential": True, "value": settings.jwt_audience},
            exp={"essential": True},
            sub={"essential": True},
        )

    @property
    def fetches_keys(self) -> bool:
        """True when verification may block on an HTTP fetch of the JWKS."""
        return self._jwks is not None

    def _keys(self, token: str) -> KeySet:
        if self._static is not None:
            return self._static
        if self._jwks is None:
            raise AuthenticationFailed("no token verification key is configured")
        return self._jwks.get(_unverified_kid(token))

    def verify(self, token: str) -> Principal:
        try:
            decoded = jwt.decode(token, self._keys(token), algorithms=self.algorithms)
            self._claims.validate(decoded.claims)
        except ExpiredTokenError as exc:
            raise AuthenticationFailed(f"invalid token: {exc}", TOKEN_EXPIRED) from exc
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise AuthenticationFailed(f"invalid token: {type(exc).__name__}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise AuthenticationFailed(f"JWKS unavailable: {exc}") from exc
        return principal_from_claims(decoded.claims)


def _unverified_kid(token: str) -> str | None:
    try:
        header_b64 = token.split(".", 1)[0]
        padded = header_b64 + "=" * (-len(header_b64) % 4)
        import base64

        header = json.loads(base64.urlsafe_b64decode(padded))
        kid = header.get("kid")
        return kid if isinstance(kid, str) else None
    except (ValueError, IndexError):
        return None


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        tenant_id = uuid.UUID(str(claims["tenant_id"]))
        role = Role(str(claims["role"]))
    except (KeyError, ValueError) as exc:
        raise AuthenticationFailed(f"token lacks a valid tenant_id or role: {exc}") from exc
    if role is Role.API_KEY:
        raise AuthenticationFailed("API_KEY is not a token role")
    client_id: uuid.UUID | None = None
    if role is Role.CLIENT_VIEWER:
        try:
            client_id = uuid.UUID(str(claims["client_id"]))
        except (KeyError, ValueError) as exc:
            raise AuthenticationFailed("CLIENT_VIEWER token lacks a valid client_id") from exc
    elif claims.get("client_id") is not None:
        raise AuthenticationFailed("only CLIENT_VIEWER tokens carry a client_id")
    return Principal.for_role(
        tenant_id=tenant_id, role=role, subject=str(claims["sub"]), client_id=client_id
    )


def issue_token(
    settings: Settings,
    *,
    tenant_id: uuid.UUID,
    role: Role,
    client_id: uuid.UUID | None = None,
    subject: str | None = None,
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """Sign a token with the development key (or the configured HS256 secret)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject or f"{role.value.lower()}@{tenant_id}",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl_seconds,
        "tenant_id": str(tenant_id),
        "role": role.value,
    }
    if client_id is not None:
        claims["client_id"] = str(client_id)
    if settings.jwt_hs256_secret:
        return jwt.encode(
            {"alg": "HS256"}, claims, OctKey.import_key(settings.jwt_hs256_secret.encode())
        )
    if settings.env == "production":
        raise RuntimeError("tokens are issued by your identity provider in production")
    key = load_or_create_dev_key(settings.dev_private_key_path)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
