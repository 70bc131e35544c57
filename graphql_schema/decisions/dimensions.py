"""A tenant's own run dimensions: declare, list, retire (app.services.decisions.dimensions)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.services.decisions import dimensions
from app.services.decisions.dimensions import StoredDimension
from graphql_schema.context import Info
from graphql_schema.errors import field_errors
from graphql_schema.permissions import CanConfigure, CanRead


@strawberry.type(
    description="A run dimension the tenant declared (an ICP segment, a region, a deal size "
    "band…): runs carry a value for it, figures filter (Scope.dimensions) and group by it."
)
class RunDimension:
    key: str = strawberry.field(description="The key runs and filters name, e.g. segment.")
    description: str = strawberry.field(description="What the dimension means.")
    allowed_values: list[str] | None = strawberry.field(
        description="The values a run may carry, in declaration order; null: free text."
    )
    retired: bool = strawberry.field(
        description="True once retired: new runs may not carry it; stored values stay readable."
    )
    retired_at: datetime | None = strawberry.field(description="When it was retired; null if not.")
    declared_at: datetime = strawberry.field(description="When the key was first declared.")

    @classmethod
    def from_stored(cls, stored: StoredDimension) -> RunDimension:
        return cls(
            key=stored.key,
            description=stored.description,
            allowed_values=None if stored.allowed_values is None else list(stored.allowed_values),
            retired=stored.retired_at is not None,
            retired_at=stored.retired_at,
            declared_at=stored.created_at,
        )


@strawberry.input(description="A run dimension to declare, or to redefine and un-retire.")
class DeclareRunDimensionInput:
    key: str = strawberry.field(
        description="A slug: 1-63 lowercase letters, digits and _, starting with a letter."
    )
    description: str = strawberry.field(description="What the dimension means (at most 500).")
    allowed_values: list[str] | None = strawberry.field(
        default=None,
        description="The values a run may carry (trimmed, repeats dropped); null: free text. "
        "Narrowing the list later leaves stored runs as they are.",
    )


@strawberry.type
class RunDimensionQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="The run dimensions the tenant declared, retired ones included, in key order.",
    )
    async def run_dimensions(self, info: Info) -> list[RunDimension]:
        stored = await info.context.call(dimensions.declared_dimensions)
        return [RunDimension.from_stored(d) for d in stored]


@strawberry.type
class RunDimensionMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Declare a run dimension; declaring a key again replaces its description "
        "and allowed values and un-retires it.",
    )
    async def declare_run_dimension(
        self,
        info: Info,
        input: Annotated[
            DeclareRunDimensionInput, strawberry.argument(description="The dimension.")
        ],
    ) -> RunDimension:
        with field_errors():
            stored = await info.context.call(
                dimensions.declare_dimension,
                key=input.key,
                description=input.description,
                allowed=input.allowed_values,
            )
        return RunDimension.from_stored(stored)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Retire a run dimension: new runs may no longer carry it "
        "(RETIRED_DIMENSION); stored values stay readable, filterable and groupable.",
    )
    async def retire_run_dimension(
        self,
        info: Info,
        key: Annotated[str, strawberry.argument(description="The key to retire.")],
    ) -> RunDimension:
        with field_errors():
            stored = await info.context.call(dimensions.retire_dimension, key=key)
        return RunDimension.from_stored(stored)
