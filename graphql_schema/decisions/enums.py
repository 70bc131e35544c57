"""GraphQL enums of the decision figures, each value described (mapped from the domain's)."""

from __future__ import annotations

import enum

import strawberry

from app.domain.effort import LiftVerdict as DomainLiftVerdict


@strawberry.enum(
    description="Whether a tier's success rate differs from the baseline tier's, by the "
    "Newcombe hybrid score interval for a difference of proportions (docs/numbers.md)."
)
class LiftVerdict(enum.Enum):
    LIFT_PROVEN = strawberry.enum_value(
        "LIFT_PROVEN", description="The whole interval of the lift lies above zero."
    )
    DROP_PROVEN = strawberry.enum_value(
        "DROP_PROVEN", description="The whole interval lies below zero: the tier does worse."
    )
    NOT_DISTINGUISHABLE = strawberry.enum_value(
        "NOT_DISTINGUISHABLE",
        description="The interval contains zero: no lift distinguishable from chance.",
    )
    INSUFFICIENT_DATA = strawberry.enum_value(
        "INSUFFICIENT_DATA",
        description="Fewer finished runs than minFinished on either side (or no baseline).",
    )

    @classmethod
    def of(cls, verdict: DomainLiftVerdict) -> LiftVerdict:
        return cls(verdict.value)
