"""The Workflow type. Cost figures are resolved through loaders (see graphql_schema/costs).

A Workflow is reachable only through tenant-wide fields (`workflows`, `workflow`, mutations),
each guarded by its own permission, so its fields need no further check.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from app.db.tables import Workflow as WorkflowRow
from graphql_schema.context import Info
from graphql_schema.costs import resolve
from graphql_schema.costs.enums import CostBasis, CostDimension, WindowStatus
from graphql_schema.costs.inputs import (
    BasisArg,
    CohortRangeArg,
    ScopeArg,
    ScopeInput,
    TimeRangeInput,
    WindowRangeArg,
    checked_scope,
)
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.costs.types import CostPerOutcome, FailureCostShare, RunCostStats
from graphql_schema.decisions import args as decisions_args
from graphql_schema.decisions import effort as decisions_effort
from graphql_schema.decisions import failures as decisions_failures
from graphql_schema.gates import resolve as gate_resolve
from graphql_schema.gates.types import (
    AutonomyEvent,
    AutonomyEventConnection,
    GateEvaluation,
    GateEvaluationConnection,
)
from graphql_schema.ladders import resolve as ladder_resolve
from graphql_schema.ladders.types import LadderCost, RisingSlice, SeriesPoint
from graphql_schema.loaders import loaders
from graphql_schema.mix import resolve as mix_resolve
from graphql_schema.mix.types import CachingView, SliceCost
from graphql_schema.nodes.connections import AfterArg, BeforeArg, FirstArg, LastArg, PageArgs
from graphql_schema.nodes.interface import Node, opaque_id
from graphql_schema.readiness.types import AutonomyGate, AutonomyReadiness
from graphql_schema.roi import resolve as roi_resolve
from graphql_schema.roi.types import RoiSummary, RoiWindow, RoiWindowConnection
from graphql_schema.shaping import copy_fields

OptionalRangeArg = Annotated[
    TimeRangeInput | None,
    strawberry.argument(name="range", description="Only windows whose windowStart is in it."),
]
ClientFilter = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Only this client's windows (Client.id or UUID)."),
]
StatusFilter = Annotated[
    WindowStatus | None, strawberry.argument(description="Only OPEN or FINAL windows.")
]
RungArg = Annotated[str, strawberry.argument(description="An active rung of the ladder.")]
FirstPage = Annotated[
    int | None, strawberry.argument(description="At most this many, newest first.")
]

RECONCILED_NOTE = (
    " basis RECONCILED: each provider-month's LLM costs scaled to its recorded invoice."
)


@strawberry.type(description="One step of a workflow's outcome ladder.")
class LadderRung:
    key: str = strawberry.field(description='The rung\'s key, e.g. "reply"; unique in the ladder.')
    name: str = strawberry.field(description="The rung's display name.")
    position: int = strawberry.field(description="The rung's place in the ladder (ascending).")


def cohort_field(
    fetch: Callable[[Info, CohortKey], Awaitable[Any]],
    returns: Any,
    description: str,
    *,
    priced: bool = False,
) -> Any:
    """A Workflow field answered from its cohort (the runs started in `range`, narrowed by
    `scope`): `fetch` loads the figures of the cohort's key through the request's loaders. At
    rack rate, or with `priced` at the `basis` the field then takes. The field's type is
    `returns`, or null."""

    async def at_rack_rate(
        root: Workflow, info: Info, time_range: CohortRangeArg, scope: ScopeArg = None
    ) -> Any:
        return await fetch(info, await root.cohort(info, time_range, scope))

    async def at_basis(
        root: Workflow,
        info: Info,
        time_range: CohortRangeArg,
        scope: ScopeArg = None,
        basis: BasisArg = CostBasis.RACK_RATE,
    ) -> Any:
        return await fetch(info, await root.cohort(info, time_range, scope, basis))

    return strawberry.field(
        resolver=at_basis if priced else at_rack_rate,
        graphql_type=returns | None,
        description=description,
    )


def page_field(
    fetch: Callable[[Info, uuid.UUID, PageArgs], Awaitable[Any]], returns: Any, description: str
) -> Any:
    """A Workflow field answered as a Relay connection of the workflow's rows: `fetch` reads the
    page the four paging arguments ask for. The field's type is `returns`, or null."""

    async def resolver(
        root: Workflow,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> Any:
        args = PageArgs(first=first, after=after, last=last, before=before)
        return await fetch(info, root.workflow_id, args)

    return strawberry.field(resolver=resolver, graphql_type=returns | None, description=description)


@strawberry.type(description="An agent workflow: its autonomy level, ladder and unit economics.")
class Workflow(Node):
    key: str = strawberry.field(description="The workflow's key, unique in the tenant.")
    name: str = strawberry.field(description="The workflow's display name.")
    division: str | None = strawberry.field(description="An optional grouping, e.g. a team.")
    autonomy_level: int = strawberry.field(
        description="0 shadow, 1 every output reviewed, 2 sampled review, 3 autonomous."
    )
    acceptance_hold_hours: int = strawberry.field(
        description="Hours an ACCEPTED run stays provisional (a reopen inside them revokes it)."
    )
    workflow_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: WorkflowRow) -> Workflow:
        return copy_fields(cls, row, id=opaque_id("Workflow", str(row.workflow_id)))

    async def cohort(
        self,
        info: Info,
        time_range: TimeRangeInput,
        scope: ScopeInput | None,
        basis: CostBasis | None = CostBasis.RACK_RATE,
    ) -> CohortKey:
        """The key of this workflow's cohort: runs started in `time_range`, `scope` checked."""
        return resolve.cohort_key(
            self.workflow_id, time_range, await checked_scope(info, scope), basis
        )

    @strawberry.field(description="The outcome ladder's rungs, in position order.")
    async def ladder(self, info: Info) -> list[LadderRung]:
        rungs = await loaders(info).ladder.load(self.workflow_id)
        return [copy_fields(LadderRung, r) for r in rungs]

    cost_per_outcome = cohort_field(
        resolve.cost_per_outcome,
        CostPerOutcome,
        "Cost per accepted outcome of the cohort of runs started in range "
        "(all their usage, whenever it occurred, plus workflow-level costs booked in range)."
        + RECONCILED_NOTE,
        priced=True,
    )

    ladder_costs = cohort_field(
        ladder_resolve.ladder_costs,
        list[LadderCost],
        "One entry per active rung, in ladder order, for the cohort of runs started "
        "in range: count = distinct subjects (runs without one) that reached the rung, whenever; "
        "totalCost = costPerOutcome.totalCost." + RECONCILED_NOTE,
        priced=True,
    )

    @strawberry.field(
        description="A rung's figures as consecutive half-open buckets from range.from (the "
        "last clipped to range.to), each bucket a cohort. bucket: an ISO 8601 duration PnD, "
        "PnW or PTnH (at most 400 buckets)."
    )
    async def ladder_series(
        self,
        info: Info,
        time_range: CohortRangeArg,
        bucket: Annotated[
            str, strawberry.argument(description='An ISO 8601 duration: "P1D", "P7D", "PT6H".')
        ],
        rung: RungArg,
        scope: ScopeArg = None,
    ) -> list[SeriesPoint] | None:
        return await ladder_resolve.ladder_series(
            info, self.workflow_id, time_range, bucket, rung, await checked_scope(info, scope)
        )

    @strawberry.field(
        description="Values of a dimension (CAMPAIGN, CHANNEL, VARIANT, CLIENT, TEAM, or a run "
        "dimension of the tenant: CUSTOM with dimensionKey) whose cost "
        "per rung in range rose more than minRisePct percent against the previous window of the "
        "same length. Slices with no outcome in the previous window are not listed."
    )
    async def rising_slices(
        self,
        info: Info,
        rung: RungArg,
        time_range: Annotated[
            TimeRangeInput,
            strawberry.argument(
                name="range", description="The current window; compared with the one before it."
            ),
        ],
        dimension: Annotated[
            CostDimension,
            strawberry.argument(
                description="CAMPAIGN, CHANNEL, VARIANT, CLIENT, TEAM, or CUSTOM with dimensionKey."
            ),
        ],
        min_rise_pct: Annotated[
            float, strawberry.argument(description="The smallest rise listed, in percent.")
        ] = 20.0,
        dimension_key: Annotated[
            str | None,
            strawberry.argument(
                description="The run dimension to slice by with CUSTOM (required then; a key "
                "the tenant never declared is BAD_USER_INPUT)."
            ),
        ] = None,
    ) -> list[RisingSlice] | None:
        return await ladder_resolve.rising_slices(
            info, self.workflow_id, rung, time_range, dimension, min_rise_pct, dimension_key
        )

    failure_cost_share = cohort_field(
        resolve.failure_cost_share,
        FailureCostShare,
        "The cohort's spend on runs that ended in a failure status, by status. "
        "Runs still RUNNING or inside their acceptance hold are not failures yet.",
    )

    run_cost_stats = cohort_field(
        resolve.run_cost_stats,
        RunCostStats,
        "Per-run cost over the cohort (0 for a run without usage): nearest-rank "
        "quantiles and a distribution-free 95% interval for the median.",
    )

    caching = cohort_field(
        mix_resolve.caching,
        CachingView,
        "Cache reads, uncached input and what the cache saved, for the cohort of "
        "runs started in range (the same events as costPerOutcome; rack rate).",
    )

    cost_by_variant = cohort_field(
        mix_resolve.cost_by_variant,
        list[SliceCost],
        "The cohort (runs started in range) by the run's variant: cost per outcome "
        "and success rate of each (rack rate; workflow-level costs belong to no slice).",
    )

    cost_by_model = cohort_field(
        mix_resolve.cost_by_model,
        list[SliceCost],
        "The cohort (runs started in range) by each run's dominant model (the "
        "model with the largest LLM cost in the run; null: no LLM usage), as costByVariant.",
    )

    @strawberry.field(
        description="The cohort (runs started in range) by each run's dominant reasoning effort, "
        "each tier compared with the cheapest: cost multiple, quality lift with its interval, "
        "a verdict, and the tier to default to (docs/numbers.md, Effort tiers)."
    )
    async def effort_tiers(
        self,
        info: Info,
        time_range: decisions_args.RangeArg,
        scope: decisions_args.ScopeArg = None,
        min_finished: decisions_args.MinFinishedArg = 30,
    ) -> decisions_effort.EffortEconomics | None:
        key = await self.cohort(info, time_range, scope)
        return await decisions_effort.effort_tiers(info, key, min_finished)

    @strawberry.field(
        description="The cohort's failure cost by status and reason code (normalised label "
        "reasons; declared codes show their label), top reasons by money lost first."
    )
    async def failure_reasons(
        self,
        info: Info,
        time_range: decisions_args.RangeArg,
        scope: decisions_args.ScopeArg = None,
        top: decisions_args.TopArg = 10,
    ) -> decisions_failures.FailureReasons | None:
        key = await self.cohort(info, time_range, scope)
        return await decisions_failures.workflow_failure_reasons(info, key, top)

    @strawberry.field(
        description="ROI windows computed by the workers, by day then client: one per "
        "(client, UTC day) cohort of runs. range selects windowStart in [from, to)."
    )
    async def roi_windows(
        self,
        info: Info,
        client_id: ClientFilter = None,
        time_range: OptionalRangeArg = None,
        status: StatusFilter = None,
    ) -> list[RoiWindow] | None:
        key = roi_resolve.windows_key(self.workflow_id, client_id, time_range, status)
        return await roi_resolve.roi_windows(info, key, self.key)

    @strawberry.field(
        description="ROI of the day-cohorts whose windowStart is in range (sums of roiWindows); "
        "scope may name a client only (ROI is kept per workflow, client and day)."
    )
    async def roi(
        self, info: Info, time_range: WindowRangeArg, scope: ScopeArg = None
    ) -> RoiSummary | None:
        return await roi_resolve.workflow_roi(
            info, workflow_id=self.workflow_id, time_range=time_range, scope=scope
        )

    @strawberry.field(description="The autonomy gate for the next level; null when none is set.")
    async def gate(self, info: Info) -> AutonomyGate | None:
        return await gate_resolve.next_gate(info, self.workflow_id, self.autonomy_level)

    @strawberry.field(
        description="Readiness for the next level, evaluated now (same as autonomyReadiness)."
    )
    async def readiness(self, info: Info) -> AutonomyReadiness | None:
        return await gate_resolve.readiness(info, self.workflow_id)

    @strawberry.field(description="Every version of every gate of the workflow, newest first.")
    async def gate_history(self, info: Info) -> list[AutonomyGate] | None:
        return await gate_resolve.gate_history(info, self.workflow_id)

    @strawberry.field(
        description="The gate evaluations stored by the hourly worker, newest first (every "
        "gate in force, each with the numbers it was decided on)."
    )
    async def gate_evaluations(
        self, info: Info, first: FirstPage = 20
    ) -> list[GateEvaluation] | None:
        return await gate_resolve.gate_evaluations(info, self.workflow_id, first)

    @strawberry.field(
        description="Every promotion, refused promotion, demotion and automatic demotion, "
        "newest first, with actor, time, levels and the readiness it was decided on."
    )
    async def autonomy_history(
        self, info: Info, first: FirstPage = 50
    ) -> list[AutonomyEvent] | None:
        return await gate_resolve.autonomy_history(info, self.workflow_id, first)

    gate_evaluations_connection = page_field(
        gate_resolve.evaluations_connection,
        GateEvaluationConnection,
        "The stored gate evaluations as a Relay connection, newest first "
        "(evaluatedAt, then id); first/after forward, last/before backward (default 20).",
    )

    autonomy_history_connection = page_field(
        gate_resolve.history_connection,
        AutonomyEventConnection,
        "The autonomy history as a Relay connection, newest first (at, then id); "
        "first/after forward, last/before backward (default 50).",
    )

    @strawberry.field(
        description="The ROI windows as a Relay connection, by day then client (as roiWindows); "
        "first/after forward, last/before backward (default 50)."
    )
    async def roi_windows_connection(
        self,
        info: Info,
        client_id: ClientFilter = None,
        time_range: OptionalRangeArg = None,
        status: StatusFilter = None,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> RoiWindowConnection | None:
        key = roi_resolve.windows_key(self.workflow_id, client_id, time_range, status)
        args = PageArgs(first=first, after=after, last=last, before=before)
        return await roi_resolve.roi_windows_connection(info, key, self.key, args)
