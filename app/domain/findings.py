"""Cost-bloat findings: patterns that inflate cost per outcome without lifting it, priced.

Each detector takes figures SQL has already aggregated for one workflow and a range, and returns
a :class:`Finding` or ``None``. A finding carries its evidence, the **money at stake per month**
(the range's amount scaled to 30 days) and a suggested change; :func:`rank_findings` orders them
by money. Every detector has a minimum sample: too little data is never a finding.

- HIGH_EFFORT_LOW_VALUE: a dearer effort tier costs >= ``effort_min_cost_multiple`` x the
  baseline per attempt and its quality lift is NOT_DISTINGUISHABLE or DROP_PROVEN (both sides
  with >= ``effort_min_finished`` finished runs). At stake: the tier's cost - its attempts x
  the baseline's cost per attempt.
- RESENT_CONTEXT: >= ``resent_context_min_calls`` LLM calls averaging >=
  ``resent_context_min_input_tokens`` input tokens (cached + uncached) with a cache hit share <=
  ``resent_context_max_cache_hit_share``. At stake: ``resent_context_cacheable_share`` x what
  the uncached input would have saved at the cache-read price.
- LONG_CONTEXT: >= ``long_context_min_calls`` calls with more than ``long_context_input_tokens``
  input tokens. At stake: the part of those calls' cost above the threshold, pro rata
  (`app.domain.usage_findings.excess_context_cost`).
- UNPLACED_SPEND: >= ``unplaced_min_events`` usage events without a step, costing >=
  ``unplaced_min_share`` of the workflow's spend. At stake: that spend.
- FAILURE_WASTE: >= ``failure_min_finished`` finished runs, and failed runs costing >=
  ``failure_min_share`` of the cohort's spend. At stake: the failed runs' cost.

Money is Decimal (currency units, 10 dp); shares are floats.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.effort import EffortEconomics, LiftVerdict, TierComparison
from app.domain.finding_thresholds import Thresholds
from app.domain.money import quantize_money, share

SECONDS_PER_MONTH = Decimal(30 * 86_400)


class Pattern(enum.StrEnum):
    HIGH_EFFORT_LOW_VALUE = "HIGH_EFFORT_LOW_VALUE"
    RESENT_CONTEXT = "RESENT_CONTEXT"
    LONG_CONTEXT = "LONG_CONTEXT"
    UNPLACED_SPEND = "UNPLACED_SPEND"
    FAILURE_WASTE = "FAILURE_WASTE"


def per_month(amount: Decimal, range_seconds: int) -> Decimal:
    """``amount`` spent over ``range_seconds`` scaled to 30 days, 10 dp half-even. Raises
    :class:`ValueError` for a non-positive range."""
    if range_seconds <= 0:
        raise ValueError(f"a range must last more than 0 seconds, got {range_seconds}")
    return quantize_money(amount * SECONDS_PER_MONTH / Decimal(range_seconds))


@dataclass(frozen=True)
class Evidence:
    """One figure behind a finding (``value`` as text: money, counts and shares alike)."""

    name: str
    value: str


@dataclass(frozen=True)
class Finding:
    pattern: Pattern
    workflow_key: str
    money_at_stake_per_month: Decimal
    summary: str
    suggested_change: str
    evidence: list[Evidence] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)


def pct(x: float) -> str:
    """A share as a percentage with one decimal, for summaries."""
    return f"{x * 100:.1f}%"


def notable_share(part: Decimal, whole: Decimal, minimum: float) -> float | None:
    """part / whole when part is positive and that share is at least `minimum`; else None."""
    found = share(part, whole)
    if found is None or part <= 0 or found < minimum:
        return None
    return found


def high_effort_low_value(
    workflow_key: str,
    economics: EffortEconomics,
    *,
    thresholds: Thresholds,
    range_seconds: int,
    runs: Sequence[str] = (),
) -> Finding | None:
    """The dearest qualifying tier (see the module docstring), priced against the baseline."""
    base = next((t for t in economics.tiers if t.is_baseline), None)
    if base is None or base.figures.cost_per_attempt is None:
        return None
    minimum = thresholds.minimum("effort_min_finished")
    worst: tuple[Decimal, TierComparison] | None = None
    for tier in economics.tiers:
        if tier.is_baseline or tier.tier is None or tier.cost_multiple is None:
            continue
        if min(tier.finished, base.finished) < minimum:
            continue
        if tier.cost_multiple < thresholds["effort_min_cost_multiple"]:
            continue
        if tier.verdict not in (LiftVerdict.NOT_DISTINGUISHABLE, LiftVerdict.DROP_PROVEN):
            continue
        extra = tier.figures.total_cost - tier.figures.attempts * base.figures.cost_per_attempt
        if worst is None or extra > worst[0]:
            worst = (extra, tier)
    if worst is None or worst[0] <= 0:
        return None
    extra, tier = worst
    multiple = (tier.cost_multiple or Decimal(0)).quantize(Decimal("0.1"))
    return Finding(
        pattern=Pattern.HIGH_EFFORT_LOW_VALUE,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(extra, range_seconds),
        summary=(
            f"{tier.tier} effort costs {multiple}x {economics.baseline} "
            f"per attempt with no proven quality lift ({tier.verdict.value})."
        ),
        suggested_change=(
            f"Default {workflow_key} to {economics.baseline} effort; keep {tier.tier} for the "
            "tasks where a lift is proven."
        ),
        evidence=[
            Evidence("tier", str(tier.tier)),
            Evidence("baseline", str(economics.baseline)),
            Evidence("costMultiple", str(tier.cost_multiple)),
            Evidence(
                "qualityLift", "" if tier.quality_lift is None else f"{tier.quality_lift:.4f}"
            ),
            Evidence(
                "qualityLiftInterval",
                f"[{tier.lift_low:.4f}, {tier.lift_high:.4f}]"
                if tier.lift_low is not None and tier.lift_high is not None
                else "",
            ),
            Evidence("tierRuns", str(tier.figures.attempts)),
            Evidence("extraCost", str(quantize_money(extra))),
        ],
        runs=list(runs),
    )


@dataclass(frozen=True)
class FailureStats:
    """A workflow's cohort: finished runs, failed runs and their cost, the total spend, and the
    top failure reason by money (code or None, its cost)."""

    finished: int
    failed_runs: int
    failed_cost: Decimal
    total_cost: Decimal
    top_reason: str | None = None
    top_reason_cost: Decimal | None = None
    sample_runs: list[str] = field(default_factory=list)


def failure_waste(
    workflow_key: str, stats: FailureStats, *, thresholds: Thresholds, range_seconds: int
) -> Finding | None:
    if stats.finished < thresholds.minimum("failure_min_finished"):
        return None
    part = notable_share(stats.failed_cost, stats.total_cost, thresholds.ratio("failure_min_share"))
    if part is None:
        return None
    reason = (
        f" The top reason, {stats.top_reason!r}, lost {stats.top_reason_cost}."
        if stats.top_reason is not None and stats.top_reason_cost is not None
        else ""
    )
    return Finding(
        pattern=Pattern.FAILURE_WASTE,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(stats.failed_cost, range_seconds),
        summary=(
            f"{stats.failed_runs} failed runs spent {pct(part)} of the cohort's money for no "
            "output." + reason
        ),
        suggested_change=(
            "Fix the top failure reason first (Workflow.failureReasons), and stop failing runs "
            "early: cap retries and abandon runs that will not be accepted before they spend."
        ),
        evidence=[
            Evidence("failedRuns", str(stats.failed_runs)),
            Evidence("failedCost", str(stats.failed_cost)),
            Evidence("failureCostShare", f"{part:.4f}"),
            Evidence("finishedRuns", str(stats.finished)),
            *([Evidence("topReason", stats.top_reason)] if stats.top_reason is not None else []),
        ],
        runs=list(stats.sample_runs),
    )


def rank_findings(findings: Iterable[Finding | None]) -> list[Finding]:
    """The findings that fired, by money at stake (descending), then workflow, then pattern."""
    fired = [f for f in findings if f is not None]
    return sorted(
        fired,
        key=lambda f: (-f.money_at_stake_per_month, f.workflow_key, list(Pattern).index(f.pattern)),
    )
