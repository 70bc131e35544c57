"""Loaders of ROI windows and ROI sums: a list of any number of workflows or clients asking for
ROI costs a fixed number of queries.

- `RoiWindowsLoader`, keyed by (workflow, client filter, range, status): one query per distinct
  (client, range, status), for all the workflows asking.
- `RoiTotalsLoader`, keyed by (workflow or None, client or None, range): three queries per
  distinct range — the window sums per (workflow, client), the unattributed revenue per
  (client, workflow), and the workflows with a window of the range waiting for a recompute.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.domain.roi import WindowStatus, WindowTotals, add_totals, days_in_range, range_complete
from app.services.costs.scope import TimeRange
from app.services.roi.reads import (
    GroupTotals,
    StoredWindow,
    group_totals,
    list_windows,
    unattributed_revenue,
    workflows_pending,
)

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass(frozen=True)
class WindowsKey:
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    time_range: TimeRange | None
    status: WindowStatus | None


@dataclass(frozen=True)
class TotalsKey:
    """ROI of one workflow (all clients when `client_id` is None), or of one client over every
    workflow (`workflow_id` None)."""

    workflow_id: uuid.UUID | None
    client_id: uuid.UUID | None
    time_range: TimeRange


@dataclass(frozen=True)
class RoiTotals:
    totals: WindowTotals
    unattributed: Decimal
    complete: bool


RoiWindowsLoader = DataLoader[WindowsKey, list[StoredWindow]]
RoiTotalsLoader = DataLoader[TotalsKey, RoiTotals]


def roi_windows(context: Context) -> RoiWindowsLoader:
    async def load(keys: list[WindowsKey]) -> list[list[StoredWindow]]:
        Filter = tuple[uuid.UUID | None, TimeRange | None, WindowStatus | None]
        groups: dict[Filter, list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            groups[(key.client_id, key.time_range, key.status)].append(key.workflow_id)
        found: dict[WindowsKey, list[StoredWindow]] = {}
        async with context.transaction() as tx:
            for (client_id, time_range, status), workflow_ids in groups.items():
                result = await tx.call(
                    list_windows,
                    workflow_ids=sorted(set(workflow_ids)),
                    client_id=client_id,
                    time_range=time_range,
                    status=status,
                )
                for workflow_id, windows in result.items():
                    found[WindowsKey(workflow_id, client_id, time_range, status)] = windows
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def _matches(group: GroupTotals, key: TotalsKey) -> bool:
    return (key.workflow_id is None or group.workflow_id == key.workflow_id) and (
        key.client_id is None or group.client_id == key.client_id
    )


def _unattributed(
    amounts: dict[tuple[uuid.UUID, uuid.UUID | None], Decimal], key: TotalsKey
) -> Decimal:
    return sum(
        (
            amount
            for (client_id, workflow_id), amount in amounts.items()
            if (key.client_id is None or client_id == key.client_id)
            and (key.workflow_id is None or workflow_id == key.workflow_id)
        ),
        Decimal(0),
    )


def roi_totals(context: Context) -> RoiTotalsLoader:
    async def load(keys: list[TotalsKey]) -> list[RoiTotals]:
        by_range: dict[TimeRange, list[TotalsKey]] = defaultdict(list)
        for key in keys:
            by_range[key.time_range].append(key)
        found: dict[TotalsKey, RoiTotals] = {}
        async with context.transaction() as tx:
            for time_range, wanted in by_range.items():
                workflows = {k.workflow_id for k in wanted}
                clients = {k.client_id for k in wanted}
                client_ids = None if None in clients else sorted(c for c in clients if c)
                groups = await tx.call(
                    group_totals,
                    time_range=time_range,
                    workflow_ids=None if None in workflows else sorted(w for w in workflows if w),
                    client_ids=client_ids,
                )
                amounts = await tx.call(
                    unattributed_revenue, time_range=time_range, client_ids=client_ids
                )
                pending = await tx.call(workflows_pending, time_range=time_range)
                days = days_in_range(time_range.start, time_range.end)
                for key in wanted:
                    mine = [g for g in groups if _matches(g, key)]
                    waiting = key.workflow_id in pending if key.workflow_id else bool(pending)
                    found[key] = RoiTotals(
                        totals=add_totals(g.totals for g in mine),
                        unattributed=_unattributed(amounts, key),
                        complete=range_complete(
                            last_day=days[1] if days else None,
                            now=context.now,
                            any_open=waiting or any(g.any_open for g in mine),
                        ),
                    )
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
