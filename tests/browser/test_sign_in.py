"""People's sign-in in a real browser: Chromium goes through the tenant's OpenID Connect
provider (a standards-following one on a local port) and comes back signed in; a client opens
an invitation; refusals are pages that say why. The API is a real uvicorn whose public URL is
its own address, so the provider redirects the browser back to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import tenant_sessions
from app.main import create_app
from app.services.tenancy.tenants import create_client, create_tenant
from app.settings import Settings
from tests.browser.conftest import _run
from tests.integration.oidc_provider import Provider, RunningProvider
from tests.live_server import free_port, serving_in_thread

SET_PROVIDER = """
mutation($input: IdentityProviderInput!) { setIdentityProvider(input: $input) { signInUrl } }"""
INVITE = """
mutation($client: ID!) {
  inviteClientViewer(input: {clientId: $client, email: "cfo@client.example"}) { link }
}"""


class Site:
    def __init__(self, base_url: str, settings: Settings, tenant_id: uuid.UUID, client: str):
        self.base_url, self.settings, self.tenant_id, self.client = (
            base_url,
            settings,
            tenant_id,
            client,
        )

    def api(self, query: str, variables: dict[str, Any]) -> Any:
        token = issue_token(self.settings, tenant_id=self.tenant_id, role=Role.OWNER)
        body = httpx.post(
            f"{self.base_url}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
            timeout=60,
        ).json()
        assert "errors" not in body, body
        return body["data"]


@pytest.fixture(scope="module")
def idp() -> Iterator[Provider]:
    running = RunningProvider()
    yield running.provider
    running.stop()


@pytest.fixture(scope="module")
def site(chromium_path: str, migrated: Settings, sessions: Any, idp: Provider) -> Iterator[Site]:
    async def prepare() -> tuple[uuid.UUID, str]:
        # On a loop of its own (sync Playwright holds this thread's): an engine of its own too,
        # since the session-wide pool's connections belong to pytest's loop.
        async with tenant_sessions(migrated, pool_size=1) as own:
            tenant_id = await create_tenant(sessions=own, name="Sign-in browser tests")
            async with own(tenant_id) as session:
                row = await create_client(session=session, tenant_id=tenant_id, name="Client Co")
        return tenant_id, str(row.client_id)

    tenant_id, client = _run(prepare())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = migrated.model_copy(update={"public_url": base})
    with serving_in_thread(create_app(settings), port):
        site = Site(base, settings, tenant_id, client)
        secret = idp.register("browser-ledger", f"{base}/auth/callback")
        site.api(
            SET_PROVIDER,
            {
                "input": {
                    "issuer": idp.url,
                    "clientId": "browser-ledger",
                    "clientSecret": secret,
                    "allowedDomains": ["agency.example"],
                    "roleMap": [{"value": "ledger-engineers", "role": "ENGINEER"}],
                }
            },
        )
        yield site


def session_of(page: Any) -> Any:
    return page.evaluate("fetch('/portal/session').then(r => r.json())")


def test_staff_sign_in_through_the_provider_lands_in_the_portal(site, idp, context) -> None:
    idp.person("ada@agency.example", ["ledger-engineers"])
    idp.login_as = "ada@agency.example"
    page = context.new_page()

    page.goto(f"{site.base_url}/auth/{site.tenant_id}/sign-in")
    page.wait_for_url("**/portal/#/**")

    session = session_of(page)
    assert session["role"] == "ENGINEER" and session["tenantId"] == str(site.tenant_id)
    [cookie] = [c for c in context.cookies() if c["name"] == "ledger_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("Object.keys(localStorage).length") == 0  # no token in storage


def test_a_person_the_agency_does_not_allow_reads_why(site, idp, context) -> None:
    idp.person("mallory@elsewhere.example", ["ledger-engineers"])
    idp.login_as = "mallory@elsewhere.example"
    page = context.new_page()

    page.goto(f"{site.base_url}/auth/{site.tenant_id}/sign-in")

    page.get_by_text("not in a domain this agency allows").wait_for()
    assert not [c for c in context.cookies() if c["name"] == "ledger_session"]


def test_a_client_opens_its_invitation_once(site, context, browser) -> None:
    link = site.api(INVITE, {"client": site.client})["inviteClientViewer"]["link"]
    page = context.new_page()

    page.goto(link)
    page.get_by_role("button", name="Accept and sign in").click()
    page.wait_for_url("**/portal/#/client**")

    session = session_of(page)
    assert session["role"] == "CLIENT_VIEWER" and session["clientId"] == site.client
    other = browser.new_context()
    try:
        again = other.new_page()
        again.goto(link)
        again.get_by_role("button", name="Accept and sign in").click()
        again.get_by_text("cannot sign you in").wait_for()
    finally:
        other.close()
