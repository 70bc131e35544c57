"""Arguments the decision fields share, each described."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graphql_schema.costs.inputs import ScopeInput, TimeRangeInput

RangeArg = Annotated[
    TimeRangeInput,
    strawberry.argument(name="range", description="The cohort: runs started in [from, to) (UTC)."),
]
ScopeArg = Annotated[
    ScopeInput | None,
    strawberry.argument(description="Filters on the cohort's runs; all optional, combined."),
]
MinFinishedArg = Annotated[
    int,
    strawberry.argument(
        description="Finished runs each side of a comparison needs for a verdict (>= 1)."
    ),
]
TopArg = Annotated[
    int, strawberry.argument(description="How many rows to list, most money first (1 to 500).")
]
