"""Readiness in I/O terms: load each gate's window, let `app.domain.readiness` decide.

`evaluate_targets` evaluates any (workflow, gate) pairs — the worker evaluates every gate in
force — and `readiness_of` answers the API's question for a list of workflows: the gate for the
level above the current one, or "no gate defined". Targets are grouped by window length; each
group costs one statement (`gate_windows.window_figures`), however many workflows it holds.

The checks themselves are pure CPU (the cost bootstrap is ~40 ms for a 30-day window), so they
run in a worker thread: other requests keep being served while a long list is evaluated.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import AutonomyGate as GateRow
from app.db.tables import Workflow as WorkflowRow
from app.domain.readiness import Readiness, WindowFigures, evaluate_gate, no_gate_readiness
from app.services.gates.definitions import gates_in_force, spec_of
from app.services.gates.windows import window_figures


async def evaluate_targets(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    targets: Sequence[tuple[WorkflowRow, GateRow]],
    now: datetime,
) -> list[Readiness]:
    """The verdict of each (workflow, gate) pair, in input order, as of `now`."""
    by_window: dict[int, list[uuid.UUID]] = defaultdict(list)
    for workflow, gate in targets:
        ids = by_window[gate.window_days]
        if workflow.workflow_id not in ids:
            ids.append(workflow.workflow_id)
    figures: dict[tuple[uuid.UUID, int], WindowFigures] = {}
    for window_days, workflow_ids in by_window.items():
        found = await window_figures(
            session=session,
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            window_days=window_days,
            now=now,
        )
        for workflow_id, window in found.items():
            figures[(workflow_id, window_days)] = window
    jobs = [
        partial(
            evaluate_gate,
            workflow_key=workflow.key,
            current_level=workflow.autonomy_level,
            gate=spec_of(gate),
            window=figures[(workflow.workflow_id, gate.window_days)],
            evaluated_at=now,
        )
        for workflow, gate in targets
    ]
    if not jobs:
        return []
    return await asyncio.to_thread(lambda: [job() for job in jobs])


async def readiness_of(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflows: Sequence[WorkflowRow],
    now: datetime,
) -> dict[uuid.UUID, Readiness]:
    """Each workflow's readiness for `autonomy_level + 1` (not ready when no gate defines it)."""
    gates = await gates_in_force(
        session=session, tenant_id=tenant_id, workflow_ids=[w.workflow_id for w in workflows]
    )
    targets = [
        (workflow, gates[workflow.workflow_id][workflow.autonomy_level + 1])
        for workflow in workflows
        if workflow.autonomy_level + 1 in gates[workflow.workflow_id]
    ]
    evaluated = await evaluate_targets(
        session=session, tenant_id=tenant_id, targets=targets, now=now
    )
    found = {workflow.workflow_id: r for (workflow, _), r in zip(targets, evaluated, strict=True)}
    return {
        workflow.workflow_id: found.get(workflow.workflow_id)
        or no_gate_readiness(
            workflow_key=workflow.key, current_level=workflow.autonomy_level, evaluated_at=now
        )
        for workflow in workflows
    }
