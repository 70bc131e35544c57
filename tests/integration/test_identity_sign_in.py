"""People's sign-in end to end over HTTP: OpenID Connect against a real provider started on this
machine (discovery, code flow with PKCE, ID tokens signed and published as JWKS), invitations,
sessions that end, and the audit log. Each test is one browser (its own cookie jar)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from app.portal.sessions import CSRF_HEADER, SESSION_COOKIE
from app.services.identity.invitations import create_invitation
from tests.integration.cli_support import ledger
from tests.integration.oidc_provider import Provider, RunningProvider

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

CALLBACK = "http://127.0.0.1:8000/auth/callback"  # the settings' public_url + /auth/callback
VIEWER = "{ viewer { tenantId role clientId } }"
SET_PROVIDER = """
mutation($input: IdentityProviderInput!) {
  setIdentityProvider(input: $input) {
    issuer clientId allowedDomains signInUrl roleMap { value role }
  }
}"""
INVITE = """
mutation($client: ID!, $email: String!) {
  inviteClientViewer(input: {clientId: $client, email: $email}) {
    link invitation { id status email }
  }
}"""
AUDIT = "{ auditLog(first: 50) { action actor detail } }"


@pytest.fixture(scope="module")
def idp() -> Iterator[Provider]:
    running = RunningProvider()
    yield running.provider
    running.stop()


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ledger.test") as client:
        yield client


async def configure(tenant: Any, idp: Provider, **overrides: Any) -> str:
    """Registers the tenant as a client of the provider and sets it up; returns the client id."""
    client_id = f"ledger-{uuid.uuid4().hex[:8]}"
    secret = idp.register(client_id, CALLBACK)
    settings: dict[str, Any] = {
        "issuer": idp.url,
        "clientId": client_id,
        "clientSecret": secret,
        "allowedDomains": ["agency.example"],
        "roleClaim": "groups",
        "roleMap": [
            {"value": "ledger-owners", "role": "OWNER"},
            {"value": "ledger-engineers", "role": "ENGINEER"},
            {"value": "ledger-analysts", "role": "ANALYST"},
        ],
    }
    settings.update(overrides)
    await tenant.data(SET_PROVIDER, {"input": settings})
    return client_id


@pytest.fixture
async def tenant(make_tenant: Any, idp: Provider) -> Any:
    """A fresh tenant whose staff sign in with the provider (`configure`d with its defaults)."""
    tenant = await make_tenant()
    await configure(tenant, idp)
    return tenant


async def provider_round_trip(
    browser: httpx.AsyncClient, idp: Provider, tenant_id: uuid.UUID, email: str
) -> httpx.URL:
    """Opens the sign-in address and lets the provider answer; returns the callback URL."""
    idp.login_as = email
    start = await browser.get(f"/auth/{tenant_id}/sign-in")
    assert start.status_code == 303, start.text
    authorize = httpx.URL(start.headers["location"])
    assert authorize.params["code_challenge_method"] == "S256" and authorize.params["nonce"]
    async with httpx.AsyncClient() as outside:
        answer = await outside.get(authorize)
    assert answer.status_code == 302, answer.text
    return httpx.URL(answer.headers["location"])


async def come_back(browser: httpx.AsyncClient, callback: httpx.URL) -> httpx.Response:
    return await browser.get(callback.raw_path.decode())


async def sign_in(
    browser: httpx.AsyncClient, idp: Provider, tenant_id: uuid.UUID, email: str
) -> httpx.Response:
    """Signs `email` in to the tenant through the provider; returns the callback's answer."""
    return await come_back(browser, await provider_round_trip(browser, idp, tenant_id, email))


def second_browser(browser: httpx.AsyncClient) -> httpx.AsyncClient:
    """Another browser on the same app, with a cookie jar of its own."""
    return httpx.AsyncClient(transport=browser._transport, base_url=browser.base_url)


async def signed_in(browser: httpx.AsyncClient) -> dict[str, Any]:
    info = await browser.get("/portal/session")
    assert info.status_code == 200, info.text
    body: dict[str, Any] = info.json()
    return body


async def as_session(browser: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    csrf = (await browser.get("/portal/session")).json().get("csrfToken", "none")
    return await browser.post(
        "/graphql", json={"query": query, "variables": variables}, headers={CSRF_HEADER: csrf}
    )


async def audit_actions(tenant: Any) -> list[str]:
    body = await tenant.gql(AUDIT)
    return [event["action"] for event in body["data"]["auditLog"]]


async def test_staff_sign_in_with_the_provider_gets_the_mapped_role(tenant, idp, browser) -> None:
    idp.person("ada@agency.example", ["ledger-engineers", "everyone"])

    done = await sign_in(browser, idp, tenant.tenant_id, "ada@agency.example")

    assert done.status_code == 303 and done.headers["location"] == "/portal/#/"
    cookie = done.headers["set-cookie"]
    assert f"{SESSION_COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    session = await signed_in(browser)
    assert session["role"] == "ENGINEER" and session["tenantId"] == str(tenant.tenant_id)
    viewer = (await as_session(browser, VIEWER)).json()
    assert viewer["data"]["viewer"] == {
        "tenantId": str(tenant.tenant_id),
        "role": "ENGINEER",
        "clientId": None,
    }
    people = (await tenant.gql("{ people { email role signsInWith } }"))["data"]["people"]
    assert people == [
        {"email": "ada@agency.example", "role": "ENGINEER", "signsInWith": "PROVIDER"}
    ]
    assert "sign_in" in await audit_actions(tenant)


async def test_the_most_capable_mapped_group_wins_and_unmapped_people_have_no_access(
    tenant, idp, browser
) -> None:
    idp.person("both@agency.example", ["ledger-analysts", "ledger-owners"])
    idp.person("nobody@agency.example", ["marketing"])

    done = await sign_in(browser, idp, tenant.tenant_id, "both@agency.example")
    assert done.status_code == 303
    assert (await signed_in(browser))["role"] == "OWNER"

    async with second_browser(browser) as other:
        refused = await sign_in(other, idp, tenant.tenant_id, "nobody@agency.example")
        assert refused.status_code == 403 and "no role in this agency" in refused.text
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    events = (await tenant.gql(AUDIT))["data"]["auditLog"]
    assert any(e["action"] == "sign_in_refused" and '"no_role"' in e["detail"] for e in events)


async def test_an_analyst_from_the_provider_cannot_configure(tenant, idp, browser) -> None:
    idp.person("ana@agency.example", ["ledger-analysts"])
    await sign_in(browser, idp, tenant.tenant_id, "ana@agency.example")

    body = (
        await as_session(browser, 'mutation { createClient(input: {name: "X"}) { clientId } }')
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_wrong_or_used_state_and_a_replayed_code_sign_nobody_in(
    tenant, idp, browser
) -> None:
    idp.person("eve@agency.example", ["ledger-owners"])

    bogus = await browser.get("/auth/callback?state=made-up&code=whatever")
    assert bogus.status_code == 400 and "was not started here" in bogus.text

    callback = await provider_round_trip(browser, idp, tenant.tenant_id, "eve@agency.example")
    assert (await come_back(browser, callback)).status_code == 303
    browser.cookies.clear()
    replay = await come_back(browser, callback)  # the same state and code again
    assert replay.status_code == 400 and SESSION_COOKIE not in replay.headers.get("set-cookie", "")

    # A fresh sign-in whose state is genuine, but carrying the code already used: the provider
    # refuses the code, so nobody is signed in.
    fresh = await provider_round_trip(browser, idp, tenant.tenant_id, "eve@agency.example")
    swapped = fresh.copy_set_param("code", callback.params["code"])
    refused = await come_back(browser, swapped)
    assert refused.status_code == 403 and "refused the token request" in refused.text


async def test_people_outside_the_allowed_domains_or_unverified_are_refused(
    tenant, idp, browser
) -> None:
    idp.person("mallory@elsewhere.example", ["ledger-owners"])
    idp.person("unverified@agency.example", ["ledger-owners"], verified=False)

    for email in ("mallory@elsewhere.example", "unverified@agency.example"):
        refused = await sign_in(browser, idp, tenant.tenant_id, email)
        assert refused.status_code == 403 and "not in a domain this agency allows" in refused.text
    assert (await browser.get("/portal/session")).status_code == 401


async def test_losing_the_group_ends_the_session_at_the_next_refresh(
    app, tenant, idp, browser
) -> None:
    person = idp.person("kim@agency.example", ["ledger-engineers"])
    await sign_in(browser, idp, tenant.tenant_id, "kim@agency.example")
    session_id = (await signed_in(browser))["sessionId"]
    people = app.state.identity.people

    async def refresh_due() -> None:
        record = await people.get(session_id)
        await people.save(replace(record, refresh_at=datetime.now(UTC) - timedelta(seconds=1)))

    await refresh_due()  # still in the group: the refresh keeps the session
    assert (await as_session(browser, VIEWER)).status_code == 200
    assert (await people.get(session_id)).refresh_at > datetime.now(UTC)

    person.groups = ["marketing"]
    await refresh_due()
    csrf = (await signed_in(browser))["csrfToken"]
    gone = await browser.post("/graphql", json={"query": VIEWER}, headers={CSRF_HEADER: csrf})
    assert gone.status_code == 401
    assert (await browser.get("/portal/session")).status_code == 401
    assert "session_revoked" in await audit_actions(tenant)


async def test_an_idle_session_ends(app, tenant, idp, browser) -> None:
    idp.person("idle@agency.example", ["ledger-analysts"])
    await sign_in(browser, idp, tenant.tenant_id, "idle@agency.example")
    session = await signed_in(browser)
    people = app.state.identity.people
    record = await people.get(session["sessionId"])
    idle = timedelta(seconds=app.state.settings.session_idle_seconds + 1)
    await people.save(replace(record, last_seen=datetime.now(UTC) - idle))

    answer = await browser.post(
        "/graphql", json={"query": VIEWER}, headers={CSRF_HEADER: session["csrfToken"]}
    )
    assert answer.status_code == 401


async def test_removing_a_person_or_the_provider_revokes_their_sessions(
    tenant, idp, browser, app
) -> None:
    idp.person("lee@agency.example", ["ledger-analysts"])
    await sign_in(browser, idp, tenant.tenant_id, "lee@agency.example")
    assert (await as_session(browser, VIEWER)).status_code == 200
    person_id = (await tenant.gql("{ people { id } }"))["data"]["people"][0]["id"]

    removed = await tenant.gql(
        "mutation($id: ID!) { removePerson(id: $id) { removedAt } }", {"id": person_id}
    )
    assert removed["data"]["removePerson"]["removedAt"] is not None
    assert (await browser.get("/portal/session")).status_code == 401
    again = await sign_in(browser, idp, tenant.tenant_id, "lee@agency.example")
    assert again.status_code == 403 and "removed" in again.text

    idp.person("sam@agency.example", ["ledger-analysts"])
    browser.cookies.clear()
    await sign_in(browser, idp, tenant.tenant_id, "sam@agency.example")
    assert (await as_session(browser, VIEWER)).status_code == 200
    assert (await tenant.gql("mutation { removeIdentityProvider }"))["data"][
        "removeIdentityProvider"
    ]
    assert (await browser.get("/portal/session")).status_code == 401
    actions = await audit_actions(tenant)
    assert {"user_removed", "provider_removed"} <= set(actions)


async def test_sign_out_everywhere_ends_every_browser_of_the_person(tenant, idp, browser) -> None:
    idp.person("two@agency.example", ["ledger-analysts"])
    await sign_in(browser, idp, tenant.tenant_id, "two@agency.example")
    async with second_browser(browser) as laptop:
        await sign_in(laptop, idp, tenant.tenant_id, "two@agency.example")
        ended = (await as_session(browser, "mutation { signOutEverywhere }")).json()
        assert ended["data"]["signOutEverywhere"] == 2
        assert (await laptop.get("/portal/session")).status_code == 401
    assert (await browser.get("/portal/session")).status_code == 401
    bearer = await tenant.gql("mutation { signOutEverywhere }")
    assert bearer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_client_invitation_opens_that_clients_portal_once(make_tenant, browser) -> None:
    tenant = await make_tenant()
    mine = (await tenant.gql('mutation { createClient(input: {name: "Mine"}) { clientId } }'))[
        "data"
    ]["createClient"]["clientId"]
    theirs = (await tenant.gql('mutation { createClient(input: {name: "Theirs"}) { clientId } }'))[
        "data"
    ]["createClient"]["clientId"]
    engineer = tenant.token(Role.ENGINEER)
    invited = await tenant.gql(
        INVITE, {"client": mine, "email": "cfo@client.example"}, token=engineer
    )
    payload = invited["data"]["inviteClientViewer"]
    assert payload["invitation"]["status"] == "PENDING"
    path = httpx.URL(payload["link"]).path

    page = await browser.get(path)
    assert page.status_code == 200 and "<form method=post>" in page.text
    assert browser.cookies.get(SESSION_COOKIE) is None  # opening the link does not use it
    accepted = await browser.post(path)
    assert accepted.status_code == 303 and accepted.headers["location"] == "/portal/#/client"
    session = await signed_in(browser)
    assert session["role"] == "CLIENT_VIEWER" and session["clientId"] == mine

    own = (
        await as_session(browser, "query($id: ID!) { client(id: $id) { name } }", id=mine)
    ).json()
    assert own["data"]["client"]["name"] == "Mine"
    other = (
        await as_session(browser, "query($id: ID!) { client(id: $id) { name } }", id=theirs)
    ).json()
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await browser.post(path)).status_code == 410  # one use

    listed = (await tenant.gql("{ invitations { id status } }"))["data"]["invitations"]
    assert listed == [{"id": payload["invitation"]["id"], "status": "ACCEPTED"}]
    revoked = await tenant.gql(
        "mutation($id: ID!) { revokeInvitation(id: $id) { status } }",
        {"id": payload["invitation"]["id"]},
    )
    assert revoked["data"]["revokeInvitation"]["status"] == "REVOKED"
    assert (await browser.get("/portal/session")).status_code == 401  # the viewer is signed out
    assert {"invitation_created", "invitation_accepted", "invitation_revoked"} <= set(
        await audit_actions(tenant)
    )


async def test_an_expired_or_revoked_invitation_signs_nobody_in(
    make_tenant, sessions, browser
) -> None:
    tenant = await make_tenant()
    client = (await tenant.gql('mutation { createClient(input: {name: "C"}) { clientId } }'))[
        "data"
    ]["createClient"]["clientId"]
    long_ago = datetime.now(UTC) - timedelta(days=10)
    async with sessions(tenant.tenant_id) as session:
        expired = await create_invitation(
            session=session,
            tenant_id=tenant.tenant_id,
            client_id=uuid.UUID(client),
            email="late@client.example",
            created_by="test",
            ttl=timedelta(days=1),
            now=long_ago,
        )
    answer = await browser.post(f"/portal/invite/{tenant.tenant_id}/{expired.token}")
    assert answer.status_code == 410 and browser.cookies.get(SESSION_COOKIE) is None

    invited = (await tenant.gql(INVITE, {"client": client, "email": "x@client.example"}))["data"]
    await tenant.gql(
        "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
        {"id": invited["inviteClientViewer"]["invitation"]["id"]},
    )
    revoked_path = httpx.URL(invited["inviteClientViewer"]["link"]).path
    assert (await browser.post(revoked_path)).status_code == 410


async def test_invitations_and_the_audit_log_are_for_the_roles_allowed(make_tenant) -> None:
    tenant = await make_tenant()
    client = (await tenant.gql('mutation { createClient(input: {name: "C"}) { clientId } }'))[
        "data"
    ]["createClient"]["clientId"]
    analyst = await tenant.gql(
        INVITE, {"client": client, "email": "a@b.example"}, role=Role.ANALYST
    )
    assert analyst["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    engineer_audit = await tenant.gql(AUDIT, role=Role.ENGINEER)
    assert engineer_audit["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    viewer = await tenant.gql(
        "{ people { id } }", role=Role.CLIENT_VIEWER, client_id=uuid.UUID(client)
    )
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = await tenant.gql(INVITE, {"client": client, "email": "not-an-email"})
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "email"}


async def test_no_person_of_tenant_a_obtains_a_session_in_tenant_b(
    make_tenant, idp, browser
) -> None:
    a, b = await make_tenant(), await make_tenant()
    await configure(a, idp)
    # B uses the same provider with its own client and its own groups.
    await configure(b, idp, roleMap=[{"value": "b-staff", "role": "ANALYST"}])
    idp.person("alice@agency.example", ["ledger-owners"])

    # Alice (owner in A) opens B's sign-in: her groups grant nothing in B.
    refused = await sign_in(browser, idp, b.tenant_id, "alice@agency.example")
    assert refused.status_code == 403 and browser.cookies.get(SESSION_COOKIE) is None

    # A code issued to A's client, carried back with B's genuine state: B's client cannot
    # redeem it, so no session in B.
    code_for_a = (
        await provider_round_trip(browser, idp, a.tenant_id, "alice@agency.example")
    ).params["code"]
    b_state = await provider_round_trip(browser, idp, b.tenant_id, "alice@agency.example")
    swapped = await come_back(browser, b_state.copy_set_param("code", code_for_a))
    assert swapped.status_code == 403 and browser.cookies.get(SESSION_COOKIE) is None

    # Signed in to A, her session answers for A only; B's people, invitations and audit log
    # never show A's, and B's owner cannot revoke A's invitations.
    await sign_in(browser, idp, a.tenant_id, "alice@agency.example")
    viewer = (await as_session(browser, VIEWER)).json()["data"]["viewer"]
    assert viewer["tenantId"] == str(a.tenant_id)
    a_client = (await a.gql('mutation { createClient(input: {name: "A1"}) { clientId } }'))["data"][
        "createClient"
    ]["clientId"]
    a_invite = (await a.gql(INVITE, {"client": a_client, "email": "c@a.example"}))["data"]
    invitation_id = a_invite["inviteClientViewer"]["invitation"]["id"]
    assert (await b.gql("{ people { email } }"))["data"]["people"] == []
    assert (await b.gql("{ invitations { id } }"))["data"]["invitations"] == []
    cross = await b.gql(
        "mutation($id: ID!) { revokeInvitation(id: $id) { id } }", {"id": invitation_id}
    )
    assert cross["data"]["revokeInvitation"] is None
    b_invite_of_a_client = await b.gql(INVITE, {"client": a_client, "email": "x@a.example"})
    assert b_invite_of_a_client["errors"][0]["extensions"]["field"] == "clientId"
    b_audit = (await b.gql(AUDIT))["data"]["auditLog"]
    assert all("alice" not in e["actor"] for e in b_audit)
    # A's invitation link, opened against B's tenant in the address, is not valid there.
    token = httpx.URL(a_invite["inviteClientViewer"]["link"]).path.rsplit("/", 1)[1]
    browser.cookies.clear()
    assert (await browser.post(f"/portal/invite/{b.tenant_id}/{token}")).status_code == 410


async def test_the_provider_settings_are_checked_and_the_secret_never_returned(
    make_tenant, idp
) -> None:
    tenant = await make_tenant()
    base = {
        "issuer": idp.url,
        "clientId": "c",
        "clientSecret": "s",
        "allowedDomains": ["a.example"],
        "roleMap": [],
    }

    async def set_provider(role: Role = Role.OWNER, **changes: Any) -> dict[str, Any]:
        settings = {k: v for k, v in {**base, **changes}.items() if v is not None}
        body: dict[str, Any] = await tenant.gql(SET_PROVIDER, {"input": settings}, role=role)
        return body

    no_secret = await set_provider(clientSecret=None)
    assert no_secret["errors"][0]["extensions"]["field"] == "clientSecret"
    bad_domain = await set_provider(allowedDomains=["@x"])
    assert bad_domain["errors"][0]["extensions"]["field"] == "allowedDomains"
    client_role = await set_provider(roleMap=[{"value": "g", "role": "CLIENT_VIEWER"}])
    assert client_role["errors"][0]["extensions"]["field"] == "roleMap"
    engineer = await set_provider(role=Role.ENGINEER)
    assert engineer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await configure(tenant, idp)
    shown = (await tenant.gql("{ identityProvider { issuer signInUrl } }"))["data"][
        "identityProvider"
    ]
    assert shown["signInUrl"].endswith(f"/auth/{tenant.tenant_id}/sign-in")
    assert "clientSecret" not in str(await tenant.gql("{ identityProvider { clientId } }"))


async def test_the_cli_sets_the_provider_invites_and_reads_the_audit_log(
    cli_env, make_tenant, idp, browser, capsys, tmp_path
) -> None:
    tenant = await make_tenant()
    client = (await tenant.gql('mutation { createClient(input: {name: "CLI"}) { clientId } }'))[
        "data"
    ]["createClient"]["clientId"]
    secret_file = tmp_path / "secret"
    secret_file.write_text(idp.register("cli-client", CALLBACK) + "\n")
    command = (
        f"identity provider --tenant {tenant.tenant_id} --issuer {idp.url} --client-id cli-client "
        f"--client-secret-file {secret_file} --domains agency.example "
        "--role-map ledger-owners=owner,ledger-analysts=ANALYST"
    )
    assert await ledger(command) == 0
    assert capsys.readouterr().out.split()[-1].endswith(f"/auth/{tenant.tenant_id}/sign-in")
    idp.person("cli@agency.example", ["ledger-analysts"])
    signed = await sign_in(browser, idp, tenant.tenant_id, "cli@agency.example")
    assert signed.status_code == 303 and (await signed_in(browser))["role"] == "ANALYST"

    invite = (
        f"identity invite --tenant {tenant.tenant_id} --client {client} --email v@client.example"
    )
    assert await ledger(invite + " --base-url http://ledger.test") == 0
    link = capsys.readouterr().out.split()[-1]
    browser.cookies.clear()
    assert (await browser.post(httpx.URL(link).path)).status_code == 303
    assert (await signed_in(browser))["clientId"] == client

    assert await ledger(f"identity audit --tenant {tenant.tenant_id}") == 0
    out = capsys.readouterr().out
    assert "provider_set" in out and "invitation_created" in out and "sign_in" in out
    assert (
        await ledger(
            f"identity invite --tenant {tenant.tenant_id} --client {uuid.uuid4()} "
            "--email a@b.example"
        )
        == 1
    )
    assert "no client" in capsys.readouterr().err
    assert await ledger(f"identity reencrypt --tenant {tenant.tenant_id}") == 0
