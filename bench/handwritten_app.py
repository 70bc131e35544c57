"""The hand-written floor for bench/read_bench.py: Starlette + the same service SQL, no GraphQL.

Two endpoints answer exactly the JSON that the GraphQL queries of `bench.read_bench` return
(`{"data": …}` with the contract's camelCase and Decimal strings), for one tenant fixed at start
(`BENCH_TENANT_ID`; there is no authentication — that is part of what the floor leaves out):

- `GET /dashboard?from=…&to=…`: every workflow's costPerOutcome, failureCostShare,
  ladderCosts over the range, and readiness (gate in force, evaluated now);
- `GET /client?id=…&workflow=…&from=…&to=…`: one client's costPerOutcome and roi of one workflow.

The SQL is the services' own (`app.services.costs.cohorts.cohort_figures`,
`ladders.cohorts.rung_counts`, `catalog.*`, `readiness.readiness_of`, `roi_reads.*`), run through
the same TenantSessions (the app role, `app.tenant_id` set in the transaction, forced row-level
security), batched across workflows exactly as the GraphQL DataLoaders batch it, and, like the
loaders, in concurrent transactions (one per loader: cost figures, ladder counts, rungs, readiness,
ROI), so the difference measured is the GraphQL layer (parsing, validation, authentication,
resolvers, loaders, serialization), not different queries.

    DATABASE_URL=… BENCH_TENANT_ID=… uvicorn --factory bench.handwritten_app:create_app
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.db.sessions import TenantSessions, create_engine
from app.domain.readiness import Readiness
from app.domain.roi import add_totals, days_in_range, range_complete, roi_figures
from app.services.costs import figures as costs
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange
from app.services.gates.readiness import readiness_of
from app.services.gates.readiness_json import readiness_to_json
from app.services.ladders import figures as ladders
from app.services.ladders.cohorts import rung_counts
from app.services.roi.reads import group_totals, unattributed_revenue, workflows_pending
from app.services.tenancy import catalog
from app.settings import Settings

T = TypeVar("T")


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


def readiness_json(r: Readiness) -> dict[str, Any]:
    """The fields of bench.read_bench's query: the stored JSON of a readiness without `status`
    and `evaluatedAt` (the request's clock)."""
    return {k: v for k, v in readiness_to_json(r).items() if k not in ("status", "evaluatedAt")}


def _money(value: Decimal | None) -> str | None:
    """As the RoiSummary type prints money: a zero is "0", not "0E-10"."""
    return None if value is None else _dec(Decimal(0) if value == 0 else value)


def _range(request: Request) -> TimeRange:
    q = request.query_params
    start, end = datetime.fromisoformat(q["from"]), datetime.fromisoformat(q["to"])
    return TimeRange(start.astimezone(UTC), end.astimezone(UTC))


async def _in_session(request: Request, read: Callable[..., Awaitable[T]], **arguments: Any) -> T:
    """`read(session=…, **arguments)` in a transaction of its own (as each loader has one), for
    the floor's tenant."""
    sessions: TenantSessions = request.app.state.sessions
    async with sessions(request.app.state.tenant_id) as session:
        return await read(session=session, **arguments)


async def _read(request: Request, read: Callable[..., Awaitable[T]], **arguments: Any) -> T:
    """`read(session=…, tenant_id=…, **arguments)` (`_in_session`) for the floor's tenant."""
    return await _in_session(request, read, tenant_id=request.app.state.tenant_id, **arguments)


async def dashboard(request: Request) -> JSONResponse:
    window, now, scope = _range(request), datetime.now(UTC), CostScope()
    rows = await _read(request, catalog.list_workflows)
    ids = [row.workflow_id for row in rows]
    question = CohortQuestion(request.app.state.tenant_id, ids, window, scope, now)
    figures, counts, rungs, ready = await asyncio.gather(
        _in_session(request, cohort_figures, question=question),
        _in_session(request, rung_counts, question=question),
        _read(request, catalog.ladders, workflow_ids=ids),
        _read(request, readiness_of, workflows=rows, now=now),
    )
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
            "readiness": readiness_json(ready[row.workflow_id]),
        }
        for row in rows
    ]
    return JSONResponse({"data": {"workflows": workflows}})


async def client(request: Request) -> JSONResponse:
    client_id = uuid.UUID(request.query_params["id"])
    window, now = _range(request), datetime.now(UTC)
    found = await _read(request, catalog.workflows_by_key, keys=[request.query_params["workflow"]])
    wid = next(iter(found.values())).workflow_id
    scope = CostScope(client_id=client_id)
    question = CohortQuestion(request.app.state.tenant_id, [wid], window, scope, now)
    figures, roi = await asyncio.gather(
        _in_session(request, cohort_figures, question=question),
        _read(request, client_roi, workflow_id=wid, client_id=client_id, window=window, now=now),
    )
    body = {"costPerOutcome": cost_json(figures[wid]), "roi": roi}
    return JSONResponse({"data": {"client": body}})


async def client_roi(
    *,
    session: Any,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    client_id: uuid.UUID,
    window: TimeRange,
    now: datetime,
) -> dict[str, Any]:
    """One client's ROI of one workflow: the three statements of the RoiTotals loader."""
    groups = await group_totals(
        session=session, tenant_id=tenant_id, time_range=window,
        workflow_ids=[workflow_id], client_ids=[client_id],
    )  # fmt: skip
    amounts = await unattributed_revenue(
        session=session, tenant_id=tenant_id, time_range=window, client_ids=[client_id]
    )
    pending = await workflows_pending(session=session, tenant_id=tenant_id, time_range=window)
    mine = [g for g in groups if g.workflow_id == workflow_id and g.client_id == client_id]
    unattributed = sum(
        (a for (c, w), a in amounts.items() if c == client_id and w == workflow_id), Decimal(0)
    )
    days = days_in_range(window.start, window.end)
    complete = range_complete(
        last_day=days[1] if days else None,
        now=now,
        any_open=workflow_id in pending or any(g.any_open for g in mine),
    )
    f = roi_figures(add_totals(g.totals for g in mine))
    return {
        "cost": _money(f.cost),
        "successes": f.successes,
        "costPerSuccess": _money(f.cost_per_success),
        "attributedRevenue": _money(f.attributed_revenue),
        "unattributedRevenue": _money(unattributed),
        "baselineRevenue": _money(f.baseline_revenue),
        "lift": _money(f.lift),
        "roi": f.roi,
        "complete": complete,
    }


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
