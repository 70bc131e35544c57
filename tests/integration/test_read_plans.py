"""A client's cost per outcome reads the rollup and its workflow's held runs, never the client's
run history: one workflow's 30-day cohort figures scoped to one client read at most READ_BOUND
rows, counted by PostgreSQL (`pg_stat_get_xact_tuples_returned` of every table and index, within
the read's transaction), on two analysed shapes: two clients' 180 days of one workflow (40,000
runs) and of eight (80,000).

The held correction (`app.services.costs.cohorts.rollup.held_correction`) counts the ACCEPTED
runs still inside their hold; its range is `ix_runs_accepted_status_at`. On the 1M-run tenant of
`bench.generate` the client's filter made the planner read every run of that client and workflow
through `ix_runs_workflow_client_started` instead (85 ms of a 63 ms-p50 client view; 19 ms
since). These smaller shapes do not lead the planner there; they hold the bound against the
other ways out, e.g. the held runs taken as their own subquery, which read all 40,000 runs of the
first shape in a sequential scan.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from app.db.sessions import TenantSessions
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange
from app.services.tenancy.tenants import create_tenant
from app.services.tenancy.workflows import upsert_workflow
from tests.scratch_databases import connected, migrated_database

READ_BOUND = 1_500
NOW = datetime(2026, 9, 1, tzinfo=UTC)
RANGE = TimeRange(NOW - timedelta(days=30), NOW)
HOLD_HOURS = 72


@dataclass(frozen=True)
class Shape:
    """`workflows` workflows, each with `runs` runs of each of two clients. Run i (1..runs)
    starts at NOW - i * 180 days / runs - 2 h and is ACCEPTED an hour later: in the range when
    i * 180 days / runs <= 30 days - 2 h, still held when i * 180 days / runs < 71 h."""

    workflows: int
    runs: int
    in_range: int  # by hand from the above
    held: int


SHAPES = [Shape(1, 20_000, 3324, 328), Shape(8, 5_000, 831, 82)]

COUNTERS = """
SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)::int8
FROM pg_class AS c JOIN pg_namespace AS s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'i') AND s.nspname = 'public'
"""

# As the owner.
SEED_CLIENT = (
    "INSERT INTO clients (tenant_id, client_id, name) "
    "VALUES ($1, $2::uuid, 'Client ' || $2::uuid::text)"
)
SEED_RUNS = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, client_id, started_at, status,
                  status_at, ended_at)
SELECT $1, $2::uuid::text || '-' || $3::uuid::text || '-' || i, $2::uuid, $3::uuid,
       $4::timestamptz - (i * interval '180 days' / $5::int) - interval '2 hours',
       'ACCEPTED',
       $4::timestamptz - (i * interval '180 days' / $5::int) - interval '1 hour',
       $4::timestamptz - (i * interval '180 days' / $5::int) - interval '1 hour'
FROM generate_series(1, $5::int) AS i
"""


@dataclass
class Seeded:
    shape: Shape
    sessions: TenantSessions
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID
    client_id: uuid.UUID


@pytest.fixture(scope="module", params=SHAPES, ids=lambda s: f"{s.workflows}-workflows")
async def seeded(request: pytest.FixtureRequest, servers: Any) -> AsyncIterator[Seeded]:
    shape: Shape = request.param
    async with migrated_database(
        servers.database_url, servers.redis_url, "ledger_read_plans"
    ) as db:
        sessions = db.sessions
        tenant_id = await create_tenant(sessions=sessions, name="read plans")
        async with sessions(tenant_id) as session:
            workflows = [
                await upsert_workflow(
                    session=session,
                    tenant_id=tenant_id,
                    key=f"support-{k}",
                    name=f"Support {k}",
                    acceptance_hold_hours=HOLD_HOURS,
                )
                for k in range(shape.workflows)
            ]
        clients = [uuid.uuid4(), uuid.uuid4()]
        async with connected(db.url) as owner:
            for client_id in clients:
                await owner.execute(SEED_CLIENT, tenant_id, client_id)
                for workflow in workflows:
                    await owner.execute(
                        SEED_RUNS, tenant_id, workflow.workflow_id, client_id, NOW, shape.runs
                    )
            await owner.execute("ANALYZE")
        yield Seeded(shape, sessions, tenant_id, workflows[0].workflow_id, clients[0])


async def test_a_clients_cohort_figures_read_the_rollup_and_the_held_runs_only(
    seeded: Seeded,
) -> None:
    question = CohortQuestion(
        seeded.tenant_id,
        [seeded.workflow_id],
        RANGE,
        CostScope(client_id=seeded.client_id),
        NOW,
    )
    async with seeded.sessions(seeded.tenant_id) as session:
        before = (await session.execute(text(COUNTERS))).scalar_one()
        # when one client's 30-day cohort figures of one workflow are read
        figures = (await cohort_figures(session=session, question=question))[seeded.workflow_id]
        read = (await session.execute(text(COUNTERS))).scalar_one() - before
    # then they are that client's runs of the range, the newest three days' still held ...
    shape = seeded.shape
    assert (figures.attempts, figures.pending) == (shape.in_range, shape.held)
    assert figures.accepted == shape.in_range - shape.held
    # ... read from the rollup and the workflow's held runs, not from the client's 180 days
    assert read <= READ_BOUND, read
