"""Runs (one task attempt each), their usage, and the keyset connection over them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.db.tables import Run as RunRow
from app.db.tables import UsageEvent as UsageEventRow
from graphql_schema.context import Info
from graphql_schema.costs.enums import RunStatus, UsageKind
from graphql_schema.loaders import loaders


@strawberry.type(description="One metered thing that cost money.")
class UsageEvent:
    event_id: str
    kind: UsageKind
    occurred_at: datetime
    provider: str | None
    model: str | None
    step: str | None
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    reasoning_tokens: int
    cost: Decimal

    @classmethod
    def from_row(cls, row: UsageEventRow) -> UsageEvent:
        return cls(
            event_id=row.event_id,
            kind=UsageKind(row.kind),
            occurred_at=row.occurred_at,
            provider=row.provider,
            model=row.model,
            step=row.step,
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            cache_read_tokens=row.cache_read_tokens,
            cache_write_tokens=row.cache_write_tokens,
            reasoning_tokens=row.reasoning_tokens,
            cost=row.cost,
        )


@strawberry.type(description="One task attempt, identified by its correlation id.")
class Run:
    correlation_id: str
    client_id: strawberry.ID | None
    status: RunStatus
    started_at: datetime
    ended_at: datetime | None
    campaign: str | None
    channel: str | None
    variant: str | None
    team: str | None
    subject: str | None
    row: strawberry.Private[RunRow]

    @classmethod
    def from_row(cls, row: RunRow) -> Run:
        return cls(
            correlation_id=row.correlation_id,
            client_id=strawberry.ID(str(row.client_id)) if row.client_id else None,
            status=RunStatus(row.status),
            started_at=row.started_at,
            ended_at=row.ended_at,
            campaign=row.campaign,
            channel=row.channel,
            variant=row.variant,
            team=row.team,
            subject=row.subject,
            row=row,
        )

    @strawberry.field
    async def workflow_key(self, info: Info) -> str:
        workflow = await loaders(info).workflow_by_id.load(self.row.workflow_id)
        assert workflow is not None  # runs.workflow_id is a foreign key
        return workflow.key

    @strawberry.field(description="The sum of the run's usage, whenever it occurred (0 if none).")
    async def cost(self, info: Info) -> Decimal:
        cost: Decimal = await loaders(info).run_cost.load(self.correlation_id)
        return cost

    @strawberry.field(description="The run's usage events, in the order they occurred.")
    async def usage(self, info: Info) -> list[UsageEvent]:
        rows = await loaders(info).run_usage.load(self.correlation_id)
        return [UsageEvent.from_row(row) for row in rows]


@strawberry.type
class RunEdge:
    node: Run
    cursor: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class RunConnection:
    edges: list[RunEdge]
    page_info: PageInfo
