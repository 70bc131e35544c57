"""The failure reason codes a tenant declares: list, declare (insert or relabel), remove."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import FailureReasonCode
from app.db.upserts import excluded_values
from app.domain.failure_reasons import MAX_CODE_LENGTH, normalize_reason
from app.services.ingest.errors import FieldError

CODES = FailureReasonCode.__table__  # type: ignore[attr-defined]
MAX_LABEL_LENGTH = 200
MAX_CODES = 500


async def declared_codes(*, session: AsyncSession, tenant_id: uuid.UUID) -> dict[str, str]:
    """Every declared code of the tenant with its label, in code order."""
    rows = await session.execute(
        select(CODES.c.code, CODES.c.label)
        .where(CODES.c.tenant_id == tenant_id)
        .order_by(CODES.c.code)
    )
    return {row.code: row.label for row in rows}


async def declare_code(
    *, session: AsyncSession, tenant_id: uuid.UUID, code: str, label: str
) -> tuple[str, str]:
    """Declare `code` (normalised) with `label` (trimmed), replacing the label of a code already
    declared. Returns the stored (code, label). Raises FieldError naming "code" (blank, longer
    than 200 characters, or the tenant already has 500 codes) or "label" (blank or too long)."""
    normal = normalize_reason(code)
    if normal is None or len(" ".join(code.split())) > MAX_CODE_LENGTH:
        raise FieldError("code", f"give a non-blank code of at most {MAX_CODE_LENGTH} characters")
    shown = label.strip()
    if not shown or len(shown) > MAX_LABEL_LENGTH:
        raise FieldError(
            "label", f"give a non-blank label of at most {MAX_LABEL_LENGTH} characters"
        )
    count = await session.scalar(
        select(func.count()).select_from(CODES).where(CODES.c.tenant_id == tenant_id)
    )
    existing = await session.scalar(
        select(CODES.c.code).where(CODES.c.tenant_id == tenant_id, CODES.c.code == normal)
    )
    if existing is None and (count or 0) >= MAX_CODES:
        raise FieldError("code", f"a tenant declares at most {MAX_CODES} codes; remove one first")
    statement = insert(FailureReasonCode).values(tenant_id=tenant_id, code=normal, label=shown)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "code"], set_=excluded_values(statement, "label")
        )
    )
    return normal, shown


async def remove_code(*, session: AsyncSession, tenant_id: uuid.UUID, code: str) -> bool:
    """Remove a declared code (normalised first); True when there was one. Runs keep their
    reasons: the code is simply reported as undeclared again."""
    normal = normalize_reason(code)
    if normal is None:
        return False
    result = await session.execute(
        delete(CODES).where(CODES.c.tenant_id == tenant_id, CODES.c.code == normal)
    )
    return bool(getattr(result, "rowcount", 0))
