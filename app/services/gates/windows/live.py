"""The window's runs read live: `cohort_runs` grouped by start day (the reference the rollup
path is held to)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    and_,
    func,
    select,
)

from app.domain.enums import RunStatus
from app.services.costs.cohorts import CohortQuestion, cohort_runs, with_runs
from app.services.costs.rules import counted
from app.services.costs.scope import (
    RUNS,
    TimeRange,
)
from app.services.gates.windows.pieces import (
    WHOLE_COHORT,
    day_of,
    piece,
)


def live_runs_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> Any:
    """The all-live buckets of the cohort's runs: `cohort_runs` grouped by start day."""
    cohort = cohort_runs(CohortQuestion(tenant_id, workflow_ids, window, WHOLE_COHORT, now))
    started = RUNS.alias("started_run")
    run_day = day_of(started.c.started_at, window.start)
    accepted = counted(cohort.c.status, cohort.c.pending)
    runs_by_day = (
        select(
            *piece(
                cohort.c.workflow_id,
                run_day,
                attempts=func.count(),
                accepted=func.count().filter(accepted),
                cost=func.sum(cohort.c.cost),
                finished=func.count().filter(
                    and_(cohort.c.status != RunStatus.RUNNING.value, ~cohort.c.pending)
                ),
            )
        )
        .select_from(
            with_runs(
                cohort,
                tenant_id,
                started,
                # Redundant with the cohort's own filters (its runs started in the window, of
                # these workflows), but it lets the planner read only the window's runs
                # (ix_runs_workflow_started) instead of hashing every run of the tenant.
                started.c.workflow_id.in_(list(workflow_ids)),
                started.c.started_at >= window.start,
                started.c.started_at < window.end,
            )
        )
        .group_by(cohort.c.workflow_id, run_day)
    )
    return runs_by_day
