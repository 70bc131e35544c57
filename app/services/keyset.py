"""Keyset pagination in both directions over one ordering (no OFFSET scans).

A page is asked for as `PageRequest(forward, size, cursor)`: forward pages start strictly after
`cursor` in the ordering, backward pages end strictly before it. Every column of the ordering
sorts the same way (all descending or all ascending) and the ordering is unique within the
filtered rows, so a row tuple comparison finds the boundary exactly, whatever was inserted
meanwhile. The page is read with one extra row (is there more in the reading direction?) and one
indexed EXISTS probe (is there anything on the other side of the cursor?).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class PageRequest:
    forward: bool
    size: int
    cursor: tuple[Any, ...] | None


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    has_next_page: bool
    has_previous_page: bool


async def keyset_page(
    *,
    session: AsyncSession,
    entity: Any,
    filters: Sequence[ColumnElement[bool]],
    order: Sequence[Any],
    descending: bool,
    request: PageRequest,
) -> Page:
    """One page of `entity` rows matching `filters`, in `order` (see the module docstring)."""
    key = tuple_(*order)
    cursor = tuple_(*request.cursor) if request.cursor is not None else None
    # Reading forward in a descending ordering means reading smaller keys, and so on.
    reads_smaller = request.forward == descending
    wanted = list(filters)
    if cursor is not None:
        wanted.append(key < cursor if reads_smaller else key > cursor)
    columns = [c.desc() if reads_smaller else c.asc() for c in order]
    result = await session.execute(
        select(entity).where(*wanted).order_by(*columns).limit(request.size + 1)
    )
    rows = list(result.scalars())
    more = len(rows) > request.size
    rows = rows[: request.size]
    behind = False
    if cursor is not None:
        other_side = key >= cursor if reads_smaller else key <= cursor
        behind = bool(await session.scalar(select(exists().where(*filters, other_side))))
    if not request.forward:
        rows.reverse()
        return Page(rows=rows, has_next_page=behind, has_previous_page=more)
    return Page(rows=rows, has_next_page=more, has_previous_page=behind)
