"""`viewer` through HTTP with real tokens, and authentication failures as 401."""

from __future__ import annotations

import uuid

import httpx

from app.auth.principal import Role

VIEWER = "{ viewer { tenantId role clientId } }"


async def test_owner_sees_its_tenant_and_role(make_tenant) -> None:
    tenant = await make_tenant()
    body = await tenant.gql(VIEWER)
    assert body["data"]["viewer"] == {
        "tenantId": str(tenant.tenant_id),
        "role": "OWNER",
        "clientId": None,
    }


async def test_client_viewer_sees_its_client(make_tenant) -> None:
    tenant = await make_tenant()
    client_id = uuid.uuid4()
    body = await tenant.gql(VIEWER, role=Role.CLIENT_VIEWER, client_id=client_id)
    assert body["data"]["viewer"]["clientId"] == str(client_id)


async def test_missing_token_is_401_unauthenticated(http) -> None:
    response = await http.post("/graphql", json={"query": VIEWER})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_garbage_token_is_401_unauthenticated(http) -> None:
    response = await http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": "Bearer not.a.jwt"}
    )
    assert response.status_code == 401
    assert "data" not in response.json()


async def test_validation_error_carries_the_apollo_code(make_tenant) -> None:
    tenant = await make_tenant()
    body = await tenant.gql("{ viewer { noSuchField } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_health_and_readiness(http) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["database"] == "ok" and ready.json()["redis"] == "ok"


async def test_graphiql_only_when_enabled(http, migrated) -> None:
    """GET /graphql serves GraphiQL when enabled and nothing otherwise; it never runs queries."""
    from app.main import create_app

    assert (await http.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
    with_ide = create_app(migrated.model_copy(update={"graphiql": True}))
    async with with_ide.router.lifespan_context(with_ide):
        transport = httpx.ASGITransport(app=with_ide)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/graphql", headers={"Accept": "text/html"})
            assert page.status_code == 200 and "graphiql" in page.text.lower()
            query = await client.get("/graphql", params={"query": VIEWER})
            assert "tenantId" not in query.text
