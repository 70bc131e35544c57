"""Set-based inserts of validated records: one `INSERT … SELECT … FROM unnest(…)` per table.

Each insert first drops repeats inside the batch (the first occurrence wins), then sorts by the
idempotency key, so two concurrent batches touching the same keys take their row locks in the
same order and cannot deadlock. `ON CONFLICT DO NOTHING` makes a replay insert nothing; the
command tag (`INSERT 0 n`) counts only the rows actually written.

Every row carries the session's tenant id; row-level security (`WITH CHECK`) refuses anything else.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from app.services.ingest.arrays import columns, unique_sorted
from app.services.ingest.records import LabelRecord, RunRecord
from app.services.ingest.validation import PricedUsage

INSERT_RUNS = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, client_id, started_at,
                  campaign, channel, variant, team, subject)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::uuid[], $4::uuid[], $5::timestamptz[],
    $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]
) AS u
ON CONFLICT (tenant_id, correlation_id) DO NOTHING
"""

INSERT_USAGE = """
INSERT INTO usage_events (tenant_id, event_id, correlation_id, workflow_id, client_id, kind,
                          occurred_at, provider, model, step, team,
                          input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                          reasoning_tokens, reasoning_effort, latency_ms,
                          cost, cost_source, price_effective_from)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::text[],
    $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[],
    $12::int8[], $13::int8[], $14::int8[], $15::int8[],
    $16::int8[], $17::text[], $18::int4[],
    $19::numeric[], $20::text[], $21::timestamptz[]
) AS u
ON CONFLICT (tenant_id, event_id) DO NOTHING
"""

# `applied` starts true; app.services.ingest.run_states recomputes it from the full history.
INSERT_LABELS = """
INSERT INTO run_labels (tenant_id, correlation_id, at, status, reviewer, reason, applied)
SELECT $1::uuid, u.*, true FROM unnest(
    $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[]
) AS u
ON CONFLICT (tenant_id, correlation_id, at, status) DO NOTHING
RETURNING correlation_id
"""


def _inserted(status: str) -> int:
    """The row count of an `INSERT 0 n` command tag."""
    return int(status.rsplit(" ", 1)[-1])


async def insert_runs(
    conn: Any, tenant_id: uuid.UUID, runs: Sequence[RunRecord], workflow_ids: dict[str, uuid.UUID]
) -> int:
    """Insert new runs (status RUNNING); returns how many were new."""
    rows = [
        (
            r.correlation_id,
            workflow_ids[r.workflow_key],
            r.client_id,
            r.started_at,
            r.campaign,
            r.channel,
            r.variant,
            r.team,
            r.subject,
        )
        for r in unique_sorted(runs, lambda r: r.correlation_id)
    ]
    if not rows:
        return 0
    return _inserted(await conn.execute(INSERT_RUNS, tenant_id, *columns(rows, 9)))


async def insert_usage(
    conn: Any,
    tenant_id: uuid.UUID,
    usage: Sequence[PricedUsage],
    workflow_ids: dict[str, uuid.UUID],
) -> int:
    """Insert new usage events with their final cost; returns how many were new."""
    rows = []
    for priced in unique_sorted(usage, lambda u: u.record.event_id):
        u, t = priced.record, priced.record.tokens
        rows.append(
            (
                u.event_id,
                u.correlation_id,
                workflow_ids[u.workflow_key],
                u.client_id,
                u.kind.value,
                u.occurred_at,
                u.provider,
                u.model,
                u.step,
                u.team,
                t.input,
                t.output,
                t.cache_read,
                t.cache_write,
                t.reasoning,
                u.reasoning_effort,
                u.latency_ms,
                priced.cost,
                priced.cost_source,
                priced.price_effective_from,
            )
        )
    if not rows:
        return 0
    return _inserted(await conn.execute(INSERT_USAGE, tenant_id, *columns(rows, 20)))


async def insert_labels(
    conn: Any, tenant_id: uuid.UUID, labels: Sequence[LabelRecord]
) -> list[str]:
    """Insert new labels; returns the correlation id of each label actually written."""
    rows = [
        (label.correlation_id, label.at, label.status.value, label.reviewer, label.reason)
        for label in unique_sorted(labels, lambda label: label.key)
    ]
    if not rows:
        return []
    written = await conn.fetch(INSERT_LABELS, tenant_id, *columns(rows, 5))
    return [row["correlation_id"] for row in written]
