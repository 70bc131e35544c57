"""Failed runs of a workflow's cohort by status and raw reason text, set-wise in PostgreSQL.

The cohort is `app.services.costs.cohorts.cohort_runs` (runs started in range matching the
scope, each with its full usage cost). A failed run's reason is the reason of the latest applied
label that gave it its current status (a LATERAL probe of the `run_labels` primary key). SQL
only counts and sums per (workflow, status, raw text); `app.domain.failure_reasons` normalises
the texts into codes and ranks them, so there is one definition of a code.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import RunLabel
from app.domain.enums import RunStatus
from app.domain.failure_reasons import ReasonRuns
from app.services.costs.cohorts import CohortQuestion, cohort_runs
from app.services.costs.rules import failed

LABELS = RunLabel.__table__  # type: ignore[attr-defined]


async def reason_runs(
    *,
    session: AsyncSession,
    question: CohortQuestion,
) -> dict[uuid.UUID, list[ReasonRuns]]:
    """Per workflow: (status, raw reason, failed runs, their cost) rows; [] for no failures."""
    cohort = cohort_runs(question)
    label = (
        select(LABELS.c.reason)
        .where(
            LABELS.c.tenant_id == question.tenant_id,
            LABELS.c.correlation_id == cohort.c.correlation_id,
            LABELS.c.status == cohort.c.status,
            LABELS.c.applied,
        )
        .order_by(LABELS.c.at.desc())
        .limit(1)
        .lateral("label")
    )
    statement = (
        select(
            cohort.c.workflow_id,
            cohort.c.status,
            label.c.reason,
            func.count().label("runs"),
            func.coalesce(func.sum(cohort.c.cost), Decimal(0)).label("cost"),
        )
        .select_from(cohort.outerjoin(label, true()))
        .where(failed(cohort.c.status))
        .group_by(cohort.c.workflow_id, cohort.c.status, label.c.reason)
    )
    found: dict[uuid.UUID, list[ReasonRuns]] = {wid: [] for wid in question.workflow_ids}
    for row in (await session.execute(statement)).mappings():
        found[row["workflow_id"]].append(
            ReasonRuns(RunStatus(row["status"]), row["reason"], row["runs"], row["cost"])
        )
    return found
