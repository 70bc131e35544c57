"""The run dimensions a tenant declares: list, declare (insert or redefine), retire.

Rules (app.domain.dimensions): the key is a slug; the description is required; `allowed` lists
the values a run may carry (None: free text). Declaring a key again replaces its description and
allowed values and un-retires it. Retiring keeps every stored value readable (figures filter and
group by it as before) and refuses the key on new runs (RETIRED_DIMENSION).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import RunDimension
from app.domain.dimensions import (
    MAX_ALLOWED_VALUES,
    MAX_DESCRIPTION_LENGTH,
    MAX_DIMENSIONS,
    key_problem,
    normalize_allowed,
    value_problem,
)
from app.services.ingest.errors import FieldError

DIMENSIONS = RunDimension.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StoredDimension:
    """One declared dimension as stored."""

    key: str
    description: str
    allowed_values: tuple[str, ...] | None
    retired_at: datetime | None
    created_at: datetime


def _stored(row: Any) -> StoredDimension:
    values = row._mapping
    allowed = values["allowed_values"]
    return StoredDimension(
        key=values["key"],
        description=values["description"],
        allowed_values=None if allowed is None else tuple(allowed),
        retired_at=values["retired_at"],
        created_at=values["created_at"],
    )


_COLUMNS = (
    DIMENSIONS.c.key,
    DIMENSIONS.c.description,
    DIMENSIONS.c.allowed_values,
    DIMENSIONS.c.retired_at,
    DIMENSIONS.c.created_at,
)


async def declared_dimensions(
    *, session: AsyncSession, tenant_id: uuid.UUID
) -> list[StoredDimension]:
    """Every dimension the tenant declared, retired ones included, in key order."""
    rows = await session.execute(
        select(*_COLUMNS).where(DIMENSIONS.c.tenant_id == tenant_id).order_by(DIMENSIONS.c.key)
    )
    return [_stored(row) for row in rows]


def _checked(
    key: str, description: str, allowed: Sequence[str] | None
) -> tuple[str, tuple[str, ...] | None]:
    problem = key_problem(key)
    if problem is not None:
        raise FieldError("key", problem)
    text = description.strip()
    if not text or len(text) > MAX_DESCRIPTION_LENGTH:
        raise FieldError(
            "description",
            f"give a non-blank description of at most {MAX_DESCRIPTION_LENGTH} characters",
        )
    if allowed is None:
        return text, None
    values = normalize_allowed(allowed)
    if not values:
        raise FieldError(
            "allowedValues", "give at least one non-blank value, or null for free text"
        )
    if len(values) > MAX_ALLOWED_VALUES:
        raise FieldError("allowedValues", f"give at most {MAX_ALLOWED_VALUES} values")
    for value in values:
        problem = value_problem(value)
        if problem is not None:
            raise FieldError("allowedValues", f"{value[:80]!r} {problem}")
    return text, values


async def declare_dimension(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    key: str,
    description: str,
    allowed: Sequence[str] | None,
) -> StoredDimension:
    """Declare (or redefine and un-retire) `key`. Raises FieldError naming "key" (not a slug,
    or the tenant already declared MAX_DIMENSIONS others), "description" or "allowedValues"."""
    text, values = _checked(key, description, allowed)
    count = await session.scalar(
        select(func.count()).select_from(DIMENSIONS).where(DIMENSIONS.c.tenant_id == tenant_id)
    )
    existing = await session.scalar(
        select(DIMENSIONS.c.key).where(DIMENSIONS.c.tenant_id == tenant_id, DIMENSIONS.c.key == key)
    )
    if existing is None and (count or 0) >= MAX_DIMENSIONS:
        raise FieldError(
            "key", f"a tenant declares at most {MAX_DIMENSIONS} run dimensions (retired included)"
        )
    stored = list(values) if values is not None else None
    statement = insert(DIMENSIONS).values(
        tenant_id=tenant_id, key=key, description=text, allowed_values=stored
    )
    row = (
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["tenant_id", "key"],
                set_={"description": text, "allowed_values": stored, "retired_at": None},
            ).returning(*_COLUMNS)
        )
    ).one()
    return _stored(row)


async def retire_dimension(
    *, session: AsyncSession, tenant_id: uuid.UUID, key: str
) -> StoredDimension:
    """Retire `key` (kept retired when it already was). Raises FieldError on "key" when the
    tenant never declared it."""
    named = (DIMENSIONS.c.tenant_id == tenant_id, DIMENSIONS.c.key == key)
    # Only a live dimension is updated, so a retired one keeps its time. (Not
    # `coalesce(retired_at, now())`: Citus refuses non-immutable functions inside COALESCE.)
    row = (
        await session.execute(
            update(DIMENSIONS)
            .where(*named, DIMENSIONS.c.retired_at.is_(None))
            .values(retired_at=func.now())
            .returning(*_COLUMNS)
        )
    ).one_or_none()
    if row is None:  # already retired, or never declared
        row = (await session.execute(select(*_COLUMNS).where(*named))).one_or_none()
    if row is None:
        raise FieldError("key", f"no run dimension {key[:80]!r} is declared in this tenant")
    return _stored(row)


async def require_declared(*, session: AsyncSession, tenant_id: uuid.UUID, key: str) -> None:
    """Raises FieldError on "dimensionKey" unless the tenant declared `key` (retired or not):
    grouping by a key nobody declared is a typo, not an empty answer."""
    found = await session.scalar(
        select(DIMENSIONS.c.key).where(DIMENSIONS.c.tenant_id == tenant_id, DIMENSIONS.c.key == key)
    )
    if found is None:
        raise FieldError(
            "dimensionKey",
            f"UNDECLARED_DIMENSION: no run dimension {key[:80]!r} is declared in this tenant; "
            "declare it with declareRunDimension",
        )
