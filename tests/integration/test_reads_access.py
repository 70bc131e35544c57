"""Who sees what: tenant isolation on every read, client viewers, and row-level security alone."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import text

from app.auth.principal import Role
from app.db.tables import TENANT_TABLES, RunLabel
from app.services.tenancy.tenants import create_api_key
from tests.integration.reads_factories import (
    MARCH,
    acme_and_globex,
    client,
    day,
    insert,
    model_price,
    run,
    rung,
    usage,
    workflow,
)

EVERYTHING = """
query($range: TimeRange!, $client: ID!) {
  workflows { key ladder { key } }
  workflow(key: "outreach") {
    costPerOutcome(range: $range) { attempts totalCost }
    failureCostShare(range: $range) { failedCost }
    runCostStats(range: $range) { runs max }
  }
  clients { clientId name }
  client(id: $client) { name costPerOutcome(workflowKey: "outreach", range: $range) { attempts } }
  runs { edges { node { correlationId cost usage { eventId } } } }
  run(correlationId: "shared-1") { cost usage { eventId cost } }
  costBreakdown(range: $range, groupBy: [CLIENT]) { key cost }
}
"""


async def tenant_with_data(make_tenant, sessions, *, cost: str, client_name: str):
    """A tenant whose workflow key and correlation ids are the same as every other's."""
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, acme = workflow(t, "outreach"), client(t, client_name)
    await insert(
        sessions,
        t,
        wf,
        acme,
        rung(t, wf, f"{client_name}-rung", 0),
        run(t, wf, "shared-1", started_at=day(1), status="REJECTED", client_id=acme.client_id),
        usage(
            t,
            wf,
            cost,
            correlation_id="shared-1",
            occurred_at=day(1),
            event_id=f"{client_name}-event",
        ),
    )
    return tenant, acme


async def test_two_tenants_with_identical_keys_see_only_their_own_data(make_tenant, sessions):
    a, a_client = await tenant_with_data(make_tenant, sessions, cost="3", client_name="A-corp")
    b, b_client = await tenant_with_data(make_tenant, sessions, cost="5", client_name="B-corp")

    body_a = await a.gql(EVERYTHING, {"range": MARCH, "client": str(a_client.client_id)})
    body_b = await b.gql(EVERYTHING, {"range": MARCH, "client": str(b_client.client_id)})
    # tenant B asking for tenant A's client id: unknown in B, so null
    cross = await b.gql(EVERYTHING, {"range": MARCH, "client": str(a_client.client_id)})

    for body, name, cost, client_id in (
        (body_a, "A-corp", Decimal(3), a_client.client_id),
        (body_b, "B-corp", Decimal(5), b_client.client_id),
    ):
        assert "errors" not in body, body
        data = body["data"]
        assert data["workflows"] == [{"key": "outreach", "ladder": [{"key": f"{name}-rung"}]}]
        assert Decimal(data["workflow"]["costPerOutcome"]["totalCost"]) == cost
        assert Decimal(data["workflow"]["failureCostShare"]["failedCost"]) == cost
        assert Decimal(data["workflow"]["runCostStats"]["max"]) == cost
        assert data["clients"] == [{"clientId": str(client_id), "name": name}]
        assert data["client"]["name"] == name
        assert data["client"]["costPerOutcome"]["attempts"] == 1
        [edge] = data["runs"]["edges"]
        assert Decimal(edge["node"]["cost"]) == cost
        assert edge["node"]["usage"] == [{"eventId": f"{name}-event"}]
        assert Decimal(data["run"]["cost"]) == cost
        assert data["run"]["usage"][0]["eventId"] == f"{name}-event"
        assert [(bucket["key"], Decimal(bucket["cost"])) for bucket in data["costBreakdown"]] == [
            ([str(client_id)], cost)
        ]
    assert cross["data"]["client"] is None


CLIENT_FIGURES = """
query($client: ID!, $key: String!) {
  client(id: $client) {
    name costPerOutcome(workflowKey: $key, range: {from: "2026-03-01T00:00:00Z",
                                                   to: "2026-04-01T00:00:00Z"}) {
      attempts acceptedOutcomes totalCost costPerOutcome
    }
  }
}
"""

TENANT_WIDE = {
    "workflows": "{ workflows { key } }",
    "workflow": '{ workflow(key: "outreach") { key } }',
    "clients": "{ clients { id } }",
    "runs": "{ runs { edges { cursor } } }",
    "run": '{ run(correlationId: "acme-1") { cost } }',
    "costBreakdown": '{ costBreakdown(range: {from: "2026-03-01T00:00:00Z", '
    'to: "2026-04-01T00:00:00Z"}, groupBy: []) { cost } }',
    "autonomyReadiness": '{ autonomyReadiness(workflowKey: "outreach") { ready } }',
    "costCeilingStatus": '{ costCeilingStatus(workflowKey: "outreach") { rung } }',
}


async def client_viewer_tenant(make_tenant, sessions):
    tenant, t, wf, acme, globex = await acme_and_globex(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "acme-1", started_at=day(1), status="ACCEPTED", client_id=acme.client_id),
        run(t, wf, "globex-1", started_at=day(1), status="ACCEPTED", client_id=globex.client_id),
        usage(t, wf, "4", correlation_id="acme-1", occurred_at=day(1)),
        usage(t, wf, "9", correlation_id="globex-1", occurred_at=day(1)),
    )
    return tenant, acme, globex


async def test_a_client_viewer_reads_its_own_cost_per_outcome(make_tenant, sessions):
    tenant, acme, _ = await client_viewer_tenant(make_tenant, sessions)

    body = await tenant.gql(
        CLIENT_FIGURES,
        {"client": str(acme.client_id), "key": "outreach"},
        role=Role.CLIENT_VIEWER,
        client_id=acme.client_id,
    )

    assert "errors" not in body, body
    assert body["data"]["client"]["name"] == "Acme"
    figures = body["data"]["client"]["costPerOutcome"]
    assert (figures["attempts"], figures["acceptedOutcomes"]) == (1, 1)
    assert figures["costPerOutcome"] == "4.0000000000"


async def test_a_client_viewer_is_forbidden_another_client(make_tenant, sessions):
    tenant, acme, globex = await client_viewer_tenant(make_tenant, sessions)

    for other in (globex.client_id, uuid.uuid4()):
        body = await tenant.gql(
            CLIENT_FIGURES,
            {"client": str(other), "key": "outreach"},
            role=Role.CLIENT_VIEWER,
            client_id=acme.client_id,
        )
        assert body["data"]["client"] is None
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_client_viewer_gets_no_tenant_wide_field(make_tenant, sessions):
    tenant, acme, _ = await client_viewer_tenant(make_tenant, sessions)

    for name, query in TENANT_WIDE.items():
        body = await tenant.gql(query, role=Role.CLIENT_VIEWER, client_id=acme.client_id)
        assert body.get("data") is None or body["data"].get(name) in (None, []), (name, body)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (name, body)


async def test_client_lookups_answer_null_not_found_and_bad_input(make_tenant, sessions):
    tenant, acme, _ = await client_viewer_tenant(make_tenant, sessions)

    unknown = await tenant.gql(CLIENT_FIGURES, {"client": str(uuid.uuid4()), "key": "outreach"})
    no_workflow = await tenant.gql(CLIENT_FIGURES, {"client": str(acme.client_id), "key": "nope"})
    malformed = await tenant.gql(CLIENT_FIGURES, {"client": "not-a-uuid", "key": "outreach"})

    assert unknown == {"data": {"client": None}}
    assert no_workflow["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}
    assert malformed["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


POPULATED = (
    "tenants",
    "clients",
    "api_keys",
    "workflows",
    "ladder_rungs",
    "model_prices",
    "runs",
    "run_labels",
    "usage_events",
)


async def test_row_level_security_alone_hides_other_tenants_rows(make_tenant, sessions):
    a, _ = await tenant_with_data(make_tenant, sessions, cost="3", client_name="A-corp")
    b = await make_tenant()
    t = a.tenant_id
    await insert(
        sessions,
        t,
        model_price(t, "openai", "gpt-x", day(0), "1", "2"),
        RunLabel(tenant_id=t, correlation_id="shared-1", at=day(1), status="REJECTED"),
    )
    await create_api_key(sessions=sessions, tenant_id=t, name="ci", scopes=["read"])

    async with sessions(t) as session:
        own = {table: await tenants_seen(session, table) for table in TENANT_TABLES}
    async with sessions(b.tenant_id) as session:
        # raw SQL with no tenant predicate: only the policies stand between B and A's rows
        seen_by_b = {table: await tenants_seen(session, table) for table in TENANT_TABLES}

    # tenant A has rows in every table this test populates (a new tenant table needs a row here)
    assert all(own[table] == {t} for table in POPULATED), own
    assert all(seen <= {b.tenant_id} for seen in seen_by_b.values()), seen_by_b


async def tenants_seen(session, table: str) -> set[uuid.UUID]:
    """The tenant ids of every row of `table` the session can see (table names are constants)."""
    result = await session.execute(text(f"SELECT DISTINCT tenant_id FROM {table}"))  # noqa: S608
    return set(result.scalars())
