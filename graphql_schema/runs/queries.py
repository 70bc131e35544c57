"""`run` and `runs`: single runs and a keyset-paginated list, newest first (tenant-wide reads)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.costs import run_reads
from app.services.costs.run_reads import RunFilter
from graphql_schema.context import Info
from graphql_schema.costs.enums import RunStatus
from graphql_schema.costs.inputs import ScopeInput, TimeRangeInput, checked_scope
from graphql_schema.loaders import optional_workflow_id
from graphql_schema.nodes.connections import (
    AfterArg,
    BeforeArg,
    LastArg,
    connection_of,
    page_request,
)
from graphql_schema.permissions import CanRead
from graphql_schema.runs.types import Run, RunConnection, RunEdge, run_key, run_position

RUNS_PAGE = 50
OptionalRangeArg = Annotated[
    TimeRangeInput | None,
    strawberry.argument(name="range", description="Only runs started in this range."),
]
ScopeArg = Annotated[
    ScopeInput | None, strawberry.argument(description="Only runs matching these dimensions.")
]
WorkflowKeyFilter = Annotated[
    str | None, strawberry.argument(description="Only runs of this workflow (unknown: NOT_FOUND).")
]


async def _run_filter(
    info: Info,
    workflow_key: str | None,
    status: RunStatus | None,
    scope: ScopeInput | None,
    time_range: TimeRangeInput | None,
) -> RunFilter:
    return RunFilter(
        workflow_id=await optional_workflow_id(info, workflow_key),
        status=status.value if status is not None else None,
        scope=await checked_scope(info, scope),
        time_range=time_range.to_range() if time_range is not None else None,
    )


@strawberry.type
class RunQueries:
    @strawberry.field(
        permission_classes=[CanRead], description="One run by its correlation id; null if unknown."
    )
    async def run(
        self,
        info: Info,
        correlation_id: Annotated[
            str, strawberry.argument(description="The run's correlation id.")
        ],
    ) -> Run | None:
        row = await info.context.call(
            run_reads.run_by_correlation_id, correlation_id=correlation_id
        )
        return Run.from_row(row) if row is not None else None

    @strawberry.field(
        permission_classes=[CanRead],
        description="Runs newest first (startedAt, then correlationId, descending), filtered "
        "with AND, as a Relay connection: first/after page forward, last/before backward; "
        "sizes at most the server's page size.",
    )
    async def runs(
        self,
        info: Info,
        workflow_key: WorkflowKeyFilter = None,
        status: Annotated[
            RunStatus | None, strawberry.argument(description="Only runs with this status.")
        ] = None,
        scope: ScopeArg = None,
        time_range: OptionalRangeArg = None,
        first: Annotated[
            int | None,
            strawberry.argument(description="Forward page: at most this many runs (default 50)."),
        ] = 50,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> RunConnection | None:
        request = page_request(
            info, first=first, after=after, last=last, before=before,
            default=RUNS_PAGE, parse=run_position, first_default=RUNS_PAGE,
        )  # fmt: skip
        run_filter = await _run_filter(info, workflow_key, status, scope, time_range)
        page = await info.context.call(
            run_reads.page_of_runs, run_filter=run_filter, request=request
        )
        return connection_of(RunConnection, RunEdge, page, node=Run.from_row, key=run_key)
