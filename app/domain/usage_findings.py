"""The usage-based findings: re-sent context, very long context and spend without a step.

Each detector takes what SQL summed over the events of one workflow that occurred in range; the
patterns, thresholds and money at stake are documented in `app.domain.findings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.finding_thresholds import Thresholds
from app.domain.findings import Evidence, Finding, Pattern, notable_share, pct, per_month
from app.domain.money import MONEY_PLACES, quantize_money


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
    if stats.llm_calls < thresholds.minimum("resent_context_min_calls"):
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
            f"and only {pct(hit)} of the input is read from the cache."
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
    if stats.long_calls < thresholds.minimum("long_context_min_calls"):
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
    if stats.unplaced_events < thresholds.minimum("unplaced_min_events"):
        return None
    part = notable_share(
        stats.unplaced_cost, stats.total_cost, thresholds.ratio("unplaced_min_share")
    )
    if part is None:
        return None
    return Finding(
        pattern=Pattern.UNPLACED_SPEND,
        workflow_key=workflow_key,
        money_at_stake_per_month=per_month(stats.unplaced_cost, range_seconds),
        summary=(
            f"{pct(part)} of the spend ({stats.unplaced_events} events) carries no step: "
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
