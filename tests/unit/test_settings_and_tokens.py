"""Settings refuse placeholders in production; the verifier honours the configured key family."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.auth.errors import AuthenticationFailed
from app.auth.principal import Role, Scope
from app.auth.tokens import TokenVerifier, issue_token
from app.settings import Settings

PROD = {"env": "production", "database_url": "postgresql://db/x", "redis_url": "redis://r"}


def test_production_refuses_placeholder_hs256_secret() -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(**PROD, jwt_hs256_secret="changeme")


def test_production_requires_a_verification_key() -> None:
    with pytest.raises(ValidationError, match="LEDGER_JWKS_URL"):
        Settings(**PROD)


def test_production_refuses_the_development_signing_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="development signing key"):
        Settings(**PROD, jwks_url="https://idp/jwks", jwt_private_key_file=tmp_path / "k.pem")


def test_production_with_jwks_is_accepted() -> None:
    assert Settings(**PROD, jwks_url="https://idp/.well-known/jwks.json").env == "production"


def test_cors_origins_from_a_comma_separated_string() -> None:
    settings = Settings(cors_origins="https://a.example, https://b.example")  # type: ignore[arg-type]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]


def test_dev_key_round_trip_gives_the_principal(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tenant, client = uuid.uuid4(), uuid.uuid4()
    token = issue_token(settings, tenant_id=tenant, role=Role.CLIENT_VIEWER, client_id=client)
    principal = TokenVerifier(settings).verify(token)
    assert (principal.tenant_id, principal.role, principal.client_id) == (
        tenant,
        Role.CLIENT_VIEWER,
        client,
    )
    assert principal.scopes == frozenset({Scope.CLIENT_READ})


def test_hs256_only_when_configured_and_then_only_hs256(tmp_path: Path) -> None:
    secret = "s" * 40
    hs = Settings(data_dir=tmp_path, jwt_hs256_secret=secret)
    rs = Settings(data_dir=tmp_path)
    tenant = uuid.uuid4()
    hs_token = issue_token(hs, tenant_id=tenant, role=Role.ANALYST)
    rs_token = issue_token(rs, tenant_id=tenant, role=Role.ANALYST)
    assert TokenVerifier(hs).verify(hs_token).role is Role.ANALYST
    with pytest.raises(AuthenticationFailed):
        TokenVerifier(hs).verify(rs_token)
    with pytest.raises(AuthenticationFailed):
        TokenVerifier(rs).verify(hs_token)
