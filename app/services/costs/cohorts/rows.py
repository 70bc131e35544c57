"""Row mapping of the cohort statements: their result rows as `CohortFigures`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.domain.enums import FAILURE_STATUSES, RunStatus

ZERO = Decimal(0)


@dataclass(frozen=True)
class CohortFigures:
    """Counts and exact sums for one workflow's cohort (see the module docstring)."""

    attempts: int = 0
    accepted: int = 0
    pending: int = 0
    finished: int = 0
    run_cost: Decimal = ZERO
    workflow_level_cost: Decimal = ZERO
    # (runs, cost) for each failure status, in FAILURE_STATUSES order.
    by_status: dict[RunStatus, tuple[int, Decimal]] = field(
        default_factory=lambda: {s: (0, ZERO) for s in FAILURE_STATUSES}
    )

    @property
    def total_cost(self) -> Decimal:
        return self.run_cost + self.workflow_level_cost

    @property
    def failed_cost(self) -> Decimal:
        return sum((cost for _, cost in self.by_status.values()), ZERO)


def figures_from_rows(
    result: Any, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CohortFigures]:
    found = {wid: CohortFigures() for wid in workflow_ids}
    for row in result.mappings():
        found[row["workflow_id"]] = CohortFigures(
            attempts=int(row["attempts"] or 0),
            accepted=int(row["accepted"] or 0),
            pending=int(row["pending"] or 0),
            finished=int(row["finished"] or 0),
            run_cost=Decimal(row["run_cost"]) if row["run_cost"] is not None else ZERO,
            workflow_level_cost=row["workflow_level_cost"],
            by_status={
                s: (int(row[f"runs_{s.value}"] or 0), Decimal(row[f"cost_{s.value}"] or ZERO))
                for s in FAILURE_STATUSES
            },
        )
    return found
