"""EffortEconomics and EffortTier: a workflow's cohort by reasoning-effort tier."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.effort import EffortEconomics as EffortFigures
from app.domain.effort import TierComparison, TierTotals, compare_tiers
from graphql_schema.context import Info
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.decisions.enums import LiftVerdict
from graphql_schema.errors import BadUserInput
from graphql_schema.loaders import loaders


@strawberry.type(
    description="One reasoning-effort tier of a workflow's cohort: the runs whose dominant "
    "effort (the effort with the largest LLM cost in the run) is this tier, compared with the "
    "baseline tier."
)
class EffortTier:
    tier: str | None = strawberry.field(
        description="The effort code (trimmed, lower-cased); null: runs with no effort on any "
        "LLM call (listed, never compared)."
    )
    attempts: int = strawberry.field(description="Runs of the tier started in range.")
    finished_runs: int = strawberry.field(
        description="Runs neither RUNNING nor inside their acceptance hold."
    )
    accepted_outcomes: int = strawberry.field(description="Accepted runs past their hold.")
    total_cost: Decimal = strawberry.field(description="All usage of the tier's runs.")
    cost_per_attempt: Decimal | None = strawberry.field(
        description="totalCost / attempts; null when none."
    )
    cost_per_outcome: Decimal | None = strawberry.field(
        description="totalCost / acceptedOutcomes; null when none."
    )
    success_rate: float | None = strawberry.field(
        description="acceptedOutcomes / finishedRuns; null when none finished."
    )
    is_baseline: bool = strawberry.field(description="True for the baseline tier itself.")
    cost_multiple: Decimal | None = strawberry.field(
        description="costPerAttempt / the baseline's costPerAttempt (7 = seven times dearer "
        "per attempt); null without a baseline or for the null tier."
    )
    outcome_cost_multiple: Decimal | None = strawberry.field(
        description="costPerOutcome / the baseline's costPerOutcome; null when either is null."
    )
    quality_lift: float | None = strawberry.field(
        description="successRate − the baseline's successRate; null when either is null."
    )
    quality_lift_low: float | None = strawberry.field(
        description="Lower bound of the Newcombe hybrid score interval for qualityLift."
    )
    quality_lift_high: float | None = strawberry.field(
        description="Upper bound of the Newcombe hybrid score interval for qualityLift."
    )
    verdict: LiftVerdict = strawberry.field(description="What the interval says about the lift.")

    @classmethod
    def from_comparison(cls, row: TierComparison) -> EffortTier:
        return cls(
            tier=row.tier,
            attempts=row.figures.attempts,
            finished_runs=row.finished,
            accepted_outcomes=row.figures.accepted_outcomes,
            total_cost=row.figures.total_cost,
            cost_per_attempt=row.figures.cost_per_attempt,
            cost_per_outcome=row.figures.cost_per_outcome,
            success_rate=row.figures.success_rate,
            is_baseline=row.is_baseline,
            cost_multiple=row.cost_multiple,
            outcome_cost_multiple=row.outcome_cost_multiple,
            quality_lift=row.quality_lift,
            quality_lift_low=row.lift_low,
            quality_lift_high=row.lift_high,
            verdict=LiftVerdict.of(row.verdict),
        )


@strawberry.type(
    description="Reasoning-effort economics of a workflow's cohort (runs started in range; rack "
    "rate; workflow-level costs belong to no tier): which tier to default to, and why."
)
class EffortEconomics:
    baseline: str | None = strawberry.field(
        description="The tier with the lowest costPerAttempt; every tier is compared with it. "
        "Null when no run has an effort."
    )
    recommended_default: str | None = strawberry.field(
        description="The baseline, unless dearer tiers proved a lift (LIFT_PROVEN): then the "
        "proven tier with the lowest costPerOutcome. Null when the baseline has fewer than "
        "minFinished finished runs."
    )
    min_finished: int = strawberry.field(
        description="Finished runs each side of a comparison needed for a verdict."
    )
    confidence: float = strawberry.field(description="Confidence of the lift intervals.")
    tiers: list[EffortTier] = strawberry.field(
        description="Every tier present, in effort order (none, minimal, low, medium, high, "
        "xhigh, then others alphabetically, then null)."
    )

    @classmethod
    def from_figures(
        cls, figures: EffortFigures, min_finished: int, confidence: float
    ) -> EffortEconomics:
        return cls(
            baseline=figures.baseline,
            recommended_default=figures.recommended_default,
            min_finished=min_finished,
            confidence=confidence,
            tiers=[EffortTier.from_comparison(r) for r in figures.tiers],
        )


CONFIDENCE = 0.95


async def effort_tiers(info: Info, key: CohortKey, min_finished: int) -> EffortEconomics:
    """Load the tier slices (batched across workflows) and compare them."""
    if not 1 <= min_finished <= 1_000_000:
        raise BadUserInput(
            f"minFinished must be between 1 and 1000000, got {min_finished}.", field="minFinished"
        )
    slices = await loaders(info).decisions.by_effort.load(key)
    tiers = [TierTotals(s.value, s.totals) for s in slices]
    figures = compare_tiers(tiers, min_finished=min_finished, confidence=CONFIDENCE)
    return EffortEconomics.from_figures(figures, min_finished, CONFIDENCE)
