"""Cost ceilings: the most a rung may cost per slice, and which slices are over (throttle).

A ceiling is (workflow, rung, dimension, value) → USD per rung, set by upsert. Its status is
read over a **rolling window**: the cohort of runs started in the last `window_days` days
before `now` (30 by default) with the workflow-level costs booked in it, sliced by the
ceiling's dimension as a scope on that value would (`app.services.costs.slices`). A slice throttles
when its cost per rung (10 dp) is over the ceiling, or when it spent money and nobody reached
the rung (infinitely expensive); with no spend at all it does not.

Ceilings on a retired rung are kept but not reported (reviving the rung brings them back).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import CostCeiling, LadderRung
from app.db.upserts import excluded_values
from app.domain import ladder
from app.domain.money import quantize_money
from app.services.costs.cohorts import CohortQuestion
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import by_dimension, custom_dimension, split_dimension
from app.services.decisions.dimensions import require_declared
from app.services.ingest.errors import FieldError
from app.services.ladders.cohorts import slice_figures
from app.services.ladders.figures import check_dimension, require_rung
from app.services.tenancy import catalog

CEILINGS = CostCeiling.__table__  # type: ignore[attr-defined]
RUNGS = LadderRung.__table__  # type: ignore[attr-defined]
DEFAULT_WINDOW_DAYS = 30
MAX_WINDOW_DAYS = 366
VALUE_LENGTH = 200
MONEY_LIMIT = Decimal(10) ** 10  # NUMERIC(20, 10)


@dataclass(frozen=True)
class CeilingState:
    """One ceiling against the slice's rolling figures (the GraphQL `CeilingStatus`)."""

    rung: str
    dimension: str
    value: str
    ceiling: Decimal
    total_cost: Decimal
    count: int
    cost_per_rung: Decimal | None
    throttle: bool


@dataclass(frozen=True)
class StoredCeiling:
    workflow_id: uuid.UUID
    rung: str
    dimension: str
    value: str
    ceiling: Decimal


async def set_cost_ceiling(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_key: str,
    rung: str,
    dimension: str,
    value: str,
    ceiling: Decimal,
) -> StoredCeiling:
    """Insert or replace the ceiling of (workflow, rung, dimension, value); returns it as stored.

    `dimension` is CAMPAIGN, CHANNEL, VARIANT, CLIENT, TEAM or "CUSTOM:<key>" (a run dimension
    of the tenant, app.services.costs.slices).

    Raises FieldError naming "workflowKey" (no such workflow), "rung" (not an active rung),
    "dimension" (not one of those), "dimensionKey" (a run dimension the tenant never declared),
    "value" (empty, too long,
    or for CLIENT not the id of one of the tenant's clients) or "ceiling" (not a finite amount
    >= 0 below 10^10; rounded to 10 dp half-even).
    """
    found = await catalog.workflows_by_key(
        session=session, tenant_id=tenant_id, keys=[workflow_key]
    )
    if workflow_key not in found:
        raise FieldError("workflowKey", f"no workflow {workflow_key!r} in this tenant")
    workflow_id = found[workflow_key].workflow_id
    await require_rung(session=session, tenant_id=tenant_id, workflow_id=workflow_id, rung=rung)
    check_dimension(dimension)
    name, key = split_dimension(dimension)
    if key is not None:
        await require_declared(session=session, tenant_id=tenant_id, key=key)
    value = await _checked_value(session, tenant_id, dimension, value)
    amount = _checked_ceiling(ceiling)

    statement = insert(CostCeiling).values(
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        rung_key=rung,
        dimension=name,
        dimension_key=key or "",
        value=value,
        ceiling=amount,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                "tenant_id",
                "workflow_id",
                "rung_key",
                "dimension",
                "dimension_key",
                "value",
            ],
            set_=excluded_values(statement, "ceiling", "updated_at"),
        )
    )
    return StoredCeiling(workflow_id, rung, dimension, value, amount)


async def ceiling_status(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    now: datetime,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> list[CeilingState]:
    """Every ceiling of the workflow's active rungs, ordered by rung position, dimension and
    value, over the runs started in [now - window_days, now).

    One statement for the ceilings, then one per dimension in use (five built in, plus each
    run dimension a ceiling slices by).
    Raises FieldError("windowDays") unless 1 <= window_days <= 366.
    """
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise FieldError("windowDays", f"must be between 1 and {MAX_WINDOW_DAYS}")
    rows = (
        (
            await session.execute(
                select(CEILINGS)
                .join(
                    RUNGS,
                    and_(
                        RUNGS.c.tenant_id == CEILINGS.c.tenant_id,
                        RUNGS.c.workflow_id == CEILINGS.c.workflow_id,
                        RUNGS.c.key == CEILINGS.c.rung_key,
                    ),
                )
                .where(
                    CEILINGS.c.tenant_id == tenant_id,
                    CEILINGS.c.workflow_id == workflow_id,
                    RUNGS.c.retired_at.is_(None),
                )
                .order_by(
                    RUNGS.c.position,
                    CEILINGS.c.dimension,
                    CEILINGS.c.dimension_key,
                    CEILINGS.c.value,
                )
            )
        )
        .mappings()
        .all()
    )
    sliced = [_sliced(row) for row in rows]  # "CUSTOM:<key>" for a run dimension
    rungs_by_dimension: dict[str, set[str]] = defaultdict(set)
    for row, dimension in zip(rows, sliced, strict=True):
        rungs_by_dimension[dimension].add(row["rung_key"])

    window = TimeRange(now - timedelta(days=window_days), now)
    figures = {}
    for dimension, rungs in sorted(rungs_by_dimension.items()):
        found = await slice_figures(
            session=session,
            question=CohortQuestion(tenant_id, [workflow_id], window, CostScope(), now),
            grouping=by_dimension(dimension),
            rungs=sorted(rungs),
        )
        figures[dimension] = found[workflow_id]

    states = []
    for row, dimension in zip(rows, sliced, strict=True):
        slice_ = figures[dimension].get(row["value"])
        total = slice_.total_cost if slice_ is not None else Decimal(0)
        count = slice_.counts.get(row["rung_key"], 0) if slice_ is not None else 0
        window_figures = ladder.RungWindow(total, count)
        states.append(
            CeilingState(
                rung=row["rung_key"],
                dimension=dimension,
                value=row["value"],
                ceiling=row["ceiling"],
                total_cost=total,
                count=count,
                cost_per_rung=window_figures.cost_per_rung,
                throttle=ladder.throttle(window_figures, row["ceiling"]),
            )
        )
    return states


def _sliced(row: Any) -> str:
    """A stored ceiling's slice dimension: its dimension, or "CUSTOM:<key>"."""
    if row["dimension"] == "CUSTOM":
        return custom_dimension(row["dimension_key"])
    return str(row["dimension"])


async def _checked_value(
    session: AsyncSession, tenant_id: uuid.UUID, dimension: str, value: str
) -> str:
    if not value.strip():
        raise FieldError("value", "must not be empty")
    if len(value) > VALUE_LENGTH or "\x00" in value:
        raise FieldError("value", f"must be at most {VALUE_LENGTH} characters, without NUL")
    if dimension != "CLIENT":
        return value
    try:
        client_id = uuid.UUID(value.strip())
    except ValueError:
        raise FieldError("value", f"a CLIENT ceiling needs a client id, not {value!r}") from None
    if not await catalog.clients_by_id(session=session, tenant_id=tenant_id, ids=[client_id]):
        raise FieldError("value", f"no client {client_id} in this tenant")
    return str(client_id)


def _checked_ceiling(ceiling: Decimal) -> Decimal:
    if not isinstance(ceiling, Decimal) or not ceiling.is_finite():
        raise FieldError("ceiling", "must be a finite decimal amount")
    if ceiling < 0:
        raise FieldError("ceiling", f"must be >= 0 (got {ceiling})")
    amount = quantize_money(ceiling)
    if amount >= MONEY_LIMIT:
        raise FieldError("ceiling", f"must be below {MONEY_LIMIT:,}")
    return amount
