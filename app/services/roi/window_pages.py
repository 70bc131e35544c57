"""Keyset pages of one workflow's stored ROI windows, by day then client, for
`Workflow.roiWindowsConnection` (the filters of `roiWindows`: client, range, status)."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables.roi import RoiWindow as WindowRow
from app.domain.roi import WindowStatus, days_in_range
from app.services.costs.scope import TimeRange
from app.services.keyset import Page, PageRequest, keyset_page
from app.services.roi.reads import StoredWindow, stored_window

WINDOWS = WindowRow.__table__  # type: ignore[attr-defined]


def stored(row: WindowRow) -> StoredWindow:
    return stored_window(row.model_dump())


async def page_of_windows(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    client_id: uuid.UUID | None,
    time_range: TimeRange | None,
    status: WindowStatus | None,
    request: PageRequest,
) -> Page:
    """Windows ordered by (cohort_day, client_id) ascending; a cursor is a window's
    (cohort_day, client_id) with NO_CLIENT for runs without a client. Rows are StoredWindows."""
    filters: list[ColumnElement[bool]] = [
        WINDOWS.c.tenant_id == tenant_id,
        WINDOWS.c.workflow_id == workflow_id,
    ]
    if client_id is not None:
        filters.append(WINDOWS.c.client_id == client_id)
    if status is not None:
        filters.append(WINDOWS.c.status == status.value)
    if time_range is not None:
        days = days_in_range(time_range.start, time_range.end)
        if days is None:
            filters.append(false())
        else:
            filters += [WINDOWS.c.cohort_day >= days[0], WINDOWS.c.cohort_day <= days[1]]
    page = await keyset_page(
        session=session,
        entity=WindowRow,
        filters=filters,
        order=[WINDOWS.c.cohort_day, WINDOWS.c.client_id],
        descending=False,
        request=request,
    )
    return Page([stored(row) for row in page.rows], page.has_next_page, page.has_previous_page)
