"""Revenue attribution and ROI as GraphQL types: shaped from what the workers stored.

The figures come from `app.domain.roi.roi_figures` over stored window totals; these types hold
no arithmetic. Money is Decimal (a JSON string); ROI and cost-vs-labor are Float ratios.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from app import global_ids
from app.domain.roi import RoiFigures, window_end, window_start
from app.services.roi.baselines import BaselineSet
from app.services.roi.reads import StoredWindow
from graphql_schema.costs.enums import WindowStatus
from graphql_schema.nodes.connections import Connection, Edge
from graphql_schema.nodes.interface import Node, opaque_id

ZERO = Decimal(0)


def window_id(workflow_id: uuid.UUID, client_id: uuid.UUID | None, day: date) -> str:
    """The global id of a ROI window: workflow, client ("" for none) and cohort day."""
    client = str(client_id) if client_id is not None else ""
    return global_ids.encode("RoiWindow", str(workflow_id), client, day.isoformat())


def _money(value: Decimal) -> Decimal:
    """Zero as "0", not "0E-10" (how a NUMERIC(28, 10) zero would print)."""
    return ZERO if value == 0 else value


def _optional_money(value: Decimal | None) -> Decimal | None:
    return None if value is None else _money(value)


def _figure_fields(figures: RoiFigures) -> dict[str, Any]:
    """The fields RoiWindow and RoiSummary both take from `roi_figures`, money zeros as "0"."""
    return {
        "successes": figures.successes,
        "cost": _money(figures.cost),
        "cost_per_success": _optional_money(figures.cost_per_success),
        "attributed_revenue": _money(figures.attributed_revenue),
        "baseline_revenue": _money(figures.baseline_revenue),
        "lift": _money(figures.lift),
        "roi": figures.roi,
        "cost_vs_labor": figures.cost_vs_labor,
    }


@strawberry.type(description="ROI of one day-cohort of runs over its 30-day attribution window.")
class RoiWindow(Node):
    workflow_key: str = strawberry.field(description="The workflow of the day-cohort.")
    client_id: strawberry.ID | None = strawberry.field(
        description="The runs' client; null for runs without a client."
    )
    window_start: datetime = strawberry.field(description="The day-cohort of runs (UTC midnight).")
    window_end: datetime = strawberry.field(
        description="windowStart + 30 days (+ the cohort's day): FINAL from then on."
    )
    status: WindowStatus = strawberry.field(description="OPEN until windowEnd, then FINAL.")
    runs: int = strawberry.field(description="Runs started that day, every status.")
    successes: int = strawberry.field(description="Of those, runs counted ACCEPTED.")
    cost: Decimal = strawberry.field(
        description="Fully loaded (cohort rule): the runs' usage plus that day's workflow-level "
        "costs of the client."
    )
    cost_per_success: Decimal | None = strawberry.field(
        description="cost / successes; null without successes."
    )
    attributed_revenue: Decimal = strawberry.field(
        description="Revenue the day's accepted runs claimed within 30 days of finishing."
    )
    baseline_revenue: Decimal = strawberry.field(
        description="successes × the baseline's revenuePerSuccess (0 without a baseline)."
    )
    lift: Decimal = strawberry.field(description="attributedRevenue − baselineRevenue.")
    roi: float | None = strawberry.field(description="lift / cost; null when cost = 0.")
    cost_vs_labor: float | None = strawberry.field(
        description="costPerSuccess / the baseline's humanCostPerTask; null when unknown."
    )
    computed_at: datetime = strawberry.field(description="When these figures last changed.")
    revision: int = strawberry.field(
        description="How many times late or corrected data changed this window after it was "
        "FINAL (0: never)."
    )

    @classmethod
    def from_stored(cls, workflow_key: str, window: StoredWindow, figures: RoiFigures) -> RoiWindow:
        client = window.client_id
        return cls(
            id=strawberry.ID(window_id(window.workflow_id, client, window.cohort_day)),
            workflow_key=workflow_key,
            client_id=strawberry.ID(str(client)) if client is not None else None,
            window_start=window_start(window.cohort_day),
            window_end=window_end(window.cohort_day),
            status=WindowStatus(window.status.value),
            runs=window.totals.runs,
            computed_at=window.computed_at,
            revision=window.revision,
            **_figure_fields(figures),
        )


@strawberry.type(
    description="ROI over the day-cohorts whose windowStart is in range: lift divided by fully "
    "loaded cost, from the windows the workers computed."
)
class RoiSummary:
    cost: Decimal = strawberry.field(description="Fully loaded cost of the day-cohorts (USD).")
    successes: int = strawberry.field(description="Their runs counted ACCEPTED.")
    cost_per_success: Decimal | None = strawberry.field(
        description="cost / successes; null without successes."
    )
    attributed_revenue: Decimal = strawberry.field(
        description="Revenue their accepted runs claimed within 30 days of finishing."
    )
    unattributed_revenue: Decimal = strawberry.field(
        description="Revenue that occurred in range and that no run claims."
    )
    baseline_revenue: Decimal = strawberry.field(
        description="successes × the baseline's revenuePerSuccess (0 without a baseline)."
    )
    lift: Decimal = strawberry.field(description="attributedRevenue − baselineRevenue.")
    roi: float | None = strawberry.field(description="lift / cost; null when cost = 0.")
    cost_vs_labor: float | None = strawberry.field(
        description="cost / (successes × humanCostPerTask); null unless every window's human "
        "cost is known."
    )
    complete: bool = strawberry.field(
        description="False while any window in range is still OPEN (or waiting to be recomputed)."
    )

    @classmethod
    def from_figures(
        cls, figures: RoiFigures, *, unattributed: Decimal, complete: bool
    ) -> RoiSummary:
        return cls(
            unattributed_revenue=_money(unattributed), complete=complete, **_figure_fields(figures)
        )


@strawberry.type(description="What the manual process earned per success and cost per task.")
class Baseline:
    id: strawberry.ID = strawberry.field(
        description="Opaque id of (workflow, client), for client caches."
    )
    workflow_key: str = strawberry.field(description="The workflow it applies to.")
    client_id: strawberry.ID | None = strawberry.field(
        description="The client's UUID it applies to; null: the workflow-wide baseline."
    )
    revenue_per_success: Decimal = strawberry.field(description="As stored (10 dp).")
    human_cost_per_task: Decimal | None = strawberry.field(
        description="As stored (10 dp); null when unknown."
    )
    windows_marked: int = strawberry.field(
        description="Stored ROI windows it applies to, queued for recompute."
    )

    @classmethod
    def from_stored(cls, workflow_key: str, stored: BaselineSet) -> Baseline:
        client = str(stored.client_id) if stored.client_id is not None else ""
        return cls(
            id=opaque_id("Baseline", str(stored.workflow_id), client),
            workflow_key=workflow_key,
            client_id=strawberry.ID(client) if client else None,
            revenue_per_success=stored.revenue_per_success,
            human_cost_per_task=stored.human_cost_per_task,
            windows_marked=len(stored.marked),
        )


@strawberry.type(description="The answer to setBaseline: the baseline as stored.")
class SetBaselinePayload:
    baseline: Baseline = strawberry.field(description="The baseline as stored.")


@strawberry.type(description="One ROI window of a page, with its cursor.")
class RoiWindowEdge(Edge[RoiWindow]):
    node: RoiWindow = strawberry.field(description="The window.")


@strawberry.type(description="A page of a workflow's ROI windows, by day then client (Relay).")
class RoiWindowConnection(Connection[RoiWindowEdge]):
    edges: list[RoiWindowEdge] = strawberry.field(description="The windows, in order.")
