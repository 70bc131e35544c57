"""The `run_costs` rollup (migration 0007) equals its recomputation from raw usage and runs after
every write path: /v1/events (also replayed, also above the COPY threshold, also two batches at
once), usage arriving before its run, labels moving runs between statuses, repricing UPDATEs,
deletes; and a hypothesis property over random sequences of raw writes."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from app.domain.pricing import Price
from app.services.costs.basis import CostBasis
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange
from app.services.ingest import writes
from app.services.pricing.prices import set_model_price
from app.services.pricing.repricing import reprice_usage
from app.services.tenancy.tenants import create_api_key
from app.services.tenancy.workflows import upsert_workflow
from tests.integration.properties import database_settings
from tests.integration.test_ingest_events import post

START = datetime(2026, 3, 1, tzinfo=UTC)
RANGE = TimeRange(START - timedelta(days=1), START + timedelta(days=30))
NOW = START + timedelta(days=40)

DIFF = """
SELECT * FROM (
SELECT 'stored' AS side, * FROM (
    SELECT tenant_id, correlation_id, cost, events, has_run FROM run_costs
    EXCEPT SELECT * FROM run_costs_recomputed()) AS extra
UNION ALL
SELECT 'recomputed', * FROM (
    SELECT * FROM run_costs_recomputed()
    EXCEPT SELECT tenant_id, correlation_id, cost, events, has_run FROM run_costs) AS missing
) AS d WHERE correlation_id LIKE :p
"""

# The workflow-level costs by their definition: an anti-join of the range's usage with runs.
RAW_WORKFLOW_LEVEL = """
SELECT u.workflow_id, sum(u.cost) AS cost FROM usage_events u
LEFT JOIN runs r ON r.tenant_id = u.tenant_id AND r.correlation_id = u.correlation_id
WHERE r.correlation_id IS NULL AND u.occurred_at >= :start AND u.occurred_at < :end
GROUP BY u.workflow_id
"""


async def differences(sessions, tenant_id: uuid.UUID, prefix: str = "") -> list[dict]:
    """Rows of run_costs (whose correlation id starts with `prefix`) that differ from their
    recomputation, from either side."""
    async with sessions(tenant_id) as session:
        rows = await session.execute(text(DIFF), {"p": f"{prefix}%"})
        return [dict(r) for r in rows.mappings()]


async def stored(sessions, tenant_id: uuid.UUID) -> dict[str, tuple[Decimal, int, bool]]:
    async with sessions(tenant_id) as session:
        result = await session.execute(
            text("SELECT correlation_id, cost, events, has_run FROM run_costs")
        )
        return {r[0]: (r[1], r[2], r[3]) for r in result}


def run(cid: str, minutes: int = 0) -> dict:
    return {
        "type": "run",
        "correlationId": cid,
        "workflowKey": "support",
        "startedAt": (START + timedelta(minutes=minutes)).isoformat(),
    }


def usage(event_id: str, cid: str | None, cost: str | None = None, minutes: int = 1) -> dict:
    record: dict = {
        "type": "usage",
        "eventId": event_id,
        "workflowKey": "support",
        "occurredAt": (START + timedelta(minutes=minutes)).isoformat(),
    }
    if cid is not None:
        record["correlationId"] = cid
    if cost is None:
        record.update(
            kind="LLM", provider="openai", model="gpt", inputTokens=1_000_000, outputTokens=500_000
        )
    else:
        record.update(kind="TOOL", cost=cost)
    return record


def label(cid: str, status: str, minutes: int) -> dict:
    return {
        "type": "label",
        "correlationId": cid,
        "status": status,
        "at": (START + timedelta(minutes=minutes)).isoformat(),
    }


async def gpt_price(session, t, effective_from, input_rate: str, output_rate: str) -> None:
    """A version of openai/gpt's price (USD per million input and output tokens)."""
    await set_model_price(
        session=session,
        tenant_id=t,
        price=Price(
            provider="openai",
            model="gpt",
            effective_from=effective_from,
            input_per_million=Decimal(input_rate),
            output_per_million=Decimal(output_rate),
        ),
    )


async def setup(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    async with sessions(t) as session:
        wf = await upsert_workflow(
            session=session, tenant_id=t, key="support", name="Support", acceptance_hold_hours=0
        )
        await gpt_price(session, t, START - timedelta(days=30), "1", "2")
    key = await create_api_key(sessions=sessions, tenant_id=t, name="ci", scopes=["ingest"])
    return t, wf.workflow_id, key


async def figures_agree(sessions, t: uuid.UUID, workflow_id: uuid.UUID) -> None:
    """Rollup-based figures equal raw-usage figures: with no invoice recorded, the RECONCILED
    basis is the rack rate summed from raw usage per run."""
    async with sessions(t) as session:
        both = [
            await cohort_figures(
                session=session,
                question=CohortQuestion(t, [workflow_id], RANGE, CostScope(), NOW),
                basis=basis,
            )
            for basis in (CostBasis.RACK_RATE, CostBasis.RECONCILED)
        ]
        raw = dict(
            (
                await session.execute(
                    text(RAW_WORKFLOW_LEVEL), {"start": RANGE.start, "end": RANGE.end}
                )
            ).all()
        )
    assert both[0] == both[1]
    assert both[0][workflow_id].workflow_level_cost == raw.get(workflow_id, Decimal(0))


async def test_rollup_equals_recomputation_after_every_write_path(
    make_tenant, sessions, http, monkeypatch
):
    t, workflow_id, key = await setup(make_tenant, sessions)

    # Runs with priced and reported usage; usage for a run not sent yet; workflow-level usage.
    first = [
        run("a"),
        run("b"),
        usage("a1", "a"),
        usage("a2", "a", "0.1000000001"),
        usage("b1", "b", "0.25"),
        usage("late1", "late", "1.5"),
        usage("wl1", None, "0.75"),
    ]
    assert (await post(http, key, first)).status_code == 200
    assert (await stored(sessions, t))["late"] == (Decimal("1.5"), 1, False)
    assert await differences(sessions, t) == []
    await figures_agree(sessions, t, workflow_id)

    # A replay inserts nothing and adds nothing; a new event for an old run adds to it.
    before = await stored(sessions, t)
    assert (await post(http, key, [*first, usage("a3", "a", "2")])).status_code == 200
    after = await stored(sessions, t)
    assert after["a"] == (before["a"][0] + Decimal(2), 3, True)
    assert {k: v for k, v in after.items() if k != "a"} == {
        k: v for k, v in before.items() if k != "a"
    }

    # The late run arrives: its usage stops being workflow-level.
    assert (
        await post(http, key, [run("late", 5), label("late", "REJECTED", 9)])
    ).status_code == 200
    assert (await stored(sessions, t))["late"] == (Decimal("1.5"), 1, True)
    await figures_agree(sessions, t, workflow_id)

    # Labels move runs between statuses; the rollup is per run, the status read live.
    labels = [label("a", "ACCEPTED", 10), label("b", "REJECTED", 10), label("b", "ACCEPTED", 20)]
    assert (await post(http, key, labels)).status_code == 200
    await figures_agree(sessions, t, workflow_id)

    # Above the COPY threshold (binary COPY into staging, then INSERT … SELECT), replayed.
    monkeypatch.setattr(writes, "COPY_THRESHOLD", 1)
    big = [run("bulk")] + [usage(f"bulk{i}", "bulk", "0.0000000001") for i in range(300)]
    big.append(usage("bulk-wl", None, "1"))
    for _ in range(2):
        assert (await post(http, key, big)).status_code == 200
        assert (await stored(sessions, t))["bulk"] == (Decimal("0.00000003"), 300, True)
    monkeypatch.undo()

    # Two overlapping batches at once: both commit (sorted keys, no deadlock), counted once.
    one = [usage(f"x{i}", cid, "0.01") for i, cid in enumerate(["a", "b", "late", "c"])]
    two = [usage(f"y{i}", cid, "0.02") for i, cid in enumerate(["c", "late", "b", "a"])]
    results = await asyncio.gather(post(http, key, one + two), post(http, key, two + one))
    assert [r.status_code for r in results] == [200, 200]
    assert await differences(sessions, t) == []

    # Repricing: a new price version re-costs the priced event a1 (1M in + 0.5M out).
    async with sessions(t) as session:
        await gpt_price(session, t, START - timedelta(days=1), "3", "4")
    cost_a = (await stored(sessions, t))["a"][0]
    await reprice_usage(sessions=sessions, tenant_id=t, provider="openai", model="gpt", now=NOW)
    # a1 went from 1 + 1 = 2 to 3 + 2 = 5.
    assert (await stored(sessions, t))["a"][0] == cost_a + Decimal(3)
    assert await differences(sessions, t) == []
    await figures_agree(sessions, t, workflow_id)


async def test_rebuild_restores_a_damaged_rollup(make_tenant, sessions, http):
    t, _, key = await setup(make_tenant, sessions)
    assert (
        await post(http, key, [run("a"), usage("a1", "a", "1"), usage("o1", "o", "2")])
    ).status_code == 200
    good = await stored(sessions, t)
    async with sessions(t) as session:
        await session.execute(text("UPDATE run_costs SET cost = cost + 1, has_run = NOT has_run"))
    assert len(await differences(sessions, t)) == 4  # both rows, seen from both sides
    async with sessions(t) as session:
        assert (await session.execute(text("SELECT rebuild_run_costs()"))).scalar_one() == 2
    assert await stored(sessions, t) == good


# Raw writes for the property: (operation, correlation id index, amount).
OPS = st.lists(
    st.tuples(
        st.sampled_from(["usage", "usage_no_run_id", "run", "reprice", "delete", "move"]),
        st.integers(0, 3),
        st.integers(0, 1_000_000),
    ),
    max_size=12,
)


@database_settings(25)
@given(ops=OPS)
async def test_rollup_property_random_raw_writes(make_tenant, sessions, property_state, ops):
    """Whatever sequence of inserts (with duplicate event ids), run arrivals, cost UPDATEs,
    correlation-id changes and deletes: every rollup row equals recomputation from raw rows."""
    if "tenant" not in property_state:
        property_state["tenant"] = await setup(make_tenant, sessions)
    t, workflow_id, _ = property_state["tenant"]
    prefix = uuid.uuid4().hex[:8]
    async with sessions(t) as session:
        for n, (op, i, amount) in enumerate(ops):
            cid = f"{prefix}-{i}"
            params = {
                "t": t,
                "w": workflow_id,
                "cid": cid,
                "eid": f"{prefix}-e{amount % 5}",
                "cost": Decimal(amount) / Decimal(10**7),
                "at": START + timedelta(minutes=n),
            }
            if op in ("usage", "usage_no_run_id"):
                await session.execute(
                    text(
                        "INSERT INTO usage_events (tenant_id, event_id, correlation_id,"
                        " workflow_id, kind, occurred_at, cost, cost_source)"
                        " VALUES (:t, :eid, :cid, :w, 'TOOL', :at, :cost, 'reported')"
                        " ON CONFLICT DO NOTHING"
                    ),
                    {**params, "cid": cid if op == "usage" else None},
                )
            elif op == "run":
                await session.execute(
                    text(
                        "INSERT INTO runs (tenant_id, correlation_id, workflow_id, started_at)"
                        " VALUES (:t, :cid, :w, :at) ON CONFLICT DO NOTHING"
                    ),
                    params,
                )
            elif op == "reprice":
                await session.execute(
                    text(
                        "UPDATE usage_events SET cost = cost + :cost"
                        " WHERE tenant_id = :t AND event_id LIKE :p"
                    ),
                    {**params, "p": f"{prefix}-%"},
                )
            elif op == "move":
                await session.execute(
                    text("UPDATE usage_events SET correlation_id = :cid WHERE event_id = :eid"),
                    params,
                )
            else:
                await session.execute(
                    text("DELETE FROM usage_events WHERE event_id = :eid"), params
                )
    assert await differences(sessions, t, prefix) == []
