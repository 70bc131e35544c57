"""The hand-written floor for bench/read_bench.py: Starlette + the same service SQL, no GraphQL.

Two endpoints answer exactly the JSON that the GraphQL queries of `bench.read_bench` return
(`{"data": …}` with the contract's camelCase and Decimal strings), for one tenant fixed at start
(`BENCH_TENANT_ID`; there is no authentication — that is part of what the floor leaves out):

- `GET /dashboard?from=…&to=…`: every workflow's costPerOutcome, failureCostShare and
  ladderCosts over the range;
- `GET /client?id=…&workflow=…&from=…&to=…`: one client's costPerOutcome of one workflow.

The SQL is the services' own (`app.services.cohorts.cohort_figures`, `ladder_cohorts.rung_counts`,
`catalog.*`), run through the same TenantSessions (the app role, `app.tenant_id` set in the
transaction, forced row-level security) and batched across workflows exactly as the GraphQL
DataLoaders batch it, so the difference measured is the GraphQL layer (parsing, validation,
authentication, resolvers, loaders, serialization), not different queries.

    DATABASE_URL=… BENCH_TENANT_ID=… uvicorn --factory bench.handwritten_app:create_app
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.db.sessions import TenantSessions, create_engine
from app.services import catalog, costs, ladders
from app.services.cohorts import cohort_figures
from app.services.ladder_cohorts import rung_counts
from app.services.scope import CostScope, TimeRange
from app.settings import Settings


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def cost_json(figures: Any) -> dict[str, Any]:
    c = costs.cost_per_outcome_of(figures)
    return {
        "attempts": c.attempts,
        "acceptedOutcomes": c.accepted_outcomes,
        "pendingOutcomes": c.pending_outcomes,
        "totalCost": _dec(c.total_cost),
        "costPerAttempt": _dec(c.cost_per_attempt),
        "costPerOutcome": _dec(c.cost_per_outcome),
        "successRate": _float(c.success_rate),
        "failureCostShare": _float(c.failure_cost_share),
    }


def failure_json(figures: Any) -> dict[str, Any]:
    f = costs.failure_cost_share_of(figures)
    return {
        "totalCost": _dec(f.total_cost),
        "failedCost": _dec(f.failed_cost),
        "share": _float(f.share),
        "byStatus": [
            {
                "status": getattr(s.status, "value", s.status),
                "runs": s.runs,
                "cost": _dec(s.cost),
                "share": _float(s.share) or 0.0,
            }
            for s in f.by_status
        ],
    }


def ladder_json(rung_costs: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "rung": r.rung,
            "position": r.position,
            "count": r.count,
            "totalCost": _dec(r.total_cost),
            "costPerRung": _dec(r.cost_per_rung),
            "conversionFromPrevious": _float(r.conversion_from_previous),
        }
        for r in rung_costs
    ]


def _range(request: Request) -> TimeRange:
    q = request.query_params
    start, end = datetime.fromisoformat(q["from"]), datetime.fromisoformat(q["to"])
    return TimeRange(start.astimezone(UTC), end.astimezone(UTC))


async def dashboard(request: Request) -> JSONResponse:
    sessions: TenantSessions = request.app.state.sessions
    tenant_id: uuid.UUID = request.app.state.tenant_id
    window, now, scope = _range(request), datetime.now(UTC), CostScope()
    async with sessions(tenant_id) as session:
        rows = await catalog.list_workflows(session=session, tenant_id=tenant_id)
        ids = [row.workflow_id for row in rows]
        figures = await cohort_figures(
            session=session, tenant_id=tenant_id, workflow_ids=ids, time_range=window,
            scope=scope, now=now,
        )  # fmt: skip
        counts = await rung_counts(
            session=session, tenant_id=tenant_id, workflow_ids=ids, time_range=window,
            scope=scope, now=now,
        )  # fmt: skip
        rungs = await catalog.ladders(session=session, tenant_id=tenant_id, workflow_ids=ids)
    workflows = [
        {
            "key": row.key,
            "costPerOutcome": cost_json(figures[row.workflow_id]),
            "failureCostShare": failure_json(figures[row.workflow_id]),
            "ladderCosts": ladder_json(
                ladders.rung_costs_of(
                    rungs[row.workflow_id], counts[row.workflow_id], figures[row.workflow_id]
                )
            ),
        }
        for row in rows
    ]
    return JSONResponse({"data": {"workflows": workflows}})


async def client(request: Request) -> JSONResponse:
    sessions: TenantSessions = request.app.state.sessions
    tenant_id: uuid.UUID = request.app.state.tenant_id
    client_id = uuid.UUID(request.query_params["id"])
    window, now = _range(request), datetime.now(UTC)
    async with sessions(tenant_id) as session:
        found = await catalog.workflows_by_key(
            session=session, tenant_id=tenant_id, keys=[request.query_params["workflow"]]
        )
        workflow = next(iter(found.values()))
        figures = await cohort_figures(
            session=session, tenant_id=tenant_id, workflow_ids=[workflow.workflow_id],
            time_range=window, scope=CostScope(client_id=client_id), now=now,
        )  # fmt: skip
    body = {"costPerOutcome": cost_json(figures[workflow.workflow_id])}
    return JSONResponse({"data": {"client": body}})


def create_app() -> Starlette:
    settings = Settings()  # DATABASE_URL, LEDGER_DATA_DIR… as for `ledger serve`
    engine = create_engine(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app = Starlette(
        routes=[Route("/dashboard", dashboard), Route("/client", client)], lifespan=lifespan
    )
    app.state.sessions = TenantSessions(engine)
    app.state.tenant_id = uuid.UUID(os.environ["BENCH_TENANT_ID"])
    return app
