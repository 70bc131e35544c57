"""Why runs fail: failure cost by status and reason, and the tenant's declared reason codes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry

from app.domain.enums import RunStatus
from app.domain.failure_reasons import FailureReasons as ReasonFigures
from app.domain.failure_reasons import ReasonCost, failure_reasons
from app.services.decisions import reason_codes
from graphql_schema.context import Info
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.errors import BadUserInput, field_errors
from graphql_schema.loaders import loaders
from graphql_schema.permissions import CanConfigure, CanRead
from graphql_schema.shaping import copy_fields


@strawberry.type(description="Failed runs of one status with one reason code, and their cost.")
class FailureReason:
    status: RunStatus = strawberry.field(description="The failure status the runs ended in.")
    code: str | None = strawberry.field(
        description="The reason code: the label's reason trimmed, whitespace collapsed, "
        "case-folded; null for runs labelled without a reason."
    )
    label: str | None = strawberry.field(
        description="The tenant's label for the code when declared (declareFailureReason)."
    )
    declared: bool = strawberry.field(description="True when the tenant declared the code.")
    example: str | None = strawberry.field(
        description="The commonest free text given for the code (the reason as written)."
    )
    runs: int = strawberry.field(description="Failed runs with this status and code.")
    cost: Decimal = strawberry.field(description="All usage of those runs: money lost.")
    share: float | None = strawberry.field(
        description="cost / the cohort's totalCost; null when the total is 0."
    )

    @classmethod
    def from_row(cls, row: ReasonCost) -> FailureReason:
        return copy_fields(cls, row)


@strawberry.type(
    description="The cohort's failure cost by status and reason, top reasons by money lost "
    "first (the same cohort and total as failureCostShare)."
)
class FailureReasons:
    total_cost: Decimal = strawberry.field(description="Same as costPerOutcome.totalCost.")
    failed_cost: Decimal = strawberry.field(
        description="Spend on failed runs; the sum of every reason's cost (all of them, not "
        "only the first listed)."
    )
    reason_count: int = strawberry.field(description="How many (status, code) rows there are.")
    reasons: list[FailureReason] = strawberry.field(
        description="The `top` rows by cost (descending), then status, then code."
    )

    @classmethod
    def from_figures(cls, figures: ReasonFigures, top: int) -> FailureReasons:
        return copy_fields(
            cls,
            figures,
            reason_count=len(figures.reasons),
            reasons=[FailureReason.from_row(r) for r in figures.reasons[:top]],
        )


MAX_TOP = 500


async def workflow_failure_reasons(info: Info, key: CohortKey, top: int) -> FailureReasons:
    if not 1 <= top <= MAX_TOP:
        raise BadUserInput(f"top must be between 1 and {MAX_TOP}, got {top}.", field="top")
    rows = await loaders(info).decisions.by_reason.load(key)
    cohort = await loaders(info).cohort.load(key)
    declared = await loaders(info).decisions.reason_codes.load(None)
    figures = failure_reasons(rows, total_cost=cohort.total_cost, declared=declared)
    return FailureReasons.from_figures(figures, top)


@strawberry.type(description="A failure reason code the tenant declared, with its label.")
class FailureReasonCode:
    code: str = strawberry.field(description="The normalised code.")
    label: str = strawberry.field(description="What figures show for the code.")


@strawberry.type
class FailureReasonQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="The failure reason codes the tenant declared, in code order.",
    )
    async def failure_reason_codes(self, info: Info) -> list[FailureReasonCode]:
        declared = await loaders(info).decisions.reason_codes.load(None)
        return [FailureReasonCode(code=c, label=label) for c, label in declared.items()]


@strawberry.type
class FailureReasonMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Declare a failure reason code (normalised: trimmed, whitespace collapsed, "
        "case-folded) with its label; declaring it again replaces the label.",
    )
    async def declare_failure_reason(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The code, as reviewers write it in reasons.")
        ],
        label: Annotated[str, strawberry.argument(description="What figures show for it.")],
    ) -> FailureReasonCode:
        with field_errors():
            stored, shown = await info.context.call(
                reason_codes.declare_code, code=code, label=label
            )
        return FailureReasonCode(code=stored, label=shown)

    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Remove a declared code; true when it was declared. Runs keep their "
        "reasons, reported as undeclared again.",
    )
    async def remove_failure_reason(
        self,
        info: Info,
        code: Annotated[
            str, strawberry.argument(description="The code (normalised before matching).")
        ],
    ) -> bool:
        return await info.context.call(reason_codes.remove_code, code=code)
