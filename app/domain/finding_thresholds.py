"""The thresholds of the cost-bloat findings: names, defaults, meaning and valid values.

A tenant may set its own value for any of them (`finding_thresholds`, migration 0013); a name it
has not set takes the default. `app.domain.findings` documents what each one decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


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

    def minimum(self, name: str) -> int:
        """The minimum count `name`, and never less than 1: a finding needs something to show."""
        return max(1, self.count(name))

    def ratio(self, name: str) -> float:
        return float(self[name])
