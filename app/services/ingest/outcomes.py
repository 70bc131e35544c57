"""Outcome records (`type: "outcome"`, the contract's `OutcomeInput`): parse, check, write.

An outcome says that a subject (a lead, a deal…) and/or a run reached a rung of a workflow's
ladder at `occurredAt`. Idempotent by `eventId` (the first of repeats inside a batch wins).

Refused, with the field named:
- `rung` "accepted": that rung is derived from run labels (label the run ACCEPTED instead);
- `rung` not an active rung of the workflow's ladder (unknown, or retired);
- `subject`: neither `subject` nor `correlationId` given (nothing could link it to a cohort);
- the usual shape errors (required, lengths, an ISO 8601 time with an offset).
A `correlationId` need not name a stored run: runs may arrive later, and the cohort join
happens when figures are read.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.ladder import ACCEPTED_RUNG
from app.services.ingest.arrays import columns, counted, unique_sorted
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import Reader

ID_LENGTH = 200
KEY_LENGTH = 100
SUBJECT_LENGTH = 200

OUTCOME_FIELDS = frozenset(
    {"type", "eventId", "workflowKey", "rung", "subject", "correlationId", "occurredAt"}
)


@dataclass(frozen=True)
class OutcomeRecord:
    """One outcome event to record (contract `OutcomeInput`); idempotent by `event_id`."""

    index: int
    event_id: str
    workflow_key: str
    rung: str
    subject: str | None
    correlation_id: str | None
    occurred_at: datetime


def parse_outcome(reader: Reader) -> OutcomeRecord:
    record = OutcomeRecord(
        index=reader.index,
        event_id=reader.required_text("eventId", max_length=ID_LENGTH),
        workflow_key=reader.required_text("workflowKey", max_length=KEY_LENGTH),
        rung=reader.required_text("rung", max_length=KEY_LENGTH),
        subject=reader.text("subject", max_length=SUBJECT_LENGTH),
        correlation_id=reader.text("correlationId", max_length=ID_LENGTH),
        occurred_at=reader.timestamp("occurredAt"),
    )
    failed = {error.field for error in reader.errors}
    if record.rung == ACCEPTED_RUNG:
        reader.fail(
            "rung",
            f'"{ACCEPTED_RUNG}" is derived from run labels: label the run ACCEPTED instead',
        )
    if (
        record.subject is None
        and record.correlation_id is None
        and not failed & {"subject", "correlationId"}
    ):
        reader.fail("subject", "give a subject or a correlationId (or both) to link the outcome")
    return record


LOAD_RUNGS = """
SELECT workflow_id, key, retired_at FROM ladder_rungs
WHERE tenant_id = $1 AND workflow_id = ANY($2::uuid[])
"""


async def check_outcome_rungs(
    conn: Any,
    tenant_id: uuid.UUID,
    outcomes: Sequence[OutcomeRecord],
    workflow_ids: dict[str, uuid.UUID],
    add: Callable[[RecordError], None],
) -> None:
    """Report (through `add`) every outcome whose rung is not an active rung of its workflow.

    `outcomes` should be the records whose workflowKey and rung are sound; those of unknown
    workflows are skipped (their workflowKey error is reported elsewhere). One query.
    """
    wanted = [o for o in outcomes if o.workflow_key in workflow_ids]
    if not wanted:
        return
    rows = await conn.fetch(
        LOAD_RUNGS, tenant_id, sorted({workflow_ids[o.workflow_key] for o in wanted})
    )
    active: dict[uuid.UUID, list[str]] = {}
    retired: set[tuple[uuid.UUID, str]] = set()
    for row in rows:
        if row["retired_at"] is None:
            active.setdefault(row["workflow_id"], []).append(row["key"])
        else:
            retired.add((row["workflow_id"], row["key"]))
    for o in wanted:
        workflow_id = workflow_ids[o.workflow_key]
        if o.rung in active.get(workflow_id, []):
            continue
        if (workflow_id, o.rung) in retired:
            message = (
                f"rung {o.rung!r} was retired from the ladder of {o.workflow_key!r}; "
                "add it back with upsertWorkflow to record outcomes for it"
            )
        else:
            rungs = ", ".join(sorted(active.get(workflow_id, []))) or "none"
            message = f"no rung {o.rung!r} in the ladder of {o.workflow_key!r} (rungs: {rungs})"
        add(RecordError(o.index, "rung", message))


INSERT_OUTCOMES = """
INSERT INTO outcome_events (tenant_id, event_id, workflow_id, rung_key, subject, correlation_id,
                            occurred_at)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]
) AS u
ON CONFLICT (tenant_id, event_id) DO NOTHING
"""


async def insert_outcomes(
    conn: Any,
    tenant_id: uuid.UUID,
    outcomes: Sequence[OutcomeRecord],
    workflow_ids: dict[str, uuid.UUID],
) -> int:
    """Insert new outcome events (one statement); returns how many were new."""
    rows = [
        (
            o.event_id,
            workflow_ids[o.workflow_key],
            o.rung,
            o.subject,
            o.correlation_id,
            o.occurred_at,
        )
        for o in unique_sorted(outcomes, lambda o: o.event_id)
    ]
    if not rows:
        return 0
    return int(await conn.fetchval(counted(INSERT_OUTCOMES), tenant_id, *columns(rows, 6)))
