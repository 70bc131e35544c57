"""`workflows` and `workflow(key)`: tenant-wide reads."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.tenancy import catalog
from graphql_schema.context import Info
from graphql_schema.loaders import loaders
from graphql_schema.permissions import CanRead
from graphql_schema.workflows.types import Workflow


@strawberry.type
class WorkflowQueries:
    @strawberry.field(permission_classes=[CanRead], description="Every workflow, by key.")
    async def workflows(self, info: Info) -> list[Workflow] | None:
        rows = await info.context.call(catalog.list_workflows)
        # The rows are the request's: fields that need a workflow by id (readiness) use these
        # instead of reading them again.
        loaders(info).workflow_by_id.prime_many({row.workflow_id: row for row in rows})
        return [Workflow.from_row(row) for row in rows]

    @strawberry.field(permission_classes=[CanRead], description="One workflow; null if unknown.")
    async def workflow(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The workflow's key.")],
    ) -> Workflow | None:
        row = await loaders(info).workflow_by_key.load(key)
        return Workflow.from_row(row) if row is not None else None
