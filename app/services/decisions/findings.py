"""What the findings read: usage figures per workflow, sample calls, and the tenant's thresholds.

Usage figures are over the events that *occurred* in [from, to) (as `costBreakdown`), one
aggregate statement for any number of workflows; the cohort figures (effort tiers, failures)
come from the cohort loaders. Every amount is an exact NUMERIC sum; the per-event formulas
mirror `app.domain.usage_findings` (`excess_context_cost`) and `app.domain.caching` (the saving of a
cache read), rounded to 10 dp per event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import FindingThreshold, ModelPrice
from app.db.upserts import excluded_values
from app.domain.enums import FAILURE_STATUSES, UsageKind
from app.domain.finding_thresholds import BY_NAME, check_threshold
from app.domain.pricing import TOKENS_PER_UNIT
from app.domain.usage_findings import ContextStats, PlacementStats
from app.services.costs.basis import MONEY_DIGITS
from app.services.costs.cohorts import CohortQuestion, cohort_runs
from app.services.costs.scope import USAGE, TimeRange, in_range
from app.services.ingest.errors import FieldError

PRICES = ModelPrice.__table__  # type: ignore[attr-defined]
THRESHOLDS = FindingThreshold.__table__  # type: ignore[attr-defined]
ZERO = Decimal(0)
SAMPLES = 5


@dataclass(frozen=True)
class UsageFigures:
    context: ContextStats
    placement: PlacementStats
    samples: dict[str, list[str]] = field(default_factory=dict)


def _filters(tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], span: TimeRange) -> list[Any]:
    return [
        USAGE.c.tenant_id == tenant_id,
        USAGE.c.workflow_id.in_(workflow_ids),
        *in_range(USAGE.c.occurred_at, span),
    ]


async def usage_figures(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    long_context_tokens: int,
) -> dict[uuid.UUID, UsageFigures]:
    """Per workflow: LLM input and cache figures, very long calls, spend without a step."""
    tokens = USAGE.c.input_tokens + USAGE.c.cache_read_tokens
    is_llm = USAGE.c.kind == UsageKind.LLM.value
    is_long = and_(is_llm, tokens > long_context_tokens)
    unplaced = USAGE.c.step.is_(None)
    read_rate = func.coalesce(PRICES.c.cache_read_per_million, PRICES.c.input_per_million)
    saving = func.round(
        (PRICES.c.input_per_million - read_rate) * USAGE.c.input_tokens / TOKENS_PER_UNIT,
        MONEY_DIGITS,
    )
    excess = func.round(
        USAGE.c.cost * (tokens - long_context_tokens) / func.nullif(tokens, 0), MONEY_DIGITS
    )
    statement = (
        select(
            USAGE.c.workflow_id,
            func.count().filter(is_llm).label("llm_calls"),
            func.coalesce(func.sum(USAGE.c.input_tokens).filter(is_llm), 0).label("input"),
            func.coalesce(func.sum(USAGE.c.cache_read_tokens).filter(is_llm), 0).label("reads"),
            func.coalesce(func.sum(saving).filter(is_llm), ZERO).label("saving"),
            func.count().filter(is_long).label("long_calls"),
            func.coalesce(func.sum(USAGE.c.cost).filter(is_long), ZERO).label("long_cost"),
            func.coalesce(func.sum(excess).filter(is_long), ZERO).label("long_excess"),
            func.coalesce(func.max(tokens).filter(is_long), 0).label("longest"),
            func.coalesce(func.sum(USAGE.c.cost), ZERO).label("total"),
            func.coalesce(func.sum(USAGE.c.cost).filter(unplaced), ZERO).label("unplaced"),
            func.count().filter(unplaced).label("unplaced_events"),
        )
        .select_from(
            USAGE.outerjoin(
                PRICES,
                and_(
                    PRICES.c.tenant_id == USAGE.c.tenant_id,
                    USAGE.c.cost_source == literal("priced"),
                    PRICES.c.provider == USAGE.c.provider,
                    PRICES.c.model == USAGE.c.model,
                    PRICES.c.effective_from == USAGE.c.price_effective_from,
                ),
            )
        )
        .where(*_filters(tenant_id, workflow_ids, time_range))
        .group_by(USAGE.c.workflow_id)
    )
    samples = await _samples(session, tenant_id, workflow_ids, time_range, is_llm, is_long)
    found: dict[uuid.UUID, UsageFigures] = {}
    for row in (await session.execute(statement)).mappings():
        wid = row["workflow_id"]
        mine = samples.get(wid, {})
        found[wid] = UsageFigures(
            context=ContextStats(
                llm_calls=row["llm_calls"],
                input_tokens=int(row["input"]),
                cache_read_tokens=int(row["reads"]),
                uncached_saving=Decimal(row["saving"]),
                long_calls=row["long_calls"],
                long_cost=Decimal(row["long_cost"]),
                long_excess_cost=Decimal(row["long_excess"]),
                longest_call_tokens=int(row["longest"]),
                long_call_ids=mine.get("long", []),
                sample_call_ids=mine.get("input", []),
            ),
            placement=PlacementStats(
                total_cost=Decimal(row["total"]),
                unplaced_cost=Decimal(row["unplaced"]),
                unplaced_events=row["unplaced_events"],
                sample_call_ids=mine.get("unplaced", []),
            ),
        )
    return found


async def _samples(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    span: TimeRange,
    is_llm: Any,
    is_long: Any,
) -> dict[uuid.UUID, dict[str, list[str]]]:
    """The calls behind each usage pattern: per workflow the 5 costliest very long calls, the 5
    LLM calls with the most uncached input, the 5 costliest events without a step."""

    def top(category: str, condition: Any, order: Any) -> Any:
        ranked = (
            select(
                USAGE.c.workflow_id,
                USAGE.c.event_id,
                literal(category).label("category"),
                func.row_number()
                .over(partition_by=USAGE.c.workflow_id, order_by=(order.desc(), USAGE.c.event_id))
                .label("n"),
            )
            .where(*_filters(tenant_id, workflow_ids, span), condition)
            .subquery()
        )
        return select(ranked.c.workflow_id, ranked.c.event_id, ranked.c.category, ranked.c.n).where(
            ranked.c.n <= SAMPLES
        )

    statement = union_all(
        top("long", is_long, USAGE.c.cost),
        top("input", is_llm, USAGE.c.input_tokens),
        top("unplaced", USAGE.c.step.is_(None), USAGE.c.cost),
    ).order_by("category", "workflow_id", "n")
    found: dict[uuid.UUID, dict[str, list[str]]] = {}
    for wid, event_id, category, _ in await session.execute(statement):
        found.setdefault(wid, {}).setdefault(category, []).append(event_id)
    return found


async def costliest_failed_runs(
    *, session: AsyncSession, question: CohortQuestion
) -> dict[uuid.UUID, list[str]]:
    """Per workflow, the correlation ids of its cohort's 5 costliest failed runs."""
    cohort = cohort_runs(question)
    ranked = (
        select(
            cohort.c.workflow_id,
            cohort.c.correlation_id,
            func.row_number()
            .over(
                partition_by=cohort.c.workflow_id,
                order_by=(cohort.c.cost.desc(), cohort.c.correlation_id),
            )
            .label("n"),
        )
        .where(cohort.c.status.in_([s.value for s in FAILURE_STATUSES]))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.workflow_id, ranked.c.correlation_id)
        .where(ranked.c.n <= SAMPLES)
        .order_by(ranked.c.workflow_id, ranked.c.n)
    )
    found: dict[uuid.UUID, list[str]] = {}
    for wid, corr in rows:
        found.setdefault(wid, []).append(corr)
    return found


async def tenant_thresholds(*, session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, Decimal]:
    """The thresholds the tenant set (names absent here take their default)."""
    rows = await session.execute(
        select(THRESHOLDS.c.name, THRESHOLDS.c.value).where(THRESHOLDS.c.tenant_id == tenant_id)
    )
    return {row.name: row.value for row in rows}


async def set_threshold(
    *, session: AsyncSession, tenant_id: uuid.UUID, name: str, value: Decimal | None
) -> None:
    """Set a threshold (`value` None: back to its default). Raises FieldError naming "name" or
    "value" (see `app.domain.finding_thresholds.check_threshold`)."""
    if value is None:
        check_name(name)
        await session.execute(
            delete(THRESHOLDS).where(THRESHOLDS.c.tenant_id == tenant_id, THRESHOLDS.c.name == name)
        )
        return
    check_name(name)
    try:
        checked = check_threshold(name, value)
    except ValueError as exc:
        raise FieldError("value", str(exc)) from None
    statement = insert(FindingThreshold).values(tenant_id=tenant_id, name=name, value=checked)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "name"],
            set_=excluded_values(statement, "value", "updated_at"),
        )
    )


def check_name(name: str) -> None:
    if name not in BY_NAME:
        raise FieldError("name", f"unknown threshold {name!r}; one of {', '.join(BY_NAME)}")
