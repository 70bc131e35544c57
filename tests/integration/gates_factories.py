"""Rows for the gate tests: a workflow with N days of runs, placed relative to a chosen `now`.

Day d of a window of `window_days` is the UTC day `window_days − d` days before the UTC day of
`now` (the window is the complete UTC days before today); its runs start one hour into it and are
labelled one hour later — before today, so with no acceptance hold an ACCEPTED run counts at once.
Rows go in through a tenant session (RLS on), like `reads_factories`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlmodel import SQLModel

from app.db.sessions import TenantSessions
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import Workflow
from tests.integration.reads_factories import insert, run, usage, workflow


@dataclass(frozen=True)
class Day:
    """One day of a window: `accepted` and `rejected` runs, each costing `cost_per_run`."""

    accepted: int
    rejected: int = 0
    cost_per_run: str = "4.00"


def now_utc() -> datetime:
    return datetime.now(UTC)


def day_start(now: datetime, window_days: int, d: int) -> datetime:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=window_days) + timedelta(days=d)


def rows_for_days(
    tenant_id: uuid.UUID,
    wf: Workflow,
    days: Sequence[Day],
    *,
    now: datetime,
    window_days: int = 30,
    prefix: str = "r",
) -> list[SQLModel]:
    """Runs and their usage for `days` (day 0 first, at the start of the window)."""
    rows: list[SQLModel] = []
    for d, spec in enumerate(days):
        started = day_start(now, window_days, d) + timedelta(hours=1)
        statuses = ["ACCEPTED"] * spec.accepted + ["REJECTED"] * spec.rejected
        for i, status in enumerate(statuses):
            correlation_id = f"{prefix}-{d}-{i}"
            rows.append(run(tenant_id, wf, correlation_id, started_at=started, status=status))
            rows.append(
                usage(
                    tenant_id,
                    wf,
                    spec.cost_per_run,
                    correlation_id=correlation_id,
                    occurred_at=started + timedelta(minutes=5),
                )
            )
    return rows


async def seed_workflow(
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    days: Sequence[Day],
    *,
    now: datetime,
    key: str = "support",
    level: int = 0,
    window_days: int = 30,
) -> Workflow:
    """A workflow at `level` with the runs of `days`; returns the workflow row."""
    wf = workflow(tenant_id, key)
    wf.autonomy_level = level
    await insert(
        sessions,
        tenant_id,
        wf,
        *rows_for_days(tenant_id, wf, days, now=now, window_days=window_days, prefix=key),
    )
    return wf


def gate_row(
    tenant_id: uuid.UUID,
    wf: Workflow,
    *,
    target_level: int = 1,
    version: int = 1,
    min_acceptance_rate: float = 0.8,
    min_sample_size: int = 50,
    max_cost_per_outcome: str = "5.00",
    max_drift_pct: float = 10.0,
    window_days: int = 30,
    auto_demote_after: int | None = None,
    now: datetime | None = None,
) -> GateRow:
    return GateRow(
        tenant_id=tenant_id,
        workflow_id=wf.workflow_id,
        target_level=target_level,
        version=version,
        min_acceptance_rate=min_acceptance_rate,
        min_sample_size=min_sample_size,
        confidence=0.95,
        max_cost_per_outcome=Decimal(max_cost_per_outcome),
        max_drift_pct=max_drift_pct,
        window_days=window_days,
        auto_demote_after=auto_demote_after,
        set_by="test",
        set_at=now or now_utc(),
    )


# 30 days × 4 accepted runs at 4.00: 120/120 accepted, 4.00 per outcome, flat: every check PASSes
# against the default gate (rate >= 0.8 over >= 50 runs, cost <= 5.00, drift <= 10 %).
GREEN = [Day(accepted=4)] * 30
# The same quality, but 6.00 per run: cost per outcome 6.00 > 5.00.
EXPENSIVE = [Day(accepted=4, cost_per_run="6.00")] * 30
# Cheap (2 accepted + 2 rejected at 1.00 → 2.00 per outcome) but only 50 % accepted.
SLOPPY = [Day(accepted=2, rejected=2, cost_per_run="1.00")] * 30
