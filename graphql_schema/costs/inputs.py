"""The inputs every cost figure accepts: a half-open time range and a scope of filters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import strawberry

from app import global_ids
from app.domain.dimensions import key_problem
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import custom_dimension
from graphql_schema.context import Info
from graphql_schema.costs.enums import CostBasis, CostDimension
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


@strawberry.input(description="Only runs whose value of a declared run dimension is `value`.")
class DimensionFilter:
    key: str = strawberry.field(description="A declared run dimension's key, e.g. segment.")
    value: str = strawberry.field(description="The value runs must carry, e.g. smb.")


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
    dimensions: list[DimensionFilter] | None = strawberry.field(
        default=None,
        description="Only runs carrying every one of these run dimension values (AND; one "
        "value per key). Workflow-level costs carry no run dimension and are left out, as for "
        "campaign. A key the tenant never declared is BAD_USER_INPUT (UNDECLARED_DIMENSION).",
    )

    def to_scope(self, *, field: str = "scope") -> CostScope:
        client_id = (
            parse_id(self.client_id, field=f"{field}.clientId")
            if self.client_id is not None
            else None
        )
        pairs: dict[str, str] = {}
        for item in self.dimensions or ():
            problem = key_problem(item.key)
            if problem is None and item.key in pairs:
                problem = f"dimension {item.key!r} is given twice (one value per key)"
            if problem is not None:
                raise BadUserInput(f"{field}.dimensions: {problem}.", field=f"{field}.dimensions")
            pairs[item.key] = item.value
        return CostScope(
            client_id,
            self.campaign,
            self.channel,
            self.variant,
            self.team,
            dimensions=tuple(sorted(pairs.items())),
        )


def scope_of(scope: ScopeInput | None) -> CostScope:
    """The scope as given (no database check: see `checked_scope`)."""
    return scope.to_scope() if scope is not None else CostScope()


async def check_dimension_key(
    info: Info, custom: int, dimension_key: str | None, *, field: str = "dimensionKey"
) -> None:
    """`custom` = how many times CUSTOM was asked for: with it, `dimension_key` must name a
    declared run dimension (asked once); without it, no key may be given."""
    if custom == 0:
        if dimension_key is not None:
            raise BadUserInput(f"{field} is only read with the dimension CUSTOM.", field=field)
        return
    if custom > 1:
        raise BadUserInput("CUSTOM may appear once (one dimensionKey).", field=field)
    if dimension_key is None:
        raise BadUserInput(
            f"CUSTOM needs {field}: the key of a run dimension (see runDimensions).", field=field
        )
    from graphql_schema.loaders import loaders  # late: the loaders import these inputs

    if dimension_key not in await loaders(info).decisions.dimension_keys.load(None):
        raise BadUserInput(
            f"UNDECLARED_DIMENSION: {field} {dimension_key[:80]!r} is not a run dimension of "
            "this tenant; declare it with declareRunDimension.",
            field=field,
        )


async def sliced_dimension(info: Info, dimension: CostDimension, dimension_key: str | None) -> str:
    """The slice dimension the services take for `dimension`: its value, or for CUSTOM the run
    dimension `dimension_key` names (checked as in check_dimension_key: BAD_USER_INPUT naming
    dimensionKey when missing, undeclared, or given without CUSTOM)."""
    custom = dimension is CostDimension.CUSTOM
    await check_dimension_key(info, int(custom), dimension_key)
    if custom and dimension_key is not None:
        return custom_dimension(dimension_key)
    return dimension.value


async def checked_scope(info: Info, scope: ScopeInput | None) -> CostScope:
    """`scope_of`, with every run dimension it filters checked against the tenant's declared
    ones (read once per request): filtering by a key nobody declared is a typo, not a zero."""
    parsed = scope_of(scope)
    if parsed.dimensions:
        from graphql_schema.loaders import loaders  # late: the loaders import these inputs

        declared = await loaders(info).decisions.dimension_keys.load(None)
        for key, _ in parsed.dimensions:
            if key not in declared:
                raise BadUserInput(
                    f"UNDECLARED_DIMENSION: scope.dimensions names {key!r}, which is not a run "
                    "dimension of this tenant; declare it with declareRunDimension.",
                    field="scope.dimensions",
                )
    return parsed


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
