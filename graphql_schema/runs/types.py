"""Runs (one task attempt each), their usage, and the keyset connection over them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from app.db.tables import Run as RunRow
from app.db.tables import UsageEvent as UsageEventRow
from app.services.costs import run_reads
from graphql_schema.context import Info
from graphql_schema.costs.enums import RunStatus, UsageKind
from graphql_schema.loaders import loaders
from graphql_schema.nodes.connections import (
    AfterArg,
    BeforeArg,
    Connection,
    Edge,
    FirstArg,
    LastArg,
    aware,
    connection_of,
    page_request,
)
from graphql_schema.nodes.interface import Node, opaque_id
from graphql_schema.shaping import copy_fields

USAGE_PAGE = 50


@strawberry.type(description="One metered thing that cost money.")
class UsageEvent(Node):
    event_id: str = strawberry.field(description="The event's id, unique in the tenant.")
    kind: UsageKind = strawberry.field(description="What was metered.")
    occurred_at: datetime = strawberry.field(description="When it happened (UTC).")
    provider: str | None = strawberry.field(description="The model or tool provider, if any.")
    model: str | None = strawberry.field(description="The model of an LLM call.")
    step: str | None = strawberry.field(description="The step or role, e.g. drafter.")
    input_tokens: int = strawberry.field(description="Uncached input tokens.")
    output_tokens: int = strawberry.field(description="Output tokens, reasoning excluded.")
    cache_read_tokens: int = strawberry.field(description="Input tokens read from a cache.")
    cache_write_tokens: int = strawberry.field(description="Input tokens written to a cache.")
    reasoning_tokens: int = strawberry.field(description="Reasoning tokens.")
    cost: Decimal = strawberry.field(
        description="USD, reported (third-party, infra) or priced from the price book."
    )

    @classmethod
    def from_row(cls, row: UsageEventRow) -> UsageEvent:
        opaque = opaque_id("UsageEvent", row.event_id)
        return copy_fields(cls, row, id=opaque, kind=UsageKind(row.kind))


@strawberry.type(description="A run's value of one of the tenant's own dimensions.")
class RunDimensionValue:
    key: str = strawberry.field(description="The dimension's key, e.g. segment.")
    value: str = strawberry.field(description="The run's value, e.g. smb.")


@strawberry.type(description="One task attempt, identified by its correlation id.")
class Run(Node):
    correlation_id: str = strawberry.field(
        description="Ties every event of the attempt together; unique in the tenant."
    )
    client_id: strawberry.ID | None = strawberry.field(
        description="The UUID of the run's client (Client.clientId); null without one."
    )
    status: RunStatus = strawberry.field(
        description="RUNNING, then the status its labels and acceptance hold give."
    )
    started_at: datetime = strawberry.field(description="When the attempt started (UTC).")
    ended_at: datetime | None = strawberry.field(
        description="When it reached its status; null while RUNNING."
    )
    campaign: str | None = strawberry.field(description="Dimension: the campaign.")
    channel: str | None = strawberry.field(description="Dimension: the channel.")
    variant: str | None = strawberry.field(description='Dimension: the variant ("model A").')
    team: str | None = strawberry.field(description="Dimension: the team.")
    subject: str | None = strawberry.field(
        description="What the attempt worked on (a lead, a ticket), for ladder outcomes."
    )
    row: strawberry.Private[RunRow]

    @strawberry.field(
        description="The run's values of the tenant's own dimensions (declareRunDimension), "
        "in key order; empty when it carries none."
    )
    def dimensions(self) -> list[RunDimensionValue]:
        values = self.row.dimensions or {}
        return [RunDimensionValue(key=k, value=str(values[k])) for k in sorted(values)]

    @classmethod
    def from_row(cls, row: RunRow) -> Run:
        return copy_fields(
            cls,
            row,
            id=opaque_id("Run", row.correlation_id),
            client_id=strawberry.ID(str(row.client_id)) if row.client_id else None,
            status=RunStatus(row.status),
            row=row,
        )

    @strawberry.field(description="The key of the run's workflow.")
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

    @strawberry.field(
        description="The run's usage events as a Relay connection, in the order they occurred "
        "(occurredAt, then eventId); first/after forward, last/before backward."
    )
    async def usage_connection(
        self,
        info: Info,
        first: FirstArg = None,
        after: AfterArg = None,
        last: LastArg = None,
        before: BeforeArg = None,
    ) -> UsageEventConnection | None:
        request = page_request(
            info, first=first, after=after, last=last, before=before,
            default=USAGE_PAGE, parse=usage_position,
        )  # fmt: skip
        async with info.context.transaction() as tx:
            page = await tx.call(
                run_reads.page_of_usage, correlation_id=self.correlation_id, request=request
            )
            total = await tx.call(run_reads.usage_count, correlation_id=self.correlation_id)
        return connection_of(
            UsageEventConnection, UsageEventEdge, page,
            node=UsageEvent.from_row, key=usage_key, total_count=total,
        )  # fmt: skip


def usage_key(row: UsageEventRow) -> list[Any]:
    """A usage event's place in its run's order: the cursor's values (see usage_position)."""
    return [row.occurred_at.isoformat(), row.event_id]


def usage_position(values: list[Any]) -> tuple[Any, ...]:
    occurred_at, event_id = values
    return (aware(occurred_at), str(event_id))


def run_key(row: RunRow) -> list[Any]:
    """A run's place in the runs' order: the cursor's values (see run_position)."""
    return [row.started_at.isoformat(), row.correlation_id]


def run_position(values: list[Any]) -> tuple[Any, ...]:
    started_at, correlation_id = values
    return (aware(started_at), str(correlation_id))


@strawberry.type(description="One run of a page, with its cursor.")
class RunEdge(Edge[Run]):
    node: Run = strawberry.field(description="The run.")


@strawberry.type(description="A page of runs (Relay connection).")
class RunConnection(Connection[RunEdge]):
    edges: list[RunEdge] = strawberry.field(description="The runs of this page, in order.")


@strawberry.type(description="One usage event of a page, with its cursor.")
class UsageEventEdge(Edge[UsageEvent]):
    node: UsageEvent = strawberry.field(description="The usage event.")


@strawberry.type(description="A page of a run's usage events (Relay connection).")
class UsageEventConnection(Connection[UsageEventEdge]):
    edges: list[UsageEventEdge] = strawberry.field(description="The events of this page.")
    total_count: int = strawberry.field(description="Usage events of the run, all pages.")
