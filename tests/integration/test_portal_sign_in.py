"""Portal sign-in: one-time links, cookie sessions in Redis, CSRF on the GraphQL endpoint,
sign-out and revocation (through the real HTTP surface, against the real Redis)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.auth.principal import Role
from app.portal.links import LinkGrant, create_link, link_url
from app.portal.sessions import CSRF_HEADER, SESSION_COOKIE, SessionStore, digest
from app.settings import Settings
from tests.integration.cli_support import ledger

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

VIEWER = "{ viewer { tenantId role clientId } }"
CLIENT_QUERY = "query($id: ID!) { client(id: $id) { id name } }"
CREATE_CLIENT = "mutation($n: String!) { createClient(input: {name: $n}) { clientId } }"


@pytest.fixture
async def redis(app: Any) -> AsyncIterator[Redis]:
    yield app.state.arq


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar, like one browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
        yield client


async def sign_in(browser: httpx.AsyncClient, redis: Redis, grant: LinkGrant) -> dict[str, Any]:
    token = await create_link(redis, grant)
    path = httpx.URL(link_url("http://ledger.test", token)).path
    before = browser.cookies.get(SESSION_COOKIE)
    page = await browser.get(path)
    assert page.status_code == 200 and "<form method=post>" in page.text
    assert browser.cookies.get(SESSION_COOKIE) == before, "opening (GET) must not use the link"
    redeemed = await browser.post(path)
    assert redeemed.status_code == 303, redeemed.text
    info = await browser.get("/portal/session")
    assert info.status_code == 200
    return {"path": path, "response": redeemed, **info.json()}


async def gql(
    browser: httpx.AsyncClient, query: str, csrf: str | None, **variables: Any
) -> httpx.Response:
    headers = {CSRF_HEADER: csrf} if csrf is not None else {}
    return await browser.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def test_a_link_signs_in_once_with_a_strict_http_only_cookie(
    make_tenant, browser, redis
) -> None:
    tenant = await make_tenant()
    session = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.ANALYST, None))

    cookie = session["response"].headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http here; https requests get Secure
    assert session["response"].headers["location"] == "/portal/#/"
    assert session["role"] == "ANALYST" and session["tenantId"] == str(tenant.tenant_id)

    again = await browser.post(session["path"])
    assert again.status_code == 410 and "already used or it has expired" in again.text


async def test_https_requests_get_a_secure_cookie(make_tenant, app, redis) -> None:
    tenant = await make_tenant()
    token = await create_link(redis, LinkGrant(tenant.tenant_id, Role.OWNER, None))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://ledger.test") as client:
        response = await client.post(f"/portal/sign-in/{token}")
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


async def test_links_and_sessions_expire_in_redis(make_tenant, redis) -> None:
    tenant = await make_tenant()
    grant = LinkGrant(tenant.tenant_id, Role.OWNER, None, session_ttl=timedelta(hours=2))
    token = await create_link(redis, grant, ttl=timedelta(minutes=10))
    assert 0 < await redis.ttl(f"portal:link:{digest(token)}") <= 600
    store = SessionStore(redis)
    from app.portal.sessions import utc_now

    secret, _ = await store.create(
        tenant_id=tenant.tenant_id,
        role=Role.OWNER,
        client_id=None,
        ttl=grant.session_ttl,
        now=utc_now(),
    )
    assert 0 < await redis.ttl(f"portal:session:{digest(secret)}") <= 7200
    # An expired link is a missing key: it signs nobody in.
    await redis.delete(f"portal:link:{digest(token)}")
    transport_page = await store.get("not-a-session")
    assert transport_page is None


async def test_graphql_takes_the_cookie_only_with_the_csrf_token(
    make_tenant, browser, redis
) -> None:
    tenant = await make_tenant()
    session = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.OWNER, None))

    for csrf in (None, "", "wrong-token"):
        refused = await gql(browser, VIEWER, csrf)
        assert refused.status_code == 403, csrf
        error = refused.json()["errors"][0]
        assert error["extensions"]["code"] == "FORBIDDEN" and CSRF_HEADER in error["message"]
    refused_mutation = await gql(browser, CREATE_CLIENT, None, n="Sneaky")
    assert refused_mutation.status_code == 403

    answered = await gql(browser, VIEWER, session["csrfToken"])
    assert answered.status_code == 200
    assert answered.json()["data"]["viewer"] == {
        "tenantId": str(tenant.tenant_id),
        "role": "OWNER",
        "clientId": None,
    }


async def test_a_bearer_token_wins_over_a_cookie(make_tenant, browser, redis) -> None:
    tenant = await make_tenant()
    await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.OWNER, None))
    other = await make_tenant()
    response = await browser.post(
        "/graphql",
        json={"query": VIEWER},
        headers={"authorization": f"Bearer {other.token(Role.ANALYST)}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["tenantId"] == str(other.tenant_id)


async def test_a_client_viewer_session_sees_only_its_client(make_tenant, browser, redis) -> None:
    tenant = await make_tenant()
    mine = (await tenant.gql(CREATE_CLIENT, {"n": "Mine"}))["data"]["createClient"]["clientId"]
    theirs = (await tenant.gql(CREATE_CLIENT, {"n": "Theirs"}))["data"]["createClient"]["clientId"]
    session = await sign_in(
        browser, redis, LinkGrant(tenant.tenant_id, Role.CLIENT_VIEWER, uuid.UUID(mine))
    )
    assert session["clientId"] == mine
    assert session["response"].headers["location"] == "/portal/#/client"

    own = await gql(browser, CLIENT_QUERY, session["csrfToken"], id=mine)
    assert own.json()["data"]["client"]["name"] == "Mine"
    other = await gql(browser, CLIENT_QUERY, session["csrfToken"], id=theirs)
    assert other.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    wide = await gql(browser, "{ workflows { key } clients { id } }", session["csrfToken"])
    assert wide.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_sign_out_ends_the_session(make_tenant, browser, redis) -> None:
    tenant = await make_tenant()
    session = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.ANALYST, None))
    cookie = browser.cookies[SESSION_COOKIE]

    without_token = await browser.post("/portal/sign-out")
    assert without_token.status_code == 403  # sign-out is CSRF-protected too
    out = await browser.post("/portal/sign-out", headers={CSRF_HEADER: session["csrfToken"]})
    assert out.status_code == 200
    assert (await browser.get("/portal/session")).status_code == 401

    # Replaying the old cookie after sign-out is refused.
    browser.cookies.set(SESSION_COOKIE, cookie, domain="ledger.test")
    replay = await gql(browser, VIEWER, session["csrfToken"])
    assert replay.status_code == 401
    assert replay.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_revoked_session_is_refused(make_tenant, browser, redis) -> None:
    tenant = await make_tenant()
    session = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.OWNER, None))
    store = SessionStore(redis)
    assert [s.session_id for s in await store.list(tenant.tenant_id)] == [session["sessionId"]]
    other_tenant = await make_tenant()
    assert not await store.revoke(other_tenant.tenant_id, session["sessionId"])
    assert (await gql(browser, VIEWER, session["csrfToken"])).status_code == 200

    assert await store.revoke(tenant.tenant_id, session["sessionId"])
    assert (await gql(browser, VIEWER, session["csrfToken"])).status_code == 401
    assert await store.list(tenant.tenant_id) == []


async def test_graphiql_page_needs_a_session(make_tenant, browser, redis) -> None:
    response = await browser.get("/portal/graphiql")
    assert response.status_code == 303 and response.headers["location"] == "/portal/"
    tenant = await make_tenant()
    await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.ENGINEER, None))
    response = await browser.get("/portal/graphiql")
    assert response.status_code in (200, 503)  # 503 names the build step when web/ is unbuilt


# --- the CLI --------------------------------------------------------------------------------


async def test_cli_link_sessions_and_revoke(cli_env, make_tenant, browser, capsys) -> None:
    tenant = await make_tenant()
    client = (await tenant.gql(CREATE_CLIENT, {"n": "Linked"}))["data"]["createClient"]["clientId"]
    command = f"portal link --tenant {tenant.tenant_id} --role client_viewer --client {client}"
    assert await ledger(command + " --base-url http://ledger.test") == 0
    url = capsys.readouterr().out.split()[-1]
    assert url.startswith("http://ledger.test/portal/sign-in/")

    assert (await browser.post(httpx.URL(url).path)).status_code == 303
    info = (await browser.get("/portal/session")).json()
    assert info["role"] == "CLIENT_VIEWER" and info["clientId"] == client

    assert await ledger(f"portal sessions --tenant {tenant.tenant_id}") == 0
    assert info["sessionId"] in capsys.readouterr().out
    assert (
        await ledger(f"portal revoke --tenant {tenant.tenant_id} --session {info['sessionId']}")
        == 0
    )
    assert "revoked 1 portal session" in capsys.readouterr().out
    assert (await browser.get("/portal/session")).status_code == 401


async def test_cli_link_refuses_a_bad_grant(cli_env, make_tenant, capsys) -> None:
    tenant = await make_tenant()
    assert await ledger(f"portal link --tenant {tenant.tenant_id} --role client_viewer") == 2
    assert "--client" in capsys.readouterr().err
    missing = uuid.uuid4()
    code = await ledger(
        f"portal link --tenant {tenant.tenant_id} --role client_viewer --client {missing}"
    )
    assert code == 1
    assert f"no client {missing}" in capsys.readouterr().err
    assert (
        await ledger(f"portal link --tenant {tenant.tenant_id} --role owner --client {missing}")
        == 2
    )


async def test_a_second_link_in_the_same_browser_replaces_the_session(
    make_tenant, browser, redis
) -> None:
    tenant = await make_tenant()
    first = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.ANALYST, None))
    second = await sign_in(browser, redis, LinkGrant(tenant.tenant_id, Role.OWNER, None))
    live = await SessionStore(redis).list(tenant.tenant_id)
    assert [s.session_id for s in live] == [second["sessionId"]] != [first["sessionId"]]
    assert second["role"] == "OWNER"


async def test_assets_are_served_and_paths_stay_inside_the_build(browser) -> None:

    dist = Settings().portal_dir
    built = sorted((dist / "assets").glob("portal-*.js")) if (dist / "assets").is_dir() else []
    if built:
        ok = await browser.get(f"/portal/assets/{built[0].name}")
        assert ok.status_code == 200 and "immutable" in ok.headers["cache-control"]
    for escape in ("../index.html", "..%2Findex.html", "%2e%2e/%2e%2e/pyproject.toml"):
        assert (await browser.get(f"/portal/assets/{escape}")).status_code == 404, escape
