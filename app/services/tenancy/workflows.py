"""Workflows and their outcome ladders: insert or update by key."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.tables import LadderRung
from app.db.tables import Workflow as WorkflowRow
from app.db.upserts import excluded_values
from app.domain.ladder import ACCEPTED_RUNG
from app.services.ingest.errors import FieldError

DEFAULT_LADDER: tuple[tuple[str, str], ...] = (("accepted", "Accepted"),)
KEY_LENGTH = 100
NAME_LENGTH = 200
DIVISION_LENGTH = 100
MAX_HOLD_HOURS = 2**31 - 1
# A ladder is a short funnel (reply, positive reply, deal, closed-won): 50 rungs is far past any
# real one, and keeps the rung upsert well inside PostgreSQL's bind-parameter limit.
MAX_RUNGS = 50
# Slug-ish: letters, digits, "_", "-", "."; starts with a letter or digit.
KEY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


async def upsert_workflow(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key: str,
    name: str,
    division: str | None = None,
    acceptance_hold_hours: int = 0,
    ladder: list[tuple[str, str]] | None = None,
) -> WorkflowRow:
    """Create the workflow `key`, or update its name, division and acceptance hold.

    `acceptance_hold_hours` (>= 0) is how long an accepted run stays provisional. `ladder` is the
    ordered (rung key, rung name) list and replaces the active rungs, numbered 0..n-1; rungs left
    out are retired, not deleted (their outcome events keep their meaning). When None:
    a new workflow gets the default ladder [("accepted", "Accepted")], an existing one keeps its
    ladder (so renaming a workflow never wipes its rungs); at most MAX_RUNGS (50) rungs. Raises
    FieldError naming the field
    ("key", "name", "division", "acceptanceHoldHours", "ladder"). The autonomy level is not
    touched: it changes only through promotion.
    """
    _check_key("key", key)
    _check_text("name", name, NAME_LENGTH)
    if division is not None:
        _check_text("division", division, DIVISION_LENGTH)
    if not 0 <= acceptance_hold_hours <= MAX_HOLD_HOURS:
        raise FieldError("acceptanceHoldHours", f"must be >= 0 (got {acceptance_hold_hours})")
    rungs = _check_ladder(ladder) if ladder is not None else None

    statement = insert(WorkflowRow).values(
        tenant_id=tenant_id,
        workflow_id=uuid.uuid4(),
        key=key,
        name=name,
        division=division,
        acceptance_hold_hours=acceptance_hold_hours,
        autonomy_level=0,
    )
    upsert = statement.on_conflict_do_update(
        constraint="uq_workflows_tenant_key",
        set_=excluded_values(statement, "name", "division", "acceptance_hold_hours"),
    ).returning(col(WorkflowRow.workflow_id))
    workflow_id = (await session.execute(upsert)).scalar_one()

    if rungs is None:
        has_ladder = await session.scalar(
            select(col(LadderRung.key))
            .where(
                col(LadderRung.tenant_id) == tenant_id,
                col(LadderRung.workflow_id) == workflow_id,
                col(LadderRung.retired_at).is_(None),
            )
            .limit(1)
        )
        rungs = None if has_ladder is not None else list(DEFAULT_LADDER)
    if rungs is not None:
        await _replace_ladder(session, tenant_id, workflow_id, rungs)

    row = await session.get(WorkflowRow, (tenant_id, workflow_id), populate_existing=True)
    assert row is not None  # just written in this transaction
    return row


async def _replace_ladder(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    rungs: list[tuple[str, str]],
) -> None:
    """Make `rungs` the active ladder, numbered 0..n-1.

    Rungs are never deleted (outcome events and ceilings reference them): a rung left out is
    retired (`retired_at` set, position kept), and a retired key given again is revived.
    """
    statement = insert(LadderRung).values(
        [
            {
                "tenant_id": tenant_id,
                "workflow_id": workflow_id,
                "key": key,
                "name": name,
                "position": position,
                "retired_at": None,
            }
            for position, (key, name) in enumerate(rungs)
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "workflow_id", "key"],
            set_=excluded_values(statement, "name", "position") | {"retired_at": None},
        )
    )
    await session.execute(
        update(LadderRung)
        .where(
            col(LadderRung.tenant_id) == tenant_id,
            col(LadderRung.workflow_id) == workflow_id,
            col(LadderRung.key).not_in([key for key, _ in rungs]),
            col(LadderRung.retired_at).is_(None),
        )
        .values(retired_at=func.now())
    )


def _check_ladder(ladder: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if not ladder:
        raise FieldError("ladder", "needs at least one rung")
    if len(ladder) > MAX_RUNGS:
        raise FieldError("ladder", f"has {len(ladder)} rungs; a ladder holds at most {MAX_RUNGS}")
    seen: set[str] = set()
    for position, (key, name) in enumerate(ladder):
        _check_key(f"ladder[{position}].key", key)
        _check_text(f"ladder[{position}].name", name, NAME_LENGTH)
        if key in seen:
            raise FieldError(f"ladder[{position}].key", f"rung key {key!r} appears twice")
        if key == ACCEPTED_RUNG and position != 0:
            raise FieldError(
                f"ladder[{position}].key",
                f'"{ACCEPTED_RUNG}" (a run accepted) can only be the first rung',
            )
        seen.add(key)
    return list(ladder)


def _check_key(field: str, key: str) -> None:
    if not key:
        raise FieldError(field, "must not be empty")
    if len(key) > KEY_LENGTH:
        raise FieldError(field, f"must be at most {KEY_LENGTH} characters")
    if not KEY_PATTERN.fullmatch(key):
        raise FieldError(
            field, f"{key!r} is not a key: use letters, digits, '_', '-' or '.', no spaces"
        )


def _check_text(field: str, value: str, max_length: int) -> None:
    if not value.strip():
        raise FieldError(field, "must not be empty")
    if len(value) > max_length:
        raise FieldError(field, f"must be at most {max_length} characters")
    if "\x00" in value:
        raise FieldError(field, "must not contain NUL characters")
