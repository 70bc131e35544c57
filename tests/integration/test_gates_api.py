"""Autonomy gates over HTTP GraphQL with real tokens: define, read, promote, demote, audit."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from app.auth.principal import Role
from tests.integration.gates_factories import (
    EXPENSIVE,
    GREEN,
    SLOPPY,
    now_utc,
    seed_workflow,
)
from tests.integration.query_counting import counting
from tests.integration.reads_factories import client, insert

SET_GATE = """
mutation Set($input: GateInput!) {
  setAutonomyGate(input: $input) {
    targetLevel minAcceptanceRate minSampleSize confidence maxCostPerOutcome maxDriftPct
    windowDays autoDemoteAfter version setBy
  }
}
"""
CHECK = "status observed bound threshold sampleSize detail"
READINESS = f"""
workflowKey currentLevel targetLevel ready blockers evaluatedAt
quality {{ {CHECK} }} cost {{ {CHECK} }} drift {{ {CHECK} }}
"""
ASK = f'query {{ autonomyReadiness(workflowKey: "support") {{ {READINESS} }} }}'
PROMOTE = f"""
mutation Promote($to: Int!) {{
  promoteAutonomy(workflowKey: "support", toLevel: $to) {{
    promoted level readiness {{ {READINESS} }}
  }}
}}
"""
DEMOTE = """
mutation Demote($to: Int!, $reason: String) {
  demoteAutonomy(workflowKey: "support", toLevel: $to, reason: $reason) {
    promoted level readiness { currentLevel targetLevel ready }
  }
}
"""
HISTORY = """
{ workflow(key: "support") {
    autonomyLevel
    autonomyHistory {
      kind actor fromLevel requestedLevel level reason
      readiness { ready currentLevel targetLevel blockers cost { status observed } }
    }
} }
"""


def gate_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "workflowKey": "support",
        "targetLevel": 1,
        "minAcceptanceRate": 0.8,
        "minSampleSize": 50,
        "maxCostPerOutcome": "5.00",
    }
    values.update(overrides)
    return {"input": values}


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    return body["errors"][0]  # type: ignore[no-any-return]


async def tenant_with(make_tenant, sessions, days, *, level: int = 0, gate: bool = True, **gate_kw):
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, days, now=now_utc(), level=level)
    if gate:
        await tenant.data(SET_GATE, gate_input(targetLevel=level + 1, **gate_kw))
    return tenant


# --- defining gates --------------------------------------------------------------------------


async def test_a_gate_is_set_with_defaults_and_versioned(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, [], now=now_utc())

    first = await tenant.gql(SET_GATE, gate_input())
    second = await tenant.gql(
        SET_GATE, gate_input(maxCostPerOutcome="4.5", autoDemoteAfter=3), role=Role.ENGINEER
    )

    assert first["data"]["setAutonomyGate"] == {
        "targetLevel": 1,
        "minAcceptanceRate": 0.8,
        "minSampleSize": 50,
        "confidence": 0.95,
        "maxCostPerOutcome": "5.0000000000",
        "maxDriftPct": 10.0,
        "windowDays": 30,
        "autoDemoteAfter": None,
        "version": 1,
        "setBy": f"owner@{tenant.tenant_id}",
    }
    assert second["data"]["setAutonomyGate"]["version"] == 2
    assert second["data"]["setAutonomyGate"]["setBy"] == f"engineer@{tenant.tenant_id}"
    body = await tenant.gql(
        '{ workflow(key: "support") { gate { version maxCostPerOutcome autoDemoteAfter } '
        "gateHistory { version maxCostPerOutcome } } }"
    )
    assert body["data"]["workflow"] == {
        "gate": {"version": 2, "maxCostPerOutcome": "4.5000000000", "autoDemoteAfter": 3},
        "gateHistory": [
            {"version": 2, "maxCostPerOutcome": "4.5000000000"},
            {"version": 1, "maxCostPerOutcome": "5.0000000000"},
        ],
    }


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"minAcceptanceRate": 1.5}, "minAcceptanceRate"),
        ({"minAcceptanceRate": -0.1}, "minAcceptanceRate"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0.0}, "confidence"),
        ({"minSampleSize": 0}, "minSampleSize"),
        ({"windowDays": 0}, "windowDays"),
        ({"targetLevel": 0}, "targetLevel"),
        ({"maxCostPerOutcome": "-1"}, "maxCostPerOutcome"),
        ({"autoDemoteAfter": 0}, "autoDemoteAfter"),
    ],
)
async def test_bad_gates_are_refused_naming_the_field(
    make_tenant, sessions, override: dict[str, Any], field: str
) -> None:
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, [], now=now_utc())
    error = error_of(await tenant.gql(SET_GATE, gate_input(**override)))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    gate = await tenant.gql('{ workflow(key: "support") { gate { version } } }')
    assert gate["data"]["workflow"]["gate"] is None  # nothing was stored


async def test_a_gate_for_an_unknown_workflow_is_not_found(make_tenant) -> None:
    tenant = await make_tenant()
    error = error_of(await tenant.gql(SET_GATE, gate_input(workflowKey="nope")))
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}


# --- permissions -------------------------------------------------------------------------------


async def test_analysts_read_readiness_but_cannot_set_gates_or_promote(make_tenant, sessions):
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    for query, variables in (
        (SET_GATE, gate_input()),
        (PROMOTE, {"to": 1}),
        (DEMOTE, {"to": 0}),
    ):
        body = await tenant.gql(query, variables, role=Role.ANALYST)
        assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    readable = await tenant.gql(ASK, role=Role.ANALYST)
    assert readable["data"]["autonomyReadiness"]["ready"] is True
    history = await tenant.gql(HISTORY)
    assert history["data"]["workflow"] == {"autonomyLevel": 0, "autonomyHistory": []}


async def test_client_viewers_are_forbidden_readiness(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    acme = client(tenant.tenant_id)
    await insert(sessions, tenant.tenant_id, acme)
    body = await tenant.gql(ASK, role=Role.CLIENT_VIEWER, client_id=acme.client_id)
    assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    assert body["data"] == {"autonomyReadiness": None}  # nullable root: the error stays at its path


# --- readiness ---------------------------------------------------------------------------------


async def test_a_green_workflow_is_ready_with_its_numbers(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    readiness = (await tenant.gql(ASK))["data"]["autonomyReadiness"]
    # 30 days × 4 accepted runs at 4.00: 120/120 accepted, 480 / 120 = 4.00 per outcome, flat.
    assert (readiness["ready"], readiness["blockers"]) == (True, [])
    assert (readiness["currentLevel"], readiness["targetLevel"]) == (0, 1)
    assert readiness["quality"]["status"] == "PASS"
    assert readiness["quality"]["observed"] == 1.0
    assert readiness["quality"]["sampleSize"] == 120
    assert readiness["cost"]["observed"] == 4.0
    assert readiness["cost"]["bound"] == 4.0
    assert readiness["cost"]["threshold"] == 5.0
    assert readiness["drift"] == {
        "status": "PASS",
        "observed": 0.0,
        "bound": 0.0,
        "threshold": 10.0,
        "sampleSize": 30,
        "detail": "Daily cost per outcome drifts +0% per 30 days (Sen's slope over 30 days, "
        "95% upper limit +0%), within the limit +10%.",
    }


async def test_passing_quality_but_failing_cost_is_not_ready(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, EXPENSIVE)
    readiness = (await tenant.gql(ASK))["data"]["autonomyReadiness"]
    assert readiness["ready"] is False
    assert (readiness["quality"]["status"], readiness["cost"]["status"]) == ("PASS", "FAIL")
    assert readiness["cost"]["observed"] == 6.0
    assert readiness["blockers"] == [readiness["cost"]["detail"]]
    assert "exceeds the budget 5.00" in readiness["blockers"][0]


async def test_passing_cost_but_failing_quality_is_not_ready(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, SLOPPY)
    readiness = (await tenant.gql(ASK))["data"]["autonomyReadiness"]
    assert readiness["ready"] is False
    assert (readiness["quality"]["status"], readiness["cost"]["status"]) == ("FAIL", "PASS")
    assert readiness["quality"]["observed"] == 0.5  # 60 of 120
    assert readiness["blockers"] == [readiness["quality"]["detail"]]


async def test_no_data_is_never_ready(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, [])
    readiness = (await tenant.gql(ASK))["data"]["autonomyReadiness"]
    assert readiness["ready"] is False
    statuses = {readiness[c]["status"] for c in ("quality", "cost", "drift")}
    assert statuses == {"INSUFFICIENT_DATA"}
    assert len(readiness["blockers"]) == 3


async def test_without_a_gate_readiness_names_the_missing_level(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, GREEN, gate=False)
    body = await tenant.gql(
        f'{{ workflow(key: "support") {{ gate {{ targetLevel }} readiness {{ {READINESS} }} }} }}'
    )
    workflow = body["data"]["workflow"]
    assert workflow["gate"] is None
    assert workflow["readiness"]["ready"] is False
    assert workflow["readiness"]["targetLevel"] is None
    assert workflow["readiness"]["blockers"] == ["no gate defined for level 1"]


async def test_readiness_of_an_unknown_workflow_is_not_found(make_tenant) -> None:
    tenant = await make_tenant()
    error = error_of(await tenant.gql(ASK))
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}


# --- promotion and demotion --------------------------------------------------------------------


async def test_promotion_refused_then_allowed_after_the_data_changes(make_tenant, sessions):
    # Given a cheap workflow whose reviewers rejected half of the runs (quality FAILs)
    tenant = await tenant_with(make_tenant, sessions, SLOPPY)

    # When promotion is asked: refused, with the reasons, and the level stays 0
    refused = (await tenant.gql(PROMOTE, {"to": 1}))["data"]["promoteAutonomy"]
    assert (refused["promoted"], refused["level"]) == (False, 0)
    assert refused["readiness"]["quality"]["status"] == "FAIL"
    assert refused["readiness"]["blockers"] == [refused["readiness"]["quality"]["detail"]]

    # When the rejections are overturned (every run accepted), the same request passes
    async with sessions(tenant.tenant_id) as session:
        await session.execute(text("UPDATE runs SET status = 'ACCEPTED' WHERE status = 'REJECTED'"))
    granted = (await tenant.gql(PROMOTE, {"to": 1}, role=Role.ENGINEER))["data"]["promoteAutonomy"]
    assert (granted["promoted"], granted["level"]) == (True, 1)
    assert granted["readiness"]["ready"] is True
    assert granted["readiness"]["currentLevel"] == 0  # the verdict it was decided on

    # Then a demotion with a reason, and the audit trail holds all three decisions
    demoted = (await tenant.gql(DEMOTE, {"to": 0, "reason": "incident 42"}))["data"]
    assert demoted["demoteAutonomy"] == {
        "promoted": False,
        "level": 0,
        "readiness": {"currentLevel": 0, "targetLevel": 1, "ready": True},
    }
    history = (await tenant.gql(HISTORY))["data"]["workflow"]
    assert history["autonomyLevel"] == 0
    events = history["autonomyHistory"]
    owner, engineer = f"owner@{tenant.tenant_id}", f"engineer@{tenant.tenant_id}"
    assert [
        (e["kind"], e["actor"], e["fromLevel"], e["requestedLevel"], e["level"]) for e in events
    ] == [
        ("DEMOTED", owner, 1, 0, 0),
        ("PROMOTED", engineer, 0, 1, 1),
        ("REFUSED", owner, 0, 1, 0),
    ]
    assert events[0]["reason"] == "incident 42"
    assert events[2]["readiness"]["ready"] is False
    assert events[2]["readiness"]["blockers"] == refused["readiness"]["blockers"]
    assert events[1]["readiness"]["cost"] == {"status": "PASS", "observed": 1.0}


async def test_promotion_goes_one_level_at_a_time(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    for to_level in (2, 0, -1):
        error = error_of(await tenant.gql(PROMOTE, {"to": to_level}))
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "toLevel"}
        assert "one level at a time" in error["message"]
    error = error_of(await tenant.gql(DEMOTE, {"to": 0}))  # already at 0
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "toLevel"}
    history = (await tenant.gql(HISTORY))["data"]["workflow"]
    assert history == {"autonomyLevel": 0, "autonomyHistory": []}  # bad input records nothing


async def test_concurrent_promotions_promote_exactly_once(make_tenant, sessions) -> None:
    # The workflow row is locked for the whole decision: the requests queue, the first
    # promotes, the others then find the workflow at level 1 and are not "one level up".
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    bodies = await asyncio.gather(*(tenant.gql(PROMOTE, {"to": 1}) for _ in range(3)))
    granted = [b for b in bodies if not b.get("errors")]
    assert [b["data"]["promoteAutonomy"]["promoted"] for b in granted] == [True]
    assert [error_of(b)["extensions"] for b in bodies if b.get("errors")] == [
        {"code": "BAD_USER_INPUT", "field": "toLevel"}
    ] * 2
    history = (await tenant.gql(HISTORY))["data"]["workflow"]
    assert history["autonomyLevel"] == 1
    assert [e["kind"] for e in history["autonomyHistory"]] == ["PROMOTED"]


async def test_history_pages_are_bounded(make_tenant, sessions) -> None:
    tenant = await tenant_with(make_tenant, sessions, GREEN)
    for field in ("gateEvaluations(first: 0) { status }", "autonomyHistory(first: 100000) { at }"):
        error = error_of(await tenant.gql(f'{{ workflow(key: "support") {{ {field} }} }}'))
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_readiness_of_many_workflows_costs_the_same_few_queries(app, make_tenant, sessions):
    query = (
        "{ workflows { key gate { version } readiness { ready } "
        "autonomyHistory { kind } gateEvaluations { status } } }"
    )

    async def statements(n: int) -> int:
        tenant = await make_tenant()
        now = now_utc()
        for i in range(n):
            await seed_workflow(sessions, tenant.tenant_id, GREEN[:8], now=now, key=f"wf{i:02}")
            body = await tenant.gql(SET_GATE, gate_input(workflowKey=f"wf{i:02}"))
            assert "errors" not in body
        with counting(app) as executed:
            body = await tenant.gql(query)
        assert "errors" not in body, body
        assert len(body["data"]["workflows"]) == n
        return len(executed)

    assert await statements(2) == await statements(12)
