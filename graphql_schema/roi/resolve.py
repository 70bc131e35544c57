"""Resolver steps for ROI fields: parse arguments, load through the ROI loaders, shape.

Workflow.roiWindows, Workflow.roi and Client.roi go through here. Every figure is read from the
windows the workers stored (see app.services.roi.reads); nothing is computed from runs here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry

from app.db.tables.roi import NO_CLIENT
from app.domain.roi import WindowStatus as DomainWindowStatus
from app.domain.roi import roi_figures
from app.services.roi import window_pages
from app.services.roi.reads import StoredWindow
from graphql_schema.context import Info
from graphql_schema.costs.enums import WindowStatus
from graphql_schema.costs.inputs import ScopeInput, TimeRangeInput, parse_id, scope_of
from graphql_schema.errors import BadUserInput
from graphql_schema.loaders import loaders
from graphql_schema.nodes.connections import PageArgs, connection_of, page_request
from graphql_schema.roi.loaders import TotalsKey, WindowsKey
from graphql_schema.roi.types import RoiSummary, RoiWindow, RoiWindowConnection, RoiWindowEdge

RUN_ONLY_FILTERS = ("campaign", "channel", "variant", "team")
WINDOWS_PAGE = 50


def windows_key(
    workflow_id: uuid.UUID,
    client_id: strawberry.ID | None,
    time_range: TimeRangeInput | None,
    status: WindowStatus | None,
) -> WindowsKey:
    """The windows of a workflow that the optional filters of roiWindows(Connection) select."""
    return WindowsKey(
        workflow_id=workflow_id,
        client_id=parse_id(client_id, field="clientId") if client_id is not None else None,
        time_range=time_range.to_range() if time_range is not None else None,
        status=DomainWindowStatus(status.value) if status is not None else None,
    )


def _shaper(workflow_key: str) -> Callable[[StoredWindow], RoiWindow]:
    return lambda w: RoiWindow.from_stored(workflow_key, w, roi_figures(w.totals))


async def roi_windows(info: Info, key: WindowsKey, workflow_key: str) -> list[RoiWindow]:
    windows = await loaders(info).roi_windows.load(key)
    return [_shaper(workflow_key)(w) for w in windows]


def _client_of(scope: ScopeInput | None) -> uuid.UUID | None:
    """ROI windows are kept per workflow, client and day: only a client scope can be answered."""
    parsed = scope_of(scope)
    refused = [name for name in RUN_ONLY_FILTERS if getattr(parsed, name) is not None]
    if parsed.dimensions:
        refused.append("dimensions")
    if refused:
        name = refused[0]
        raise BadUserInput(
            f"ROI is kept per workflow, client and day cohort; scope.{name} cannot filter "
            "it (use costPerOutcome for per-dimension costs).",
            field=f"scope.{name}",
        )
    return parsed.client_id


async def summary(info: Info, key: TotalsKey) -> RoiSummary:
    found = await loaders(info).roi_totals.load(key)
    return RoiSummary.from_figures(
        roi_figures(found.totals), unattributed=found.unattributed, complete=found.complete
    )


async def workflow_roi(
    info: Info, *, workflow_id: uuid.UUID, time_range: TimeRangeInput, scope: ScopeInput | None
) -> RoiSummary:
    key = TotalsKey(workflow_id, _client_of(scope), time_range.to_range())
    return await summary(info, key)


def _window_key(window: StoredWindow) -> list[Any]:
    return [window.cohort_day.isoformat(), str(window.client_id or NO_CLIENT)]


def _window_position(values: list[Any]) -> tuple[Any, ...]:
    day, client = values
    return (date.fromisoformat(str(day)), uuid.UUID(str(client)))


async def roi_windows_connection(
    info: Info, key: WindowsKey, workflow_key: str, args: PageArgs
) -> RoiWindowConnection:
    request = page_request(info, **args.asdict(), default=WINDOWS_PAGE, parse=_window_position)
    page = await info.context.call(window_pages.page_of_windows, **vars(key), request=request)
    return connection_of(
        RoiWindowConnection, RoiWindowEdge, page, node=_shaper(workflow_key), key=_window_key
    )
