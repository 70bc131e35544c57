"""The gate checks are kept per exact (gate, window figures): a hit answers what a fresh
evaluation answers, and numerically equal Decimals with other digits are not the same input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.gate_cost import DayTotals
from app.domain.readiness import WindowFigures, _checks, _exact_key, evaluate_gate
from tests.unit.test_gates_readiness import gate, window

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def fresh(figures: WindowFigures, **overrides: object) -> tuple[object, ...]:
    """The three checks computed without the cache."""
    spec = gate(**overrides)
    return _checks.__wrapped__(_exact_key(spec, figures), spec, figures)


def test_a_repeated_evaluation_is_a_hit_with_the_same_answer() -> None:
    figures = window(accepted_per_day=9, finished_per_day=10, cost_per_day="31.7")
    first = evaluate_gate(
        workflow_key="support", current_level=1, gate=gate(), window=figures, evaluated_at=NOW
    )
    hits = _checks.cache_info().hits
    later = NOW + timedelta(hours=3)
    again = evaluate_gate(
        workflow_key="support", current_level=1, gate=gate(), window=figures, evaluated_at=later
    )
    assert _checks.cache_info().hits == hits + 1
    assert (again.quality, again.cost, again.drift) == fresh(figures)
    assert again == replace(first, evaluated_at=later)


def test_equal_decimals_with_other_digits_are_other_inputs() -> None:
    plain = window(accepted_per_day=9, finished_per_day=10, cost_per_day="31.7")
    padded = window(accepted_per_day=9, finished_per_day=10, cost_per_day="31.70")
    assert plain == padded  # Decimal equality ignores the exponent…
    assert _exact_key(gate(), plain) != _exact_key(gate(), padded)  # …the cache key does not
    for figures in (plain, padded, plain):
        result = evaluate_gate(
            workflow_key="w", current_level=1, gate=gate(), window=figures, evaluated_at=NOW
        )
        assert (result.quality, result.cost, result.drift) == fresh(figures)


days = st.lists(
    st.tuples(
        st.integers(0, 40),
        st.integers(0, 40),
        st.decimals(min_value=0, max_value=500, places=2, allow_nan=False),
    ),
    min_size=0,
    max_size=30,
)


@settings(max_examples=60, deadline=None)
@given(rows=days, budget=st.sampled_from(["1", "5.00", "12.5"]))
def test_cached_checks_equal_fresh_checks(
    rows: list[tuple[int, int, Decimal]], budget: str
) -> None:
    totals = tuple(
        DayTotals(day=d, attempts=max(a, b), accepted=min(a, b), cost=c)
        for d, (a, b, c) in enumerate(rows)
    )
    figures = WindowFigures(
        accepted=sum(t.accepted for t in totals),
        finished=sum(t.attempts for t in totals),
        total_cost=sum((t.cost for t in totals), Decimal(0)),
        days=totals,
    )
    for _ in range(2):  # the second call is answered by the cache
        result = evaluate_gate(
            workflow_key="w",
            current_level=1,
            gate=gate(max_cost_per_outcome=Decimal(budget)),
            window=figures,
            evaluated_at=NOW,
        )
        expected = fresh(figures, max_cost_per_outcome=Decimal(budget))
        assert (result.quality, result.cost, result.drift) == expected
