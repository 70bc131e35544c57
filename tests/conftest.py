"""Shared fixtures: real PostgreSQL and Redis (the configured servers, or the embedded default).

With DATABASE_URL set, a fresh database is created on that server for this test session and
dropped afterwards; without it, an embedded PostgreSQL starts in a temporary directory. Redis
likewise: REDIS_URL, or an embedded redis-server (app.embedded). Every test builds its own
tenants, so tests never share rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.citus import drop_database as drop_citus_database
from app.db.citus import prepare_database, workers_from_env
from app.db.sessions import TenantSessions, create_engine
from app.embedded import start_embedded
from app.main import create_app
from app.migrate import upgrade
from app.services.tenancy.tenants import create_tenant
from app.settings import Settings
from tests.scratch_databases import create_database, drop_database


@dataclass
class Servers:
    database_url: str
    redis_url: str


@pytest.fixture(scope="session")
async def servers() -> AsyncIterator[Servers]:
    embedded = None
    admin_url = os.environ.get("DATABASE_URL")
    redis_url = os.environ.get("REDIS_URL")
    if not admin_url or not redis_url:
        # Not under pytest's basetemp: pytest prunes old basetemps, and a concurrent test
        # session must not delete the data directory of a running server.
        embedded_dir = Path(tempfile.mkdtemp(prefix="ledger-test-"))
        embedded = start_embedded(embedded_dir, database="postgres")
        admin_url = admin_url or embedded.database_url
        redis_url = redis_url or embedded.redis_url
    name = f"ledger_test_{uuid.uuid4().hex[:10]}"
    url = await create_database(admin_url, name)
    citus_workers = workers_from_env()  # a Citus coordinator: the database on every node too
    if citus_workers:
        await prepare_database(admin_url, name, citus_workers)
    try:
        yield Servers(database_url=url, redis_url=redis_url)
    finally:
        await drop_database(admin_url, name)
        if citus_workers:
            await drop_citus_database(admin_url, name, citus_workers)
        if embedded is not None:
            embedded.stop()
            shutil.rmtree(embedded_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(servers: Servers) -> Iterator[Settings]:
    # The data directory holds the development signing key: removed with the session.
    data_dir = Path(tempfile.mkdtemp(prefix="ledger-test-data-"))
    yield Settings(
        env="test",
        database_url=servers.database_url,
        redis_url=servers.redis_url,
        data_dir=data_dir,
        jwt_private_key_file=data_dir / "jwt.pem",
        max_batch_records=1000,
    )
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    upgrade(settings)
    return settings


@pytest.fixture(scope="session")
async def app(migrated: Settings) -> AsyncIterator[Any]:
    application = create_app(migrated)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
        yield client


@pytest.fixture(scope="session")
def sessions(app: Any) -> TenantSessions:
    return app.state.sessions  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
async def owner_engine(migrated: Settings) -> AsyncIterator[Any]:
    """An engine on the owner role, for tests that must look past RLS (catalog checks)."""
    from app.db.urls import owner_url

    engine = create_engine(migrated, url=owner_url(migrated), pool_size=2)
    yield engine
    await engine.dispose()


@dataclass
class TenantHandle:
    """A fresh tenant, with helpers to mint tokens and call GraphQL as one of its principals."""

    tenant_id: uuid.UUID
    settings: Settings
    http: httpx.AsyncClient

    def token(self, role: Role = Role.OWNER, client_id: uuid.UUID | None = None, **kw: Any) -> str:
        return issue_token(
            self.settings, tenant_id=self.tenant_id, role=role, client_id=client_id, **kw
        )

    async def gql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        role: Role = Role.OWNER,
        client_id: uuid.UUID | None = None,
    ) -> dict[str, Any]:
        """POST a query; returns the JSON body (asserting a 200)."""
        bearer = token or self.token(role, client_id)
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
        """POST a query that must succeed (no `errors`); returns its `data`."""
        body = await self.gql(query, variables, **kw)
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture
def make_tenant(migrated: Settings, http: httpx.AsyncClient, sessions: TenantSessions) -> Any:
    async def _make(name: str | None = None) -> TenantHandle:
        tenant_id = await create_tenant(
            sessions=sessions, name=name or f"Agency {uuid.uuid4().hex[:6]}"
        )
        return TenantHandle(tenant_id, migrated, http)

    return _make


@pytest.fixture(scope="module")
def property_state() -> dict[str, Any]:
    """State a module's hypothesis property keeps across its examples (the tenant its first
    example sets up), since function-scoped fixtures are not reset between examples."""
    return {}


@pytest.fixture
def cli_env(migrated: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI reads its settings from the environment: point it at the test servers."""
    from app.settings import get_settings

    assert migrated.database_url and migrated.redis_url and migrated.jwt_private_key_file
    monkeypatch.setenv("DATABASE_URL", migrated.database_url)
    monkeypatch.setenv("REDIS_URL", migrated.redis_url)
    monkeypatch.setenv("LEDGER_DATA_DIR", str(migrated.data_dir))
    monkeypatch.setenv("LEDGER_JWT_PRIVATE_KEY_FILE", str(migrated.jwt_private_key_file))
    monkeypatch.setenv("LEDGER_ENV", "test")
    monkeypatch.delenv("LEDGER_TENANT", raising=False)
    get_settings.cache_clear()
    yield migrated
    get_settings.cache_clear()


@pytest.fixture
def shared_contract() -> Iterator[Path | None]:
    path = Path(__file__).resolve().parents[2] / "shared" / "contract.graphql"
    yield path if path.exists() else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The browser tests run last: sync Playwright holds an event loop on the main thread while
    a browser is open, which the async tests must not meet."""
    items.sort(key=lambda item: "tests/browser/" in item.nodeid.replace("\\", "/"))
