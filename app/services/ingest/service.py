"""`ingest_records`: validate a whole batch, then write it set-based in the session's transaction.

Records are mappings with `"type"` in {"run", "usage", "label"} and exactly the camelCase fields
of the contract's `RunInput`, `UsageEventInput` and `RunLabelInput`; the HTTP batch endpoint and
the GraphQL mutations both reduce to this one function.

Rules, in order:
- A batch larger than `max_records` raises BatchTooLarge before any work.
- Validation is all-or-nothing: if any record is invalid, nothing is written and `errors` names
  every problem by record index and camelCase field; accepted = duplicates = 0.
- LLM usage without `cost` is priced from the price book in force at occurredAt; with no price in
  force it is REJECTED on field "cost" (never priced at zero). Non-LLM usage must report `cost`.
  See app.services.ingest.validation.
- Runs, then usage, then labels are written with one `INSERT … SELECT … FROM unnest(…) ON CONFLICT
  DO NOTHING` each; idempotency keys are runs by correlationId, usage by eventId, labels by
  (correlationId, at, status). The first of several records with one key inside a batch wins.
- accepted counts rows actually inserted; duplicates counts every other record (already stored,
  or repeated inside the batch). Replaying a batch — even concurrently — gives accepted 0.
- Runs touched by new labels get their status recomputed from the full label history.
- Outcome records (`"type": "outcome"`, the contract's `OutcomeInput`) are idempotent by eventId
  and refused on "rung" for `accepted` or a rung not active in the workflow's ladder; see
  app.services.ingest.outcomes.
- Revenue records (`"type": "revenue"`, the contract's `RevenueInput`) are idempotent by eventId;
  amounts are signed whole cents; see app.services.ingest.revenue.
- Last, the ROI windows the new rows touch are marked dirty in the same transaction
  (app.services.roi.dirty); `roi_windows` lists them for the caller to enqueue after commit.

Before any of it, the tables the batch grows are analysed if they outgrew their statistics
(app.services.ingest.analyse).

Nothing is committed here: the caller's session commits, and only then may it answer success.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import raw_connection
from app.services.ingest.analyse import analyse_grown_tables
from app.services.ingest.errors import BatchTooLarge, RecordError
from app.services.ingest.outcomes import insert_outcomes
from app.services.ingest.revenue import insert_revenue
from app.services.ingest.run_states import lock_runs, recompute_run_states
from app.services.ingest.validation import validate_batch
from app.services.ingest.writes import (
    insert_labels,
    insert_runs,
    insert_usage_rows,
    usage_refs,
    usage_rows,
)
from app.services.roi.dirty import Pair, mark_ingest

CUSTOM_PLANS = "SET LOCAL plan_cache_mode = force_custom_plan"


@dataclass
class IngestOutcome:
    """What a batch did: rows inserted, records that were already there, or why nothing was."""

    accepted: int
    duplicates: int
    errors: list[RecordError] = field(default_factory=list)
    # (workflow id, cohort day) ROI windows marked dirty: enqueue their recompute after commit.
    roi_windows: list[Pair] = field(default_factory=list)


async def ingest_records(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    records: Sequence[object],
    max_records: int | None = None,
) -> IngestOutcome:
    """Validate and write one batch of run, usage and label records for `tenant_id`.

    `records` items should be mappings; anything else is a per-record error on field "record".
    Raises BatchTooLarge when `max_records` is given and exceeded.
    """
    if max_records is not None and len(records) > max_records:
        raise BatchTooLarge(len(records), max_records)
    if not records:
        return IngestOutcome(0, 0)
    conn = await raw_connection(session)
    await analyse_grown_tables(conn, session)  # plans from real statistics: see there
    batch, errors = await validate_batch(conn=conn, tenant_id=tenant_id, raw=records)
    if batch is None:
        return IngestOutcome(0, 0, errors)

    new_runs = await insert_runs(conn, tenant_id, batch.runs, batch.workflow_ids)
    if batch.usage_rows is None:
        rows = usage_rows(batch.usage, batch.workflow_ids)
    else:
        rows = batch.usage_rows  # a usage-only batch, checked column-wise
    new_usage = await insert_usage_rows(conn, tenant_id, rows)
    accepted = new_runs + new_usage
    accepted += await insert_outcomes(conn, tenant_id, batch.outcomes, batch.workflow_ids)
    new_revenue = await insert_revenue(conn, tenant_id, batch.revenue, batch.workflow_ids)
    accepted += len(new_revenue)
    written: list[str] = []
    if batch.labels:
        holds = await lock_runs(conn, tenant_id, (label.correlation_id for label in batch.labels))
        written = await insert_labels(conn, tenant_id, batch.labels)
        accepted += len(written)
        await recompute_run_states(conn, tenant_id, holds, written)
    # The marker lookups take `= ANY($n)` arrays of every size. On a pooled connection
    # PostgreSQL switches a prepared statement to a generic plan after five executions, which
    # for these lookups was measured 10-20x slower once the table held some 100k events (see
    # docs/benchmarks.md, Ingest): they are planned for their actual arrays instead.
    await conn.execute(CUSTOM_PLANS)
    roi_windows = await mark_ingest(
        conn,
        tenant_id,
        runs=[*(r.correlation_id for r in batch.runs if new_runs), *written],
        usage=usage_refs(rows) if new_usage else (),
        revenue=new_revenue,
    )
    return IngestOutcome(accepted, len(records) - accepted, roi_windows=roi_windows)
