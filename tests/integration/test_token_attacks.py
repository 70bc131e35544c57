"""Every forged, stale or malformed credential gets 401 UNAUTHENTICATED and no data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from app.auth.principal import Role
from app.auth.tokens import load_or_create_dev_key
from app.services.tenancy.tenants import create_api_key, revoke_api_key

QUERY = {"query": "{ viewer { tenantId } }"}


def _claims(settings: Any, tenant: uuid.UUID, /, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "attacker",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "tenant_id": str(tenant),
        "role": "OWNER",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(settings: Any, claims: dict[str, Any]) -> str:
    key = load_or_create_dev_key(settings.dev_private_key_path)
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def _assert_401(http: Any, token: str) -> None:
    response = await http.post("/graphql", json=QUERY, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "data" not in body


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"nbf": int(time.time()) + 3600}, id="not-yet-valid"),
        pytest.param({"iss": "someone-else"}, id="wrong-issuer"),
        pytest.param({"aud": "another-api"}, id="wrong-audience"),
        pytest.param({"exp": None}, id="missing-exp"),
        pytest.param({"tenant_id": None}, id="missing-tenant"),
        pytest.param({"tenant_id": "not-a-uuid"}, id="malformed-tenant"),
        pytest.param({"role": "ROOT"}, id="unknown-role"),
        pytest.param({"role": "API_KEY"}, id="api-key-role-in-token"),
        pytest.param({"role": "CLIENT_VIEWER"}, id="client-viewer-without-client"),
        pytest.param({"client_id": str(uuid.uuid4())}, id="owner-claiming-a-client"),
        pytest.param({"sub": None}, id="missing-subject"),
    ],
)
async def test_bad_claims_are_rejected(http, migrated, overrides) -> None:
    await _assert_401(http, _signed(migrated, _claims(migrated, uuid.uuid4(), **overrides)))


async def test_alg_none_is_rejected(http, migrated) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(migrated, uuid.uuid4())).encode())
    await _assert_401(http, f"{header}.{payload}.")


async def test_hs256_signed_with_the_public_key_is_rejected(http, migrated) -> None:
    """Algorithm confusion: the public key used as an HMAC secret must not verify."""
    public_pem = load_or_create_dev_key(migrated.dev_private_key_path).as_pem(private=False)
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(_claims(migrated, uuid.uuid4())).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = _b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    await _assert_401(http, f"{header}.{payload}.{signature}")


async def test_tampered_payload_is_rejected(http, make_tenant) -> None:
    tenant = await make_tenant()
    header, _, signature = tenant.token(Role.ANALYST).split(".")
    forged = _b64(json.dumps(_claims(tenant.settings, uuid.uuid4())).encode())
    await _assert_401(tenant.http, f"{header}.{forged}.{signature}")


async def test_token_from_an_unknown_key_is_rejected(http, migrated) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "stranger"})
    token = jwt.encode(
        {"alg": "RS256", "kid": "stranger"}, _claims(migrated, uuid.uuid4()), stranger
    )
    await _assert_401(http, token)


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Token x", "Bearer a.b", "Bearer olk_x"])
async def test_malformed_authorization_headers(http, header) -> None:
    response = await http.post("/graphql", json=QUERY, headers={"Authorization": header})
    assert response.status_code == 401


async def test_revoked_and_forged_api_keys_are_rejected(http, make_tenant, sessions) -> None:
    tenant = await make_tenant()
    issued = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="ci", scopes=["read"]
    )
    ok = await http.post("/graphql", json=QUERY, headers={"X-API-Key": issued.key})
    assert ok.status_code == 200 and ok.json()["data"]["viewer"]["tenantId"] == str(
        tenant.tenant_id
    )

    forged = issued.key[:-4] + "AAAA"
    await _assert_401(http, forged)
    other_tenant = await make_tenant()
    swapped = issued.key.replace(tenant.tenant_id.hex, other_tenant.tenant_id.hex)
    await _assert_401(http, swapped)

    assert await revoke_api_key(sessions=sessions, tenant_id=tenant.tenant_id, key_id=issued.key_id)
    await _assert_401(http, issued.key)
