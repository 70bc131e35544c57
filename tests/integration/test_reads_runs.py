"""`run` and `runs` over HTTP: fields, loaders, filters and keyset pagination."""

from __future__ import annotations

import base64
from datetime import timedelta
from decimal import Decimal

from tests.integration.reads_factories import MARCH, client, day, insert, run, usage, workflow

RUNS = """
query($first: Int, $after: String, $workflowKey: String, $status: RunStatus, $scope: Scope,
      $range: TimeRange) {
  runs(first: $first, after: $after, workflowKey: $workflowKey, status: $status, scope: $scope,
       range: $range) {
    edges { cursor node { correlationId workflowKey status cost } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

RUN = """
query($id: String!) {
  run(correlationId: $id) {
    correlationId workflowKey clientId status startedAt endedAt campaign channel variant team
    subject cost
    usage { eventId kind occurredAt provider model step inputTokens outputTokens
            cacheReadTokens cacheWriteTokens reasoningTokens cost }
  }
}
"""


async def seven_runs(tenant, sessions) -> None:
    t = tenant.tenant_id
    wf, other = workflow(t, "outreach"), workflow(t, "support")
    rows = [run(t, wf, f"r{i}", started_at=day(1) + timedelta(hours=i)) for i in range(6)]
    # two runs share a start time: the correlation id breaks the tie
    rows.append(run(t, other, "r6", started_at=day(1) + timedelta(hours=5), status="REJECTED"))
    spend = [usage(t, wf, f"{i}.25", correlation_id=f"r{i}", occurred_at=day(2)) for i in range(6)]
    await insert(sessions, t, wf, other, *rows, *spend)


async def test_cursor_walk_over_seven_runs_three_at_a_time(make_tenant, sessions):
    tenant = await make_tenant()
    await seven_runs(tenant, sessions)

    seen, after, pages = [], None, 0
    while True:
        connection = (await tenant.data(RUNS, {"first": 3, "after": after}))["runs"]
        seen += [edge["node"]["correlationId"] for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]

    assert pages == 3
    # newest first; r5 and r6 started together: correlation id descending breaks the tie
    assert seen == ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]


async def test_runs_carry_workflow_key_status_and_cost_through_loaders(make_tenant, sessions):
    tenant = await make_tenant()
    await seven_runs(tenant, sessions)

    body = await tenant.gql(RUNS, {"first": 2})

    assert [edge["node"] for edge in body["data"]["runs"]["edges"]] == [
        {"correlationId": "r6", "workflowKey": "support", "status": "REJECTED", "cost": "0"},
        {
            "correlationId": "r5",
            "workflowKey": "outreach",
            "status": "RUNNING",
            "cost": "5.2500000000",
        },
    ]


async def test_runs_filter_by_workflow_status_scope_and_range(make_tenant, sessions):
    tenant = await make_tenant()
    await seven_runs(tenant, sessions)

    async def ids(**variables) -> list[str]:
        body = await tenant.gql(RUNS, variables)
        assert "errors" not in body, body
        return [edge["node"]["correlationId"] for edge in body["data"]["runs"]["edges"]]

    assert await ids(workflowKey="support") == ["r6"]
    assert await ids(status="REJECTED") == ["r6"]
    assert await ids(range={"from": "2026-03-02T01:00:00Z", "to": "2026-03-02T03:00:00Z"}) == [
        "r2",
        "r1",
    ]
    assert await ids(range=MARCH, scope={"channel": "email"}) == []


async def test_unknown_workflow_key_is_not_found(make_tenant):
    tenant = await make_tenant()

    body = await tenant.gql(RUNS, {"workflowKey": "nope"})

    assert body["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}


async def test_a_bad_cursor_is_bad_user_input_naming_after(make_tenant):
    tenant = await make_tenant()
    garbage = base64.urlsafe_b64encode(b'{"not": "a cursor"}').decode()

    for after in ("%%%", garbage, "bm90IGpzb24="):
        body = await tenant.gql(RUNS, {"after": after})
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}


async def test_first_larger_than_the_page_size_is_bad_user_input(make_tenant):
    tenant = await make_tenant()

    too_many = await tenant.gql(RUNS, {"first": tenant.settings.max_page_size + 1})
    negative = await tenant.gql(RUNS, {"first": -1})

    assert too_many["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    assert negative["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_one_run_with_its_usage(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, acme = workflow(t), client(t)
    await insert(
        sessions,
        t,
        wf,
        acme,
        run(
            t,
            wf,
            "r1",
            started_at=day(1),
            status="ACCEPTED",
            client_id=acme.client_id,
            campaign="spring",
            channel="email",
            variant="B",
            team="red",
            subject="lead-9",
        ),
        usage(
            t,
            wf,
            "0.5",
            correlation_id="r1",
            occurred_at=day(1, 2),
            event_id="e2",
            kind="TOOL",
            step="search",
        ),
        usage(
            t,
            wf,
            "1.25",
            correlation_id="r1",
            occurred_at=day(1, 1),
            event_id="e1",
            provider="openai",
            model="gpt-x",
            step="drafter",
            input_tokens=100,
            output_tokens=20,
            cache_read_tokens=50,
            cache_write_tokens=5,
            reasoning_tokens=7,
        ),
    )

    body = await tenant.gql(RUN, {"id": "r1"})
    missing = await tenant.gql(RUN, {"id": "nope"})

    result = body["data"]["run"]
    assert result["workflowKey"] == "outreach" and result["clientId"] == str(acme.client_id)
    assert result["status"] == "ACCEPTED" and result["startedAt"] == "2026-03-02T00:00:00+00:00"
    assert (result["campaign"], result["channel"], result["variant"], result["team"]) == (
        "spring",
        "email",
        "B",
        "red",
    )
    assert result["subject"] == "lead-9" and Decimal(result["cost"]) == Decimal("1.75")
    assert [event["eventId"] for event in result["usage"]] == ["e1", "e2"]
    assert result["usage"][0] == {
        "eventId": "e1",
        "kind": "LLM",
        "occurredAt": "2026-03-02T01:00:00+00:00",
        "provider": "openai",
        "model": "gpt-x",
        "step": "drafter",
        "inputTokens": 100,
        "outputTokens": 20,
        "cacheReadTokens": 50,
        "cacheWriteTokens": 5,
        "reasoningTokens": 7,
        "cost": "1.2500000000",
    }
    assert missing["data"]["run"] is None and "errors" not in missing
