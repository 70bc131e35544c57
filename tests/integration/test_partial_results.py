"""Partial results: a computed field that fails for one item is null at its own path with its
code, and the rest of the answer stands (issue 15: one bad workflow must not blank a dashboard)."""

from __future__ import annotations

from tests.integration.ladder_api import MARCH, upsert

DASHBOARD = """
query($range: TimeRange!) {
  clients { name }
  workflows {
    key
    risingSlices(rung: "reply", range: $range, dimension: CHANNEL) { value risePct }
    costPerOutcome(range: $range) { attempts }
  }
}
"""


async def test_one_workflow_without_the_rung_keeps_the_others_and_the_clients(make_tenant):
    tenant = await make_tenant()
    made = await tenant.gql('mutation { createClient(input: {name: "Acme"}) { name } }')
    assert "errors" not in made, made
    await upsert(tenant, "outreach", "accepted", "reply")
    await upsert(tenant, "support", "accepted", "not_reopened")  # no "reply" rung
    await upsert(tenant, "sales", "accepted", "reply")

    body = await tenant.gql(DASHBOARD, {"range": MARCH})

    assert body["data"]["clients"] == [{"name": "Acme"}]
    workflows = {w["key"]: w for w in body["data"]["workflows"]}
    assert sorted(workflows) == ["outreach", "sales", "support"]
    assert workflows["outreach"]["risingSlices"] == []
    assert workflows["sales"]["risingSlices"] == []
    assert workflows["support"]["risingSlices"] is None
    # the failing field's siblings on the same workflow still answer
    assert all(w["costPerOutcome"] == {"attempts": 0} for w in workflows.values())
    support = sorted(workflows).index("support")
    [error] = body["errors"]
    assert error["path"] == ["workflows", support, "risingSlices"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "rung"


async def test_a_failing_root_field_leaves_the_other_root_fields(make_tenant):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")

    body = await tenant.gql(
        '{ workflows { key } autonomyReadiness(workflowKey: "nope") { ready } viewer { role } }'
    )

    assert body["data"] == {
        "workflows": [{"key": "outreach"}],
        "autonomyReadiness": None,
        "viewer": {"role": "OWNER"},
    }
    [error] = body["errors"]
    assert error["path"] == ["autonomyReadiness"]
    assert error["extensions"]["code"] == "NOT_FOUND"
