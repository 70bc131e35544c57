"""Ingest through the GraphQL mutations: what is stored, how LLM usage is priced, and how labels
move a run's status under an acceptance hold. Rows are checked in the database itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.tenant_rows import rows, usage_costs

UPSERT_WORKFLOW = "mutation($input: WorkflowInput!) { upsertWorkflow(input: $input) { id } }"
CREATE_CLIENT = "mutation($input: ClientInput!) { createClient(input: $input) { clientId } }"
SET_PRICE = """mutation($input: ModelPriceInput!) {
  setModelPrice(input: $input) { modelPrice { id } } }"""
RESULT = "{ accepted duplicates errors { index field message } }"
START_RUNS = f"mutation($runs: [RunInput!]!) {{ startRuns(runs: $runs) {RESULT} }}"
INGEST_USAGE = f"mutation($events: [UsageEventInput!]!) {{ ingestUsage(events: $events) {RESULT} }}"
LABEL_RUNS = f"mutation($labels: [RunLabelInput!]!) {{ labelRuns(labels: $labels) {RESULT} }}"

SONNET = {"provider": "anthropic", "model": "claude-sonnet-4"}


@dataclass
class Owner:
    """A fresh tenant calling as OWNER with one token (minting a token is the slow part)."""

    handle: Any
    token: str

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.handle.tenant_id

    async def gql(self, query: str, variables: dict | None = None) -> dict:
        return await self.handle.gql(query, variables, token=self.token)


@pytest.fixture
def make_owner(make_tenant):
    async def _make() -> Owner:
        handle = await make_tenant()
        return Owner(handle, handle.token())

    return _make


async def workflow(tenant, key: str = "outreach", hold: int = 0) -> None:
    body = await tenant.gql(
        UPSERT_WORKFLOW, {"input": {"key": key, "name": key.title(), "acceptanceHoldHours": hold}}
    )
    assert "errors" not in body, body


async def price(tenant, effective_from: str = "2026-01-01T00:00:00Z", **rates: str) -> None:
    rates = {"inputPerMillion": "3", "outputPerMillion": "15"} | rates
    body = await tenant.gql(
        SET_PRICE, {"input": SONNET | {"effectiveFrom": effective_from} | rates}
    )
    assert body["data"]["setModelPrice"]["modelPrice"]["id"], body


async def ingest(tenant, query: str, name: str, items: list[dict]) -> dict:
    body = await tenant.gql(query, {name: items})
    assert "errors" not in body, body
    return next(iter(body["data"].values()))


def llm(event_id: str, **fields) -> dict:
    return {
        "eventId": event_id,
        "workflowKey": "outreach",
        "kind": "LLM",
        "occurredAt": "2026-03-01T10:00:00Z",
        **SONNET,
    } | fields


# -- round trip ----------------------------------------------------------------------------------


async def test_runs_usage_and_labels_are_stored_as_given(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    client_id = (await tenant.gql(CREATE_CLIENT, {"input": {"name": "Acme"}}))["data"][
        "createClient"
    ]["clientId"]
    run = {
        "correlationId": "run-1",
        "workflowKey": "outreach",
        "clientId": client_id,
        "startedAt": "2026-03-01T09:00:00+01:00",
        "campaign": "spring",
        "channel": "email",
        "variant": "B",
        "team": "growth",
        "subject": "lead-42",
    }
    assert await ingest(tenant, START_RUNS, "runs", [run]) == {
        "accepted": 1,
        "duplicates": 0,
        "errors": [],
    }
    tool = {
        "eventId": "tool-1",
        "correlationId": "run-1",
        "workflowKey": "outreach",
        "clientId": client_id,
        "kind": "THIRD_PARTY",
        "occurredAt": "2026-03-01T08:30:00Z",
        "provider": "clearbit",
        "step": "enrich",
        "team": "growth",
        "latencyMs": 120,
        "cost": "0.0125",
    }
    assert (await ingest(tenant, INGEST_USAGE, "events", [tool]))["accepted"] == 1
    label = {
        "correlationId": "run-1",
        "status": "ACCEPTED",
        "at": "2026-03-01T12:00:00Z",
        "reviewer": "ana",
        "reason": "good draft",
    }
    assert (await ingest(tenant, LABEL_RUNS, "labels", [label]))["accepted"] == 1

    [stored_run] = await rows(sessions, tenant.tenant_id, "SELECT * FROM runs")
    assert stored_run["started_at"] == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert stored_run["client_id"] == uuid.UUID(client_id)
    assert (stored_run["campaign"], stored_run["channel"], stored_run["variant"]) == (
        "spring",
        "email",
        "B",
    )
    assert (stored_run["team"], stored_run["subject"]) == ("growth", "lead-42")
    assert stored_run["status"] == "ACCEPTED"
    assert stored_run["status_at"] == stored_run["ended_at"] == datetime(2026, 3, 1, 12, tzinfo=UTC)

    [usage] = await rows(sessions, tenant.tenant_id, "SELECT * FROM usage_events")
    assert usage["kind"] == "THIRD_PARTY" and usage["correlation_id"] == "run-1"
    assert (usage["provider"], usage["step"], usage["latency_ms"]) == ("clearbit", "enrich", 120)
    assert (usage["cost"], usage["cost_source"]) == (Decimal("0.0125"), "reported")
    assert usage["price_effective_from"] is None

    [stored_label] = await rows(sessions, tenant.tenant_id, "SELECT * FROM run_labels")
    assert (stored_label["reviewer"], stored_label["reason"]) == ("ana", "good draft")
    assert stored_label["applied"] is True


# -- pricing -------------------------------------------------------------------------------------


async def test_llm_usage_is_priced_from_the_book(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    await price(
        tenant,
        cacheReadPerMillion="0.30",
        cacheWritePerMillion="3.75",
        reasoningPerMillion="12",
    )
    event = llm(
        "e1",
        inputTokens=1_000_000,  # 1.0 M x $3     = $3.00
        outputTokens=500_000,  # 0.5 M x $15    = $7.50
        cacheReadTokens=2_000_000,  # 2.0 M x $0.30  = $0.60
        cacheWriteTokens=400_000,  # 0.4 M x $3.75  = $1.50
        reasoningTokens=250_000,  # 0.25 M x $12  = $3.00
    )  # total $15.60
    assert (await ingest(tenant, INGEST_USAGE, "events", [event]))["accepted"] == 1
    [usage] = await usage_costs(sessions, tenant.tenant_id)
    assert usage == {
        "cost": Decimal("15.60"),
        "cost_source": "priced",
        "price_effective_from": datetime(2026, 1, 1, tzinfo=UTC),
    }


async def test_missing_rates_fall_back_and_small_calls_stay_exact(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    await price(tenant)  # $3 in, $15 out; no cache or reasoning rates
    events = [
        # 1,234 x $3/M = $0.003702; 567 x $15/M = $0.008505 → $0.012207
        llm("small", inputTokens=1234, outputTokens=567),
        # cache read falls back to the input rate, reasoning to the output rate:
        # 100,000 x $3/M = $0.30; 20,000 x $15/M = $0.30 → $0.60
        llm("fallback", cacheReadTokens=100_000, reasoningTokens=20_000),
    ]
    assert (await ingest(tenant, INGEST_USAGE, "events", events))["accepted"] == 2
    stored = await rows(
        sessions, tenant.tenant_id, "SELECT event_id, cost FROM usage_events ORDER BY event_id"
    )
    assert stored == [
        {"event_id": "fallback", "cost": Decimal("0.60")},
        {"event_id": "small", "cost": Decimal("0.012207")},
    ]


async def test_reported_cost_is_not_repriced(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    await price(tenant)
    event = llm("e1", inputTokens=1_000_000, cost="0.5")  # the book would say $3
    assert (await ingest(tenant, INGEST_USAGE, "events", [event]))["accepted"] == 1
    [usage] = await rows(sessions, tenant.tenant_id, "SELECT cost, cost_source FROM usage_events")
    assert usage == {"cost": Decimal("0.5"), "cost_source": "reported"}


async def test_the_price_in_force_at_occurred_at_is_used(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    await price(tenant, "2026-01-01T00:00:00Z", inputPerMillion="3")
    await price(tenant, "2026-03-01T00:00:00Z", inputPerMillion="2")
    events = [
        llm("before", inputTokens=1_000_000, occurredAt="2026-02-28T23:59:59Z"),  # $3
        llm("boundary", inputTokens=1_000_000, occurredAt="2026-03-01T00:00:00Z"),  # $2
        llm("offset", inputTokens=1_000_000, occurredAt="2026-03-01T00:30:00+01:00"),  # $3
    ]
    assert (await ingest(tenant, INGEST_USAGE, "events", events))["accepted"] == 3
    stored = await rows(
        sessions,
        tenant.tenant_id,
        "SELECT event_id, cost, price_effective_from AS since FROM usage_events ORDER BY event_id",
    )
    assert stored == [
        {"event_id": "before", "cost": Decimal("3"), "since": datetime(2026, 1, 1, tzinfo=UTC)},
        {"event_id": "boundary", "cost": Decimal("2"), "since": datetime(2026, 3, 1, tzinfo=UTC)},
        {"event_id": "offset", "cost": Decimal("3"), "since": datetime(2026, 1, 1, tzinfo=UTC)},
    ]


async def test_llm_usage_without_a_price_in_force_is_rejected(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant)
    await price(tenant, "2026-03-01T00:00:00Z")
    events = [
        llm("priced", inputTokens=10),
        llm("too-early", inputTokens=10, occurredAt="2026-02-01T00:00:00Z"),
        llm("other-model", inputTokens=10, model="claude-opus-4"),
    ]
    result = await ingest(tenant, INGEST_USAGE, "events", events)
    assert (result["accepted"], result["duplicates"]) == (0, 0)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [(1, "cost"), (2, "cost")]
    assert "no price in force for anthropic/claude-sonnet-4" in result["errors"][0]["message"]
    assert "setModelPrice" in result["errors"][0]["message"]
    assert await rows(sessions, tenant.tenant_id, "SELECT 1 FROM usage_events") == []


# -- labels and the acceptance hold --------------------------------------------------------------


async def start(tenant, *correlation_ids: str) -> None:
    runs = [
        {"correlationId": cid, "workflowKey": "support", "startedAt": "2026-03-01T00:00:00Z"}
        for cid in correlation_ids
    ]
    assert (await ingest(tenant, START_RUNS, "runs", runs))["accepted"] == len(runs)


async def run_state(sessions, tenant_id: uuid.UUID, cid: str) -> tuple:
    [run] = await rows(
        sessions,
        tenant_id,
        "SELECT status, status_at, ended_at FROM runs WHERE correlation_id = :cid",
        cid=cid,
    )
    return run["status"], run["status_at"], run["ended_at"]


async def labels_applied(sessions, tenant_id: uuid.UUID) -> list[tuple[str, bool]]:
    """(status, applied) of the tenant's labels in `at` order."""
    found = await rows(sessions, tenant_id, "SELECT status, applied FROM run_labels ORDER BY at")
    return [(label["status"], label["applied"]) for label in found]


async def test_a_label_inside_the_hold_revokes_the_acceptance(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant, "support", hold=48)
    await start(tenant, "t-1")
    accept = {"correlationId": "t-1", "status": "ACCEPTED", "at": "2026-03-01T10:00:00Z"}
    await ingest(tenant, LABEL_RUNS, "labels", [accept])
    accepted = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert await run_state(sessions, tenant.tenant_id, "t-1") == ("ACCEPTED", accepted, accepted)

    # The ticket is reopened 47 h later, inside the 48 h hold.
    reopen = {"correlationId": "t-1", "status": "REJECTED", "at": "2026-03-03T09:00:00Z"}
    assert (await ingest(tenant, LABEL_RUNS, "labels", [reopen]))["accepted"] == 1
    rejected = datetime(2026, 3, 3, 9, tzinfo=UTC)
    assert await run_state(sessions, tenant.tenant_id, "t-1") == ("REJECTED", rejected, rejected)
    assert await labels_applied(sessions, tenant.tenant_id) == [
        ("ACCEPTED", True),
        ("REJECTED", True),
    ]


async def test_a_label_after_the_hold_stays_history_only(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant, "support", hold=48)
    await start(tenant, "t-1")
    labels = [
        # Sent in one batch, out of order: the state follows `at`, not arrival.
        {"correlationId": "t-1", "status": "REJECTED", "at": "2026-03-03T10:00:00Z"},
        {"correlationId": "t-1", "status": "ACCEPTED", "at": "2026-03-01T10:00:00Z"},
    ]
    assert (await ingest(tenant, LABEL_RUNS, "labels", labels))["accepted"] == 2
    accepted = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert await run_state(sessions, tenant.tenant_id, "t-1") == ("ACCEPTED", accepted, accepted)
    assert await labels_applied(sessions, tenant.tenant_id) == [
        ("ACCEPTED", True),
        ("REJECTED", False),
    ]


async def test_a_label_repeated_in_a_batch_counts_once(make_owner, sessions) -> None:
    tenant = await make_owner()
    await workflow(tenant, "support")
    await start(tenant, "stored")
    labels = [
        {"correlationId": "stored", "status": "TOOL_ERROR", "at": "2026-03-01T01:00:00Z"},
        {"correlationId": "stored", "status": "TOOL_ERROR", "at": "2026-03-01T01:00:00Z"},
    ]
    result = await ingest(tenant, LABEL_RUNS, "labels", labels)
    assert (result["accepted"], result["duplicates"]) == (1, 1)
    assert (await run_state(sessions, tenant.tenant_id, "stored"))[0] == "TOOL_ERROR"


# -- tenancy -------------------------------------------------------------------------------------


async def test_tenants_with_the_same_keys_stay_separate(make_owner, sessions) -> None:
    first, second = await make_owner(), await make_owner()
    for tenant, cost in ((first, "1"), (second, "2")):
        await workflow(tenant)
        run = {"correlationId": "same", "workflowKey": "outreach", "startedAt": "2026-03-01T00:00Z"}
        assert (await ingest(tenant, START_RUNS, "runs", [run]))["accepted"] == 1
        event = {
            "eventId": "same",
            "correlationId": "same",
            "workflowKey": "outreach",
            "kind": "TOOL",
            "occurredAt": "2026-03-01T00:00:00Z",
            "cost": cost,
        }
        assert (await ingest(tenant, INGEST_USAGE, "events", [event]))["accepted"] == 1
    label = {"correlationId": "same", "status": "ABANDONED", "at": "2026-03-02T00:00:00Z"}
    assert (await ingest(first, LABEL_RUNS, "labels", [label]))["accepted"] == 1

    assert (await run_state(sessions, first.tenant_id, "same"))[0] == "ABANDONED"
    assert (await run_state(sessions, second.tenant_id, "same"))[0] == "RUNNING"
    for tenant, cost in ((first, Decimal("1")), (second, Decimal("2"))):
        assert await rows(sessions, tenant.tenant_id, "SELECT cost FROM usage_events") == [
            {"cost": cost}
        ]
