"""`run` and `runs`: single runs and a keyset-paginated list, newest first (tenant-wide reads)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.costs import run_reads
from app.services.costs.run_reads import PagePosition, RunFilter
from graphql_schema.context import Info
from graphql_schema.costs.enums import RunStatus
from graphql_schema.costs.inputs import ScopeInput, TimeRangeInput, scope_of
from graphql_schema.errors import BadUserInput
from graphql_schema.loaders import require_workflow
from graphql_schema.permissions import CanRead
from graphql_schema.runs.cursor import decode_cursor, encode_cursor
from graphql_schema.runs.types import PageInfo, Run, RunConnection, RunEdge

OptionalRangeArg = Annotated[TimeRangeInput | None, strawberry.argument(name="range")]


async def _run_filter(
    info: Info,
    workflow_key: str | None,
    status: RunStatus | None,
    scope: ScopeInput | None,
    time_range: TimeRangeInput | None,
) -> RunFilter:
    workflow_id = None
    if workflow_key is not None:
        workflow = await require_workflow(info, workflow_key)
        workflow_id = workflow.workflow_id
    return RunFilter(
        workflow_id=workflow_id,
        status=status.value if status is not None else None,
        scope=scope_of(scope),
        time_range=time_range.to_range() if time_range is not None else None,
    )


@strawberry.type
class RunQueries:
    @strawberry.field(permission_classes=[CanRead], description="One run by its correlation id.")
    async def run(self, info: Info, correlation_id: str) -> Run | None:
        async with info.context.session() as session:
            row = await run_reads.run_by_correlation_id(
                session=session,
                tenant_id=info.context.principal.tenant_id,
                correlation_id=correlation_id,
            )
        return Run.from_row(row) if row is not None else None

    @strawberry.field(
        permission_classes=[CanRead],
        description="Runs newest first (startedAt, then correlationId, descending), filtered "
        "with AND; `first` at most the server's page size; `after` is an endCursor.",
    )
    async def runs(
        self,
        info: Info,
        workflow_key: str | None = None,
        status: RunStatus | None = None,
        scope: ScopeInput | None = None,
        time_range: OptionalRangeArg = None,
        first: int | None = 50,
        after: str | None = None,
    ) -> RunConnection:
        limit = info.context.settings.max_page_size
        size = 50 if first is None else first
        if not 0 <= size <= limit:
            raise BadUserInput(f"first must be between 0 and {limit}.", field="first")
        position = decode_cursor(after) if after is not None else None
        run_filter = await _run_filter(info, workflow_key, status, scope, time_range)
        async with info.context.session() as session:
            page = await run_reads.page_of_runs(
                session=session,
                tenant_id=info.context.principal.tenant_id,
                run_filter=run_filter,
                first=size,
                after=position,
            )
        edges = [
            RunEdge(
                node=Run.from_row(row),
                cursor=encode_cursor(PagePosition(row.started_at, row.correlation_id)),
            )
            for row in page.runs
        ]
        return RunConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=page.has_next_page,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )
