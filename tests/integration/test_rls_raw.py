"""Row-level security alone, on every tenant table, with the application's filters bypassed.

Tenant A is seeded through the public GraphQL API (isolation_seed.py: clients, workflow, ladder,
price, runs, labels, usage, outcome, revenue, invoice, ceiling, gate, autonomy event, baseline,
ROI markers), an API key through the service, and the worker-written tables (ROI windows,
revenue allocations, gate evaluations) through A's own tenant session. Then raw SQL with no
tenant predicate, through

- a TenantSessions session bound to tenant B, and
- a plain app-role connection with no `app.tenant_id` set,

must see none of A's rows in any table of TENANT_TABLES, and must be refused (by the policies,
"row-level security") an INSERT of a copy of one of A's rows and an UPDATE moving B's rows to A;
UPDATE and DELETE aimed at A's rows touch nothing. test_reads_access.py covers reads through
the resolvers; test_schema_catalog.py that every table has forced RLS.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from app.db.citus import workers_from_env
from app.db.tables import (
    TENANT_TABLES,
    AuditEvent,
    GateEvaluation,
    IdentityProvider,
    IngestHealth,
    Invitation,
    LadderReachDirty,
    ProviderCall,
    RevenueAllocation,
    RoiWindow,
    UsageRepricing,
    User,
)
from app.services.ladders.reach import drain as drain_ladder_reach
from app.services.tenancy.tenants import create_api_key
from tests.integration.isolation_seed import Seeded, seed_tenant
from tests.integration.reads_factories import insert

# Table names below are the constants of TENANT_TABLES, never input.
COUNT_A = "SELECT count(*) FROM {table} WHERE tenant_id = :a"
COUNT_ALL = "SELECT count(*) FROM {table}"
ONE_ROW = "SELECT row_to_json(t)::text FROM {table} AS t WHERE tenant_id = :a LIMIT 1"
INSERT_COPY = (
    "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, CAST(:row AS json))"
)


# Who refuses each cross-tenant write: the policy. On Citus a row's distribution column
# (`tenant_id`) cannot change at all, so Citus refuses the update before the policy sees it.
REFUSALS = {
    "insert of A's row": ("row-level security",),
    "update of B's rows to A": ("row-level security",)
    + (("modifying the partition value of rows is not allowed",) if workers_from_env() else ()),
}


async def worker_rows(sessions: Any, seeded: Seeded) -> None:
    """The rows only workers write, inserted through A's own session (RLS allows its own)."""
    t, wf = seeded.tenant_id, uuid.UUID(seeded.workflow_id)
    client = uuid.UUID(seeded.client_x)
    cohort: date = seeded.start.date()
    now = datetime.now(UTC)
    await insert(
        sessions,
        t,
        RoiWindow(
            tenant_id=t,
            workflow_id=wf,
            cohort_day=cohort,
            client_id=client,
            status="OPEN",
            runs=1,
            successes=1,
            cost=Decimal("7.31"),
            attributed_revenue=Decimal("42.17"),
            baseline_revenue=Decimal(0),
            computed_at=now,
        ),
        RevenueAllocation(
            tenant_id=t,
            event_id=f"{seeded.tag}-revenue-0",
            workflow_id=wf,
            cohort_day=cohort,
            client_id=client,
            amount=Decimal("42.17"),
            runs=1,
        ),
        UsageRepricing(
            tenant_id=t,
            event_id=f"{seeded.tag}-usage-x",
            repriced_at=now,
            old_cost=Decimal("7.31"),
            new_cost=Decimal("7.32"),
            new_price_from=seeded.start,
        ),
        GateEvaluation(
            tenant_id=t,
            evaluation_id=uuid.uuid4(),
            workflow_id=wf,
            target_level=1,
            gate_version=1,
            workflow_level=0,
            status="INSUFFICIENT_DATA",
            readiness={},
            evaluated_at=now,
        ),
    )
    # OTLP bookkeeping and people (rows their own flows write).
    await insert(
        sessions,
        t,
        ProviderCall(
            tenant_id=t, call_key=f"span:{seeded.tag}", event_id=f"{seeded.tag}-usage-x", detail=3
        ),
        IngestHealth(
            tenant_id=t,
            day=cohort,
            source="otlp",
            workflow_key="(none)",
            reason="rejected: probe",
            spans=1,
            examples=["probe"],
            last_seen_at=now,
        ),
        IdentityProvider(
            tenant_id=t,
            issuer="https://idp.example",
            client_id="ledger",
            client_secret_encrypted="x",
            allowed_domains=["agency.example"],
            role_claim="groups",
            role_map={},
        ),
        User(
            tenant_id=t,
            user_id=uuid.uuid4(),
            email=f"{seeded.tag}@client.example",
            subject=f"invitation|{seeded.tag}",
            role="CLIENT_VIEWER",
            client_id=client,
        ),
        Invitation(
            tenant_id=t,
            invitation_id=uuid.uuid4(),
            client_id=client,
            email=f"{seeded.tag}@client.example",
            token_hash=seeded.tag.ljust(64, "0")[:64],
            created_by="test",
            expires_at=now,
        ),
        AuditEvent(
            tenant_id=t, event_id=uuid.uuid4(), at=now, actor="test", action="sign_in", detail={}
        ),
    )
    # The ladder reach rollup: rows from a drain, then one marker left dirty.
    async with sessions(t) as session:
        assert await drain_ladder_reach(session) > 0
    await insert(sessions, t, LadderReachDirty(tenant_id=t, workflow_id=wf, who="s:rls-marker"))


@pytest.fixture
async def seeded_pair(make_tenant, sessions) -> tuple[Seeded, Seeded]:
    a_handle, b_handle = await make_tenant(), await make_tenant()
    a = await seed_tenant(a_handle, "rlsa", salt=3)
    b = await seed_tenant(b_handle, "rlsb", salt=5)
    for seeded in (a, b):  # B has rows everywhere too: an UPDATE moving them to A is refused
        await worker_rows(sessions, seeded)
        await create_api_key(
            sessions=sessions, tenant_id=seeded.tenant_id, name="ci", scopes=["read"]
        )
    return a, b


async def counts_of_a(sessions: Any, a: uuid.UUID) -> dict[str, int]:
    """Rows of tenant `a` per table, as `a` sees them."""
    async with sessions(a) as session:
        return {
            table: (await session.execute(text(COUNT_A.format(table=table)), {"a": a})).scalar_one()
            for table in TENANT_TABLES
        }


async def test_every_tenant_table_hides_and_protects_a_rows(app, sessions, seeded_pair) -> None:
    a, b = seeded_pair
    before = await counts_of_a(sessions, a.tenant_id)
    assert [table for table, n in before.items() if n == 0] == [], "seed a row in every table"
    assert 0 not in (await counts_of_a(sessions, b.tenant_id)).values()

    rows: dict[str, str] = {}
    async with sessions(a.tenant_id) as session:
        for table in TENANT_TABLES:
            row = await session.execute(text(ONE_ROW.format(table=table)), {"a": a.tenant_id})
            rows[table] = row.scalar_one()

    problems: list[str] = []
    for table in TENANT_TABLES:
        # tenant B's session, raw SQL without any tenant predicate
        async with sessions(b.tenant_id) as session:
            seen = (
                await session.execute(text(COUNT_A.format(table=table)), {"a": a.tenant_id})
            ).scalar_one()
            foreign = (
                await session.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id <> :b"),  # noqa: S608
                    {"b": b.tenant_id},
                )
            ).scalar_one()
            touched = 0
            for statement in (
                f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :a",  # noqa: S608
                f"DELETE FROM {table} WHERE tenant_id = :a",  # noqa: S608
            ):
                result: Any = await session.execute(text(statement), {"a": a.tenant_id})
                touched += result.rowcount
        if seen or foreign or touched:
            problems.append(f"{table}: B saw {seen}/{foreign} foreign rows, touched {touched}")
        for label, statement, params in (
            ("insert of A's row", INSERT_COPY.format(table=table), {"row": rows[table]}),
            (
                "update of B's rows to A",
                f"UPDATE {table} SET tenant_id = :a WHERE tenant_id = :b",  # noqa: S608
                {"a": a.tenant_id, "b": b.tenant_id},
            ),
        ):
            try:
                async with sessions(b.tenant_id) as session:
                    await session.execute(text(statement), params)
            except Exception as exc:  # the policy, not a key or type error, must refuse it
                if not any(reason in str(exc) for reason in REFUSALS[label]):
                    problems.append(f"{table}: {label} refused for another reason: {exc}")
            else:
                problems.append(f"{table}: {label} was allowed in B's session")

        # a plain app-role connection: no tenant set at all
        async with app.state.engine.connect() as conn:
            visible = (await conn.execute(text(COUNT_ALL.format(table=table)))).scalar_one()
            if visible:
                problems.append(f"{table}: {visible} rows visible with no tenant set")
            try:
                async with conn.begin_nested():
                    await conn.execute(text(INSERT_COPY.format(table=table)), {"row": rows[table]})
            except Exception as exc:
                if "row-level security" not in str(exc):
                    problems.append(f"{table}: no-tenant insert refused for another reason: {exc}")
            else:
                problems.append(f"{table}: insert with no tenant set was allowed")
            await conn.rollback()

    assert problems == [], "\n".join(problems)
    assert await counts_of_a(sessions, a.tenant_id) == before
