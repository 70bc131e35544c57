"""Normalised caches over HTTP: global ids, node(id:)/nodes(ids:), Relay connections in both
directions, and mutation payloads that carry what they changed."""

from __future__ import annotations

import base64
from datetime import timedelta

from app import global_ids
from app.auth.principal import Role
from tests.integration.reads_factories import client, day, insert, run, usage, workflow

NODE = """query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Client { name clientId }
    ... on Workflow { key }
    ... on Run { correlationId cost }
    ... on UsageEvent { eventId cost }
  }
}"""

IDS = """{
  clients { id clientId name }
  workflows { id key }
  runs(first: 1) { edges { node { id correlationId usage { id eventId } } } }
}"""

PAGE = """query($first: Int, $after: String, $last: Int, $before: String) {
  runs(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { correlationId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


async def five_runs(tenant, sessions):
    """r0..r4 started an hour apart (r4 newest); r4 has three usage events; client Acme."""
    t = tenant.tenant_id
    wf, acme = workflow(t, "outreach"), client(t, "Acme")
    rows = [run(t, wf, f"r{i}", started_at=day(1) + timedelta(hours=i)) for i in range(5)]
    spend = [
        usage(t, wf, "1.5", correlation_id="r4", occurred_at=day(2, hours=h), event_id=f"u{h}")
        for h in range(3)
    ]
    await insert(sessions, t, wf, acme, *rows, *spend)
    return acme


def decoded(global_id: str) -> str:
    return base64.urlsafe_b64decode(global_id + "=" * (-len(global_id) % 4)).decode()


async def test_every_id_refetches_the_same_object_and_holds_no_tenant(make_tenant, sessions):
    tenant = await make_tenant()
    acme = await five_runs(tenant, sessions)

    body = await tenant.gql(IDS)
    assert "errors" not in body, body
    [client_] = body["data"]["clients"]
    [wf] = body["data"]["workflows"]
    [edge] = body["data"]["runs"]["edges"]
    run_, events = edge["node"], edge["node"]["usage"]
    assert client_["clientId"] == str(acme.client_id)
    assert decoded(client_["id"]) == f"Client:{acme.client_id}"
    assert decoded(run_["id"]) == "Run:r4"
    assert [decoded(e["id"]) for e in events] == ["UsageEvent:u0", "UsageEvent:u1", "UsageEvent:u2"]
    everything = [client_["id"], wf["id"], run_["id"], *(e["id"] for e in events)]
    assert all(str(tenant.tenant_id) not in decoded(i) for i in everything)

    found = await tenant.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }", {"ids": everything}
    )
    assert "errors" not in found, found
    assert [(n["__typename"], n["id"]) for n in found["data"]["nodes"]] == list(
        zip(
            ["Client", "Workflow", "Run", "UsageEvent", "UsageEvent", "UsageEvent"],
            everything,
            strict=True,
        )
    )
    one = await tenant.gql(NODE, {"id": run_["id"]})
    assert one["data"]["node"] == {
        "__typename": "Run", "id": run_["id"], "correlationId": "r4", "cost": "4.5000000000",
    }  # fmt: skip


async def test_another_tenants_malformed_and_non_node_ids_fail_with_codes(make_tenant, sessions):
    a, b = await make_tenant(), await make_tenant()
    await five_runs(a, sessions)
    run_id = global_ids.encode("Run", "r4")

    theirs = await b.gql(NODE, {"id": run_id})
    assert theirs["data"] == {"node": None}
    assert [e["extensions"]["code"] for e in theirs["errors"]] == ["NOT_FOUND"]
    assert theirs["errors"][0]["path"] == ["node"]

    for bad in ("not base64 at all!", global_ids.encode("Run", "r4")[:-3] + "###", ""):
        body = await a.gql(NODE, {"id": bad})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}, bad
    not_a_node = await a.gql(NODE, {"id": global_ids.encode("Tenant", str(a.tenant_id))})
    assert not_a_node["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    wrong_key = await a.gql(NODE, {"id": global_ids.encode("Client", "not-a-uuid")})
    assert wrong_key["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nodes_keeps_the_found_ones_when_one_id_fails(make_tenant, sessions):
    tenant = await make_tenant()
    await five_runs(tenant, sessions)
    ids = [global_ids.encode("Run", "r4"), global_ids.encode("Run", "nope"), "%%%"]

    body = await tenant.gql("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})

    assert body["data"]["nodes"] == [{"id": ids[0]}, None, None]
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert codes == {("nodes", 1): "NOT_FOUND", ("nodes", 2): "BAD_USER_INPUT"}


async def test_a_client_viewer_refetches_its_own_client_only(make_tenant, sessions):
    tenant = await make_tenant()
    acme = await five_runs(tenant, sessions)
    globex = client(tenant.tenant_id, "Globex")
    await insert(sessions, tenant.tenant_id, globex)
    viewer = {"role": Role.CLIENT_VIEWER, "client_id": acme.client_id}

    own = await tenant.gql(NODE, {"id": global_ids.encode("Client", str(acme.client_id))}, **viewer)
    assert own["data"]["node"]["name"] == "Acme", own
    for other in (
        global_ids.encode("Client", str(globex.client_id)),
        global_ids.encode("Run", "r4"),
    ):
        body = await tenant.gql(NODE, {"id": other}, **viewer)
        assert body["data"] == {"node": None}
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert "Globex" not in str(body)


async def test_client_id_arguments_take_the_global_id_or_the_uuid(make_tenant, sessions):
    tenant = await make_tenant()
    acme = await five_runs(tenant, sessions)
    query = "query($id: ID!) { client(id: $id) { id name } }"
    by_uuid = await tenant.gql(query, {"id": str(acme.client_id)})
    by_global = await tenant.gql(query, {"id": by_uuid["data"]["client"]["id"]})
    assert by_uuid == by_global
    assert by_global["data"]["client"]["name"] == "Acme"
    wrong_type = await tenant.gql(query, {"id": global_ids.encode("Run", "r4")})
    assert wrong_type["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}


async def test_runs_page_forward_then_back_with_both_directions_in_page_info(make_tenant, sessions):
    tenant = await make_tenant()
    await five_runs(tenant, sessions)

    async def page(**variables):
        connection = (await tenant.data(PAGE, variables))["runs"]
        return [e["node"]["correlationId"] for e in connection["edges"]], connection["pageInfo"]

    first, info1 = await page(first=2)
    assert first == ["r4", "r3"]
    assert (info1["hasPreviousPage"], info1["hasNextPage"]) == (False, True)
    second, info2 = await page(first=2, after=info1["endCursor"])
    assert second == ["r2", "r1"]
    assert (info2["hasPreviousPage"], info2["hasNextPage"]) == (True, True)
    last, info3 = await page(first=2, after=info2["endCursor"])
    assert (last, info3["hasPreviousPage"], info3["hasNextPage"]) == (["r0"], True, False)

    back, info4 = await page(last=2, before=info2["startCursor"])
    assert back == ["r4", "r3"]
    assert (info4["hasPreviousPage"], info4["hasNextPage"]) == (False, True)
    tail, info5 = await page(last=2)
    assert tail == ["r1", "r0"]
    assert (info5["hasPreviousPage"], info5["hasNextPage"]) == (True, False)

    both = await tenant.gql(PAGE, {"first": 2, "after": info1["endCursor"], "last": 1})
    assert both["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "last"}
    assert both["data"] == {"runs": None}


async def test_a_runs_usage_connection_counts_and_pages(make_tenant, sessions):
    tenant = await make_tenant()
    await five_runs(tenant, sessions)
    query = """query($after: String) { run(correlationId: "r4") {
      usageConnection(first: 2, after: $after) {
        totalCount edges { node { eventId } } pageInfo { hasNextPage hasPreviousPage endCursor }
      } } }"""

    one = (await tenant.gql(query))["data"]["run"]["usageConnection"]
    assert one["totalCount"] == 3
    assert [e["node"]["eventId"] for e in one["edges"]] == ["u0", "u1"]
    after = one["pageInfo"]["endCursor"]
    two = (await tenant.gql(query, {"after": after}))["data"]["run"]["usageConnection"]
    assert [e["node"]["eventId"] for e in two["edges"]] == ["u2"]
    assert two["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "endCursor": two["pageInfo"]["endCursor"],
    }
    bad = await tenant.gql(query, {"after": "eyJ4Ijog"})
    assert bad["data"]["run"] == {"usageConnection": None}
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_mutations_answer_the_entity_they_changed(make_tenant):
    tenant = await make_tenant()
    body = await tenant.gql(
        """mutation {
          upsertWorkflow(input: {key: "support", name: "Support"}) { id key autonomyLevel }
          setModelPrice(input: {provider: "acme", model: "m", effectiveFrom: "2026-01-01T00:00:00Z",
            inputPerMillion: "1.5", outputPerMillion: "2"}) {
            modelPrice { id provider model inputPerMillion cacheReadPerMillion } }
          setBaseline(input: {workflowKey: "support", revenuePerSuccess: "12.345"}) {
            baseline { id workflowKey clientId revenuePerSuccess humanCostPerTask } }
          setCostCeiling(input: {workflowKey: "support", rung: "accepted", dimension: CHANNEL,
            value: "email", ceiling: "4"}) { ceiling { id rung dimension value ceiling } }
          recordInvoice(input: {provider: "acme", month: "2026-03", amount: "10"}) {
            invoice { id provider month invoiced computed } }
          setAutonomyGate(input: {workflowKey: "support", targetLevel: 1, minAcceptanceRate: 0.5,
            minSampleSize: 1, maxCostPerOutcome: "100"}) { id version }
          promoteAutonomy(workflowKey: "support", toLevel: 1) {
            promoted workflow { id autonomyLevel } }
        }"""
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["setModelPrice"]["modelPrice"] | {"id": None} == {
        "id": None, "provider": "acme", "model": "m", "inputPerMillion": "1.5000000000",
        "cacheReadPerMillion": None,
    }  # fmt: skip
    assert data["setBaseline"]["baseline"]["revenuePerSuccess"] == "12.3450000000"
    assert data["setBaseline"]["baseline"]["clientId"] is None
    assert data["setCostCeiling"]["ceiling"]["ceiling"] == "4.0000000000"
    invoice = data["recordInvoice"]["invoice"]
    assert (invoice["month"], invoice["invoiced"]) == ("2026-03", "10.0000000000")
    # the payload's entity is the one the list shows, under the same id
    listed = await tenant.gql("{ reconciliation { id invoiced } }")
    assert listed["data"]["reconciliation"] == [{"id": invoice["id"], "invoiced": "10.0000000000"}]
    refetched = await tenant.gql(
        "query($id: ID!) { node(id: $id) { id ... on ProviderReconciliation { month invoiced } } }",
        {"id": invoice["id"]},
    )
    assert refetched["data"]["node"] == {
        "id": invoice["id"], "month": "2026-03", "invoiced": "10.0000000000",
    }  # fmt: skip
    gate = await tenant.gql(
        "query($id: ID!) { node(id: $id) { id ... on AutonomyGate { version } } }",
        {"id": data["setAutonomyGate"]["id"]},
    )
    assert gate["data"]["node"] == data["setAutonomyGate"]
    workflow_id = data["upsertWorkflow"]["id"]
    # refused (no runs yet): the workflow comes back as it stands, level unchanged
    assert data["promoteAutonomy"] == {
        "promoted": False, "workflow": {"id": workflow_id, "autonomyLevel": 0},
    }  # fmt: skip
    payloads = (("setModelPrice", "modelPrice"), ("setBaseline", "baseline"))
    ids = [data[m][k]["id"] for m, k in (*payloads, ("setCostCeiling", "ceiling"))]
    assert len(set(ids)) == 3 and all(ids)


async def test_every_page_size_walks_every_run_once_in_both_directions(make_tenant, sessions):
    tenant = await make_tenant()
    await five_runs(tenant, sessions)
    everything = ["r4", "r3", "r2", "r1", "r0"]

    async def walk(size: int, forward: bool) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            variables = (
                {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
            )
            connection = (await tenant.gql(PAGE, variables))["data"]["runs"]
            names = [e["node"]["correlationId"] for e in connection["edges"]]
            info = connection["pageInfo"]
            seen = seen + names if forward else names + seen
            more = info["hasNextPage"] if forward else info["hasPreviousPage"]
            if not more:
                return seen
            assert len(names) == size  # a page is full unless it is the last
            cursor = info["endCursor"] if forward else info["startCursor"]

    for size in range(1, 7):
        assert await walk(size, forward=True) == everything, size
        assert await walk(size, forward=False) == everything, size
