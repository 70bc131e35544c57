"""Small explicit factories for ladder tests: a workflow with its ladder, outcomes, ceilings.

Rows go in through a tenant session (RLS on), like `reads_factories`, so the read side is tested
against rows whose every value the test states.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.db.tables import CostCeiling, LadderRung, OutcomeEvent, Workflow
from tests.integration.reads_factories import T0, rung, workflow

OUTREACH_LADDER = ("accepted", "reply", "positive_reply", "deal")


def ago(days: float) -> str:
    """The ISO time `days` before now."""
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def costed_run(
    correlation_id: str, started_at: str, cost: str, *, event_id: str, **run: Any
) -> list[dict[str, Any]]:
    """The /v1/events records of an outreach run started at `started_at` (with `run`'s fields)
    and its one TOOL usage of `cost` at that time."""
    return [
        {"type": "run", "correlationId": correlation_id, "workflowKey": "outreach",
         "startedAt": started_at, **run},
        {"type": "usage", "eventId": event_id, "correlationId": correlation_id,
         "workflowKey": "outreach", "kind": "TOOL", "occurredAt": started_at, "cost": cost},
    ]  # fmt: skip


def lead_records(
    i: str, days_ago: float, cost: str, *, replied: bool, **run: Any
) -> list[dict[str, Any]]:
    """The /v1/events records of outreach lead `i`: its run started `days_ago` (with `run`'s
    fields), one TOOL usage of `cost`, and, if `replied`, its reply outcome a day ago."""
    records = costed_run(i, ago(days_ago), cost, event_id=f"u-{i}", subject=f"lead-{i}", **run)
    if replied:
        records.append(
            {"type": "outcome", "eventId": f"o-{i}", "workflowKey": "outreach", "rung": "reply",
             "subject": f"lead-{i}", "occurredAt": ago(1)}
        )  # fmt: skip
    return records


def outreach(
    tenant_id: uuid.UUID, key: str = "outreach", *, hold_hours: int = 0
) -> tuple[Workflow, list[LadderRung]]:
    """The outreach workflow with the ladder accepted → reply → positive_reply → deal."""
    wf = workflow(tenant_id, key, hold_hours=hold_hours)
    return wf, [rung(tenant_id, wf, k, i) for i, k in enumerate(OUTREACH_LADDER)]


def outcome(
    tenant_id: uuid.UUID,
    wf: Workflow,
    rung_key: str,
    *,
    subject: str | None = None,
    correlation_id: str | None = None,
    occurred_at: datetime = T0,
    event_id: str | None = None,
) -> OutcomeEvent:
    return OutcomeEvent(
        tenant_id=tenant_id,
        event_id=event_id or uuid.uuid4().hex,
        workflow_id=wf.workflow_id,
        rung_key=rung_key,
        subject=subject,
        correlation_id=correlation_id,
        occurred_at=occurred_at,
    )


def ceiling(
    tenant_id: uuid.UUID, wf: Workflow, rung_key: str, dimension: str, value: str, amount: str
) -> CostCeiling:
    return CostCeiling(
        tenant_id=tenant_id,
        workflow_id=wf.workflow_id,
        rung_key=rung_key,
        dimension=dimension,
        value=value,
        ceiling=Decimal(amount),
    )
