"""The inputs every cost figure accepts: a half-open time range and a scope of filters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from app import global_ids
from app.services.costs.scope import CostScope, TimeRange
from graphql_schema.costs.enums import CostBasis
from graphql_schema.errors import BadUserInput


def parse_id(value: str, *, field: str) -> uuid.UUID:
    """A client id from GraphQL, the raw UUID or the Client's global id (`Client.id`);
    BAD_USER_INPUT naming `field` when it is neither."""
    try:
        return global_ids.client_uuid(str(value))
    except ValueError:
        raise BadUserInput(
            f"{field} is not a client id (a Client.id or its UUID): {value!r}.", field=field
        ) from None


@strawberry.input(name="TimeRange", description="The half-open interval [from, to), in UTC.")
class TimeRangeInput:
    from_: datetime = strawberry.field(
        name="from", description="Start, inclusive (with a UTC offset)."
    )
    to: datetime = strawberry.field(description="End, exclusive (with a UTC offset).")

    def to_range(self, *, field: str = "range") -> TimeRange:
        for name, value in (("from", self.from_), ("to", self.to)):
            if value.tzinfo is None:
                raise BadUserInput(
                    f"{field}.{name} needs a UTC offset, e.g. 2026-03-01T00:00:00Z.",
                    field=f"{field}.{name}",
                )
        if self.from_ >= self.to:
            raise BadUserInput(f"{field}.to must be after {field}.from.", field=field)
        return TimeRange(self.from_, self.to)


@strawberry.input(
    name="Scope", description="Filters every cost figure accepts; all optional, combined with AND."
)
class ScopeInput:
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only this client's runs: Client.id or its UUID."
    )
    campaign: str | None = strawberry.field(default=None, description="Only runs of this campaign.")
    channel: str | None = strawberry.field(default=None, description="Only runs of this channel.")
    variant: str | None = strawberry.field(default=None, description="Only runs of this variant.")
    team: str | None = strawberry.field(default=None, description="Only this team.")

    def to_scope(self, *, field: str = "scope") -> CostScope:
        client_id = (
            parse_id(self.client_id, field=f"{field}.clientId")
            if self.client_id is not None
            else None
        )
        return CostScope(client_id, self.campaign, self.channel, self.variant, self.team)


def scope_of(scope: ScopeInput | None) -> CostScope:
    return scope.to_scope() if scope is not None else CostScope()


# Arguments many fields share, described once.
RangeArg = Annotated[
    TimeRangeInput,
    strawberry.argument(
        name="range", description="The half-open UTC interval [from, to) the field reads."
    ),
]
CohortRangeArg = Annotated[
    TimeRangeInput,
    strawberry.argument(
        name="range", description="The cohort: the runs started in [from, to) (UTC)."
    ),
]
WindowRangeArg = Annotated[
    TimeRangeInput,
    strawberry.argument(
        name="range", description="The day-cohorts whose windowStart is in [from, to)."
    ),
]
ScopeArg = Annotated[
    ScopeInput | None,
    strawberry.argument(description="Only runs matching every filter given (AND)."),
]
BasisArg = Annotated[
    CostBasis | None,
    strawberry.argument(description="RACK_RATE (the price book, default) or RECONCILED."),
]
WorkflowKeyArg = Annotated[
    str, strawberry.argument(description="A workflow's key (unknown: NOT_FOUND).")
]
OptionalWorkflowKeyArg = Annotated[
    str | None,
    strawberry.argument(description="Only this workflow (unknown: NOT_FOUND); all when null."),
]
