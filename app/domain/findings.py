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
  (:func:`excess_context_cost`).
- UNPLACED_SPEND: >= ``unplaced_min_events`` usage events without a step, costing >=
  ``unplaced_min_share`` of the workflow's spend. At stake: that spend.
- FAILURE_WASTE: >= ``failure_min_finished`` finished runs, and failed runs costing >=
  ``failure_min_share`` of the cohort's spend. At stake: the failed runs' cost.

Money is Decimal (currency units, 10 dp); shares are floats.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.effort import EffortEconomics, LiftVerdict, TierComparison
from app.domain.money import MONEY_PLACES, quantize_money, share

SECONDS_PER_MONTH = Decimal(30 * 86_400)


class Pattern(enum.StrEnum):
    HIGH_EFFORT_LOW_VALUE = "HIGH_EFFORT_LOW_VALUE"
    RESENT_CONTEXT = "RESENT_CONTEXT"
    LONG_CONTEXT = "LONG_CONTEXT"
    UNPLACED_SPEND = "UNPLACED_SPEND"
    FAILURE_WASTE = "FAILURE_WASTE"


@dataclass(frozen=True)
class Threshold:
    name: str
    default: Decimal
    description: str
    integer: bool = False
    share: bool = False


THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "effort_min_cost_multiple",
        Decimal(2),
        "A dearer effort tier costs at least this multiple of the baseline per attempt.",
    ),
    Threshold(
        "effort_min_finished",
        Decimal(30),
        "Finished runs each effort tier needs before it is compared.",
        integer=True,
    ),
    Threshold(
        "resent_context_min_calls",
        Decimal(20),
        "LLM calls a workflow needs before its cache use is judged.",
        integer=True,
    ),
    Threshold(
        "resent_context_min_input_tokens",
        Decimal(4000),
        "Average input tokens per LLM call (cached + uncached) worth caching.",
        integer=True,
    ),
    Threshold(
        "resent_context_max_cache_hit_share",
        Decimal("0.05"),
        "A cache hit share at or below this is 'near zero'.",
        share=True,
    ),
    Threshold(
        "resent_context_cacheable_share",
        Decimal("0.5"),
        "Share of the uncached input assumed stable (cacheable) when pricing the saving.",
        share=True,
    ),
    Threshold(
        "long_context_input_tokens",
        Decimal(200_000),
        "Input tokens (cached + uncached) above which a call counts as very long.",
        integer=True,
    ),
    Threshold(
        "long_context_min_calls",
        Decimal(1),
        "Very long calls needed before the pattern is reported.",
        integer=True,
    ),
    Threshold(
        "unplaced_min_share",
        Decimal("0.10"),
        "Share of a workflow's spend without a step that is worth reporting.",
        share=True,
    ),
    Threshold(
        "unplaced_min_events",
        Decimal(20),
        "Usage events without a step needed before the pattern is reported.",
        integer=True,
    ),
    Threshold(
        "failure_min_share",
        Decimal("0.20"),
        "Share of the cohort's spend lost to failed runs that is worth reporting.",
        share=True,
    ),
    Threshold(
        "failure_min_finished",
        Decimal(20),
        "Finished runs a cohort needs before its failure waste is judged.",
        integer=True,
    ),
)
"""Every threshold, its default and meaning. A tenant's own values override the defaults."""

BY_NAME = {t.name: t for t in THRESHOLDS}


def check_threshold(name: str, value: Decimal) -> Decimal:
    """``value`` if it is a valid value for threshold ``name``; :class:`ValueError` naming the
    problem otherwise (unknown name, negative, a share above 1, a fraction for a count)."""
    spec = BY_NAME.get(name)
    if spec is None:
        raise ValueError(f"unknown threshold {name!r}; one of {', '.join(BY_NAME)}")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    if spec.share and value > 1:
        raise ValueError(f"{name} is a share: between 0 and 1, got {value}")
    if spec.integer and value != value.to_integral_value():
        raise ValueError(f"{name} is a count: a whole number, got {value}")
    if value >= Decimal(10) ** 15:
        raise ValueError(f"{name} must be below 10^15, got {value}")
    return value


@dataclass(frozen=True)
class Thresholds:
    """The thresholds in force: the tenant's values over the defaults."""

    values: Mapping[str, Decimal] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Decimal:
        if name not in BY_NAME:
            raise KeyError(name)
        return self.values.get(name, BY_NAME[name].default)

    def count(self, name: str) -> int:
        return int(self[name])

    def ratio(self, name: str) -> float:
        return float(self[name])


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


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


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
    minimum = thresholds.count("effort_min_finished")
    worst: tuple[Decimal, TierComparison] | None = None
    for tier in economics.tiers:
        if tier.is_baseline or tier.tier is None or tier.cost_multiple is None:
            continue
        if min(tier.finished, base.finished) < max(1, minimum):
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
class ContextStats:
    """A workflow's LLM usage in range (SQL sums)."""

    llm_calls: int
    input_tokens: int
    cache_read_tokens: int
    uncached_saving: Decimal
    """Σ input_tokens × (input − cache-read price) ÷ 10⁶ over priced calls: the most caching the
    uncached input could have saved."""
    long_calls: int = 0
    long_cost: Decimal = Decimal(0)
    long_excess_cost: Decimal = Decimal(0)
    longest_call_tokens: int = 0
    long_call_ids: list[str] = field(default_factory=list)
    sample_call_ids: list[str] = field(default_factory=list)


def resent_context(
    workflow_key: str, stats: ContextStats, *, thresholds: Thresholds, range_seconds: int
) -> Finding | None:
    if stats.llm_calls < max(1, thresholds.count("resent_context_min_calls")):
        return None
    all_input = stats.input_tokens + stats.cache_read_tokens
    if all_input == 0 or all_input / stats.llm_calls < thresholds.count(
        "resent_context_min_input_tokens"
    ):
        return None
    hit = stats.cache_read_tokens / all_input
    if hit > thresholds.ratio("resent_context_max_cache_hit_share"):
        return None
    saving = stats.uncached_saving * thresholds["resent_context_cacheable_share"]
    if saving <= 0:
        return None
    return Finding(
        pattern=Pattern.RESENT_CONTEXT,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(saving, range_seconds),
        summary=(
            f"{stats.llm_calls} LLM calls average {all_input // stats.llm_calls} input tokens "
            f"and only {_pct(hit)} of the input is read from the cache."
        ),
        suggested_change=(
            "Put the stable part of the prompt (instructions, tools, reference documents) "
            "first and mark it cacheable, so each call re-reads it at the cache price."
        ),
        evidence=[
            Evidence("llmCalls", str(stats.llm_calls)),
            Evidence("inputTokens", str(stats.input_tokens)),
            Evidence("cacheReadTokens", str(stats.cache_read_tokens)),
            Evidence("cacheHitShare", f"{hit:.4f}"),
            Evidence("fullCacheSaving", str(quantize_money(stats.uncached_saving))),
            Evidence("cacheableShareAssumed", str(thresholds["resent_context_cacheable_share"])),
        ],
        calls=list(stats.sample_call_ids),
    )


def excess_context_cost(cost: Decimal, tokens: int, threshold: int) -> Decimal:
    """The part of a call's cost above ``threshold`` input tokens, pro rata: ``cost × (tokens −
    threshold) ÷ tokens`` (0 at or below the threshold), 10 dp half-even."""
    if tokens <= threshold or tokens <= 0:
        return Decimal(0)
    return (cost * (tokens - threshold) / tokens).quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN)


def long_context(
    workflow_key: str, stats: ContextStats, *, thresholds: Thresholds, range_seconds: int
) -> Finding | None:
    if stats.long_calls < max(1, thresholds.count("long_context_min_calls")):
        return None
    if stats.long_excess_cost <= 0:
        return None
    limit = thresholds.count("long_context_input_tokens")
    return Finding(
        pattern=Pattern.LONG_CONTEXT,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(stats.long_excess_cost, range_seconds),
        summary=(
            f"{stats.long_calls} calls sent more than {limit} input tokens (up to "
            f"{stats.longest_call_tokens})."
        ),
        suggested_change=(
            "Retrieve the relevant passages, summarise history or split the task instead of "
            f"sending whole documents: keep calls under {limit} input tokens."
        ),
        evidence=[
            Evidence("longCalls", str(stats.long_calls)),
            Evidence("longCallsCost", str(stats.long_cost)),
            Evidence("costAboveThreshold", str(stats.long_excess_cost)),
            Evidence("longestCallTokens", str(stats.longest_call_tokens)),
        ],
        calls=list(stats.long_call_ids),
    )


@dataclass(frozen=True)
class PlacementStats:
    """A workflow's usage in range: all of it, and the part without a step."""

    total_cost: Decimal
    unplaced_cost: Decimal
    unplaced_events: int
    sample_call_ids: list[str] = field(default_factory=list)


def unplaced_spend(
    workflow_key: str, stats: PlacementStats, *, thresholds: Thresholds, range_seconds: int
) -> Finding | None:
    if stats.unplaced_events < max(1, thresholds.count("unplaced_min_events")):
        return None
    part = share(stats.unplaced_cost, stats.total_cost)
    if part is None or stats.unplaced_cost <= 0 or part < thresholds.ratio("unplaced_min_share"):
        return None
    return Finding(
        pattern=Pattern.UNPLACED_SPEND,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(stats.unplaced_cost, range_seconds),
        summary=(
            f"{_pct(part)} of the spend ({stats.unplaced_events} events) carries no step: "
            "nobody can say which part of the agent it paid for."
        ),
        suggested_change=(
            "Tag every usage event with its step (planner, retriever, drafter, verifier…) so "
            "this spend shows up in costBreakdown(groupBy: [STEP]) and can be cut."
        ),
        evidence=[
            Evidence("unplacedCost", str(stats.unplaced_cost)),
            Evidence("unplacedShare", f"{part:.4f}"),
            Evidence("unplacedEvents", str(stats.unplaced_events)),
            Evidence("totalCost", str(stats.total_cost)),
        ],
        calls=list(stats.sample_call_ids),
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
    if stats.finished < max(1, thresholds.count("failure_min_finished")):
        return None
    part = share(stats.failed_cost, stats.total_cost)
    if part is None or stats.failed_cost <= 0 or part < thresholds.ratio("failure_min_share"):
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
            f"{stats.failed_runs} failed runs spent {_pct(part)} of the cohort's money for no "
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
