"""Settings from the environment, validated once.

Outside development the settings refuse placeholder secrets and a missing verification key, so a
production process cannot start with the development signing key or an empty configuration.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "dev", "test"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore", populate_by_name=True)

    env: Literal["development", "test", "production"] = "development"

    # Servers. Unset means "start the embedded PostgreSQL/Redis" (demo and tests).
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, validation_alias="REDIS_URL")
    # The application connects as a non-owner role so row-level security applies. When unset it is
    # DATABASE_URL with the user replaced by `app_role` (fine for trust/peer auth; set it in
    # production).
    app_database_url: str | None = None
    app_role: str = "ledger_app"
    data_dir: Path = Path(".ledger")

    # Tokens.
    jwt_issuer: str = "outcome-ledger"
    jwt_audience: str = "outcome-ledger-api"
    jwks_url: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_private_key_file: Path | None = None  # development signing key for `ledger token create`
    jwt_hs256_secret: str | None = None  # only when explicitly configured
    jwt_leeway_seconds: int = 30

    # GraphQL and HTTP limits.
    graphiql: bool = False
    # LEDGER_FAST_EXECUTOR=0: graphql-core's own executor instead of the leaf shortcut
    # (graphql_schema/executor.py); the responses are the same, only the CPU per field differs.
    fast_executor: bool = True
    max_query_depth: int = 10
    max_aliases: int = 30
    max_query_tokens: int = 2000
    max_page_size: int = 500
    max_batch_records: int = 10_000
    max_body_bytes: int = 16 * 1024 * 1024
    # Estimated cost of a query: list fields weigh their `first` argument (or
    # default_list_cost), multiplied down the nesting; see graphql_schema/limits.py.
    max_query_cost: int = 50_000
    default_list_cost: int = 50
    # Per-tenant ingest token bucket in Redis (app/ingest/rate_limit.py): records per second
    # and the most records one burst may take; 0 disables the limit.
    ingest_rate_per_second: int = 50_000
    ingest_rate_burst: int = 100_000
    # Browser origins allowed to call the API: `http://a,http://b` or a JSON list.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Automatic persisted queries (graphql_schema/persisted.py): documents kept in Redis.
    apq_max_documents: int = 2000
    apq_max_document_bytes: int = 32 * 1024
    apq_ttl_seconds: int = 7 * 24 * 3600
    # Cache-Control max-age of a successful GET /graphql answer (private: per principal);
    # 0 means `private, no-cache` (a browser revalidates with the ETag: 304 when unchanged).
    graphql_get_max_age: int = 0
    # The portal's built web app (web/dist of the source tree unless set).
    portal_dir: Path = Path(__file__).resolve().parents[1] / "web" / "dist"
    # Where people reach the API: the base of the sign-in links `ledger portal link` prints.
    public_url: str = "http://127.0.0.1:8000"

    # Secrets at rest (identity providers' client secrets): see app/identity/secrets.py.
    secret_key: str | None = None
    secret_keys_previous: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # People's sign-in (app/identity): an OpenID Connect session re-checks the provider (and
    # the person's groups) this often; any portal session of a person ends after this much
    # idle time, and at the latest after its absolute lifetime.
    oidc_refresh_seconds: int = 900
    session_idle_seconds: int = 2 * 3600
    oidc_session_seconds: int = 12 * 3600
    invitation_ttl_hours: int = 7 * 24

    log_level: str = "INFO"

    @field_validator("cors_origins", "secret_keys_previous", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                try:
                    return json.loads(value)
                except ValueError as exc:
                    raise ValueError(
                        f"LEDGER_CORS_ORIGINS is not a JSON list ({exc}); "
                        "write http://a,http://b or a JSON list of origins"
                    ) from exc
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        if self.env != "production":
            return self
        problems: list[str] = []
        if self.jwt_hs256_secret is not None and (
            self.jwt_hs256_secret.lower() in PLACEHOLDER_SECRETS or len(self.jwt_hs256_secret) < 32
        ):
            problems.append(
                "LEDGER_JWT_HS256_SECRET is a placeholder or shorter than 32 characters"
            )
        if not (self.jwks_url or self.jwt_public_key_file or self.jwt_hs256_secret):
            problems.append(
                "set LEDGER_JWKS_URL or LEDGER_JWT_PUBLIC_KEY_FILE to verify tokens in production"
            )
        if self.jwt_private_key_file is not None:
            problems.append("LEDGER_JWT_PRIVATE_KEY_FILE is a development signing key; unset it")
        if not self.database_url:
            problems.append("DATABASE_URL is required in production")
        if not self.redis_url:
            problems.append("REDIS_URL is required in production")
        if self.secret_key is not None and (
            self.secret_key.lower() in PLACEHOLDER_SECRETS or len(self.secret_key) < 32
        ):
            problems.append("LEDGER_SECRET_KEY is a placeholder or shorter than 32 characters")
        if self.graphiql:
            problems.append("LEDGER_GRAPHIQL must be off in production")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def dev_private_key_path(self) -> Path:
        return self.jwt_private_key_file or self.data_dir / "dev-jwt-key.pem"


@lru_cache
def get_settings() -> Settings:
    return Settings()
