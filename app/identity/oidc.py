"""OpenID Connect for agency staff: authorization code flow with PKCE, state and nonce.

Protocol pieces come from Authlib (the authorization URL, the S256 code challenge, discovery
metadata validation); token requests go through httpx directly (Authlib's httpx integration is
deprecated in favour of a separate package); ID tokens are verified with joserfc against the
provider's JWKS: signature, `iss`, `aud`, `exp`, and the `nonce` of this sign-in.

The state of a sign-in in progress lives in Redis for ten minutes under the `state` value and is
taken with GETDEL, so a state (and the code that comes with it) can complete a sign-in once.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from redis.asyncio import Redis

STATE_TTL_SECONDS = 600
SCOPES = "openid email profile"
ALGORITHMS = ["RS256", "ES256", "PS256", "EdDSA"]
_STATE = "identity:oidc-state:{}"
_DISCOVERY_TTL = 300.0
_discovery: dict[str, tuple[float, dict[str, Any]]] = {}


class SignInRefused(Exception):
    """A sign-in that must not go on. `reason` is a stable code; `message` says it in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Client:
    """The ledger as a client of one tenant's provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass(frozen=True)
class PendingSignIn:
    tenant_id: uuid.UUID
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class TokenAnswer:
    claims: dict[str, Any]
    refresh_token: str | None


async def discover(http: httpx.AsyncClient, issuer: str) -> dict[str, Any]:
    """The provider's metadata (cached for five minutes), checked to be for this issuer."""
    cached = _discovery.get(issuer)
    if cached is not None and time.monotonic() - cached[0] < _DISCOVERY_TTL:
        return cached[1]
    try:
        response = await http.get(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        response.raise_for_status()
        metadata = OpenIDProviderMetadata(response.json())
        metadata.validate_issuer()
        metadata.validate_authorization_endpoint()
        metadata.validate_token_endpoint()
        metadata.validate_jwks_uri()
    except (httpx.HTTPError, ValueError) as exc:
        raise SignInRefused(
            "provider_unreachable", f"the provider's discovery failed: {exc}"
        ) from exc
    if metadata["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise SignInRefused("provider_misconfigured", "the discovery document names another issuer")
    _discovery[issuer] = (time.monotonic(), dict(metadata))
    return dict(metadata)


async def begin(
    *, redis: Redis, http: httpx.AsyncClient, client: Client, tenant_id: uuid.UUID
) -> str:
    """Remembers a new sign-in and returns the provider URL to send the browser to."""
    metadata = await discover(http, client.issuer)
    state = secrets.token_urlsafe(32)
    pending = PendingSignIn(tenant_id, secrets.token_urlsafe(24), secrets.token_urlsafe(48))
    await redis.set(
        _STATE.format(state),
        json.dumps(
            {"tenant_id": str(tenant_id), "nonce": pending.nonce, "verifier": pending.code_verifier}
        ),
        ex=STATE_TTL_SECONDS,
    )
    return str(
        prepare_grant_uri(
            metadata["authorization_endpoint"],
            client.client_id,
            "code",
            redirect_uri=client.redirect_uri,
            scope=SCOPES,
            state=state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.code_verifier),
            code_challenge_method="S256",
        )
    )


async def take_pending(redis: Redis, state: str | None) -> PendingSignIn:
    """The sign-in this `state` belongs to, used up; refused when unknown, used or expired."""
    raw = await redis.getdel(_STATE.format(state)) if state and len(state) <= 200 else None
    if raw is None:
        raise SignInRefused(
            "state", "this sign-in was not started here, was already used, or took too long"
        )
    value = json.loads(raw)
    return PendingSignIn(uuid.UUID(value["tenant_id"]), value["nonce"], value["verifier"])


async def _token_request(
    http: httpx.AsyncClient, client: Client, form: dict[str, str]
) -> dict[str, Any]:
    metadata = await discover(http, client.issuer)
    try:
        response = await http.post(
            metadata["token_endpoint"],
            data=form,
            auth=(client.client_id, client.client_secret),
            headers={"accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise SignInRefused("provider_unreachable", f"the token request failed: {exc}") from exc
    if response.status_code != 200:
        error = response.json().get("error", "") if response.content else ""
        raise SignInRefused(
            "token", f"the provider refused the token request ({error or response.status_code})"
        )
    body: dict[str, Any] = response.json()
    return body


async def verify_id_token(
    http: httpx.AsyncClient, client: Client, id_token: str, *, nonce: str | None
) -> dict[str, Any]:
    metadata = await discover(http, client.issuer)
    try:
        keys = (await http.get(metadata["jwks_uri"])).raise_for_status().json()
        token = jwt.decode(id_token, KeySet.import_key_set(keys), algorithms=ALGORITHMS)
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": client.client_id},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if nonce is not None:
            options["nonce"] = {"essential": True, "value": nonce}
        JWTClaimsRegistry(leeway=60, **options).validate(token.claims)
    except (JoseError, ValueError, httpx.HTTPError) as exc:
        raise SignInRefused("id_token", f"the ID token is not valid: {exc}") from exc
    return dict(token.claims)


async def finish(
    *, http: httpx.AsyncClient, client: Client, pending: PendingSignIn, code: str
) -> TokenAnswer:
    """Exchanges the code (with the PKCE verifier) and verifies the ID token it brings."""
    body = await _token_request(
        http,
        client,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": client.redirect_uri,
            "code_verifier": pending.code_verifier,
        },
    )
    if not isinstance(body.get("id_token"), str):
        raise SignInRefused("id_token", "the provider answered without an ID token")
    claims = await verify_id_token(http, client, body["id_token"], nonce=pending.nonce)
    return TokenAnswer(claims, body.get("refresh_token"))


async def refresh(*, http: httpx.AsyncClient, client: Client, refresh_token: str) -> TokenAnswer:
    """A refresh grant: fresh claims (groups included) from the provider, or SignInRefused."""
    body = await _token_request(
        http, client, {"grant_type": "refresh_token", "refresh_token": refresh_token}
    )
    if not isinstance(body.get("id_token"), str):
        raise SignInRefused("id_token", "the refresh answer carries no ID token")
    claims = await verify_id_token(http, client, body["id_token"], nonce=None)
    return TokenAnswer(claims, body.get("refresh_token") or refresh_token)
