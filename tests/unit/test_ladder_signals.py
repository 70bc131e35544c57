"""Early warnings: a slice whose cost per rung is rising, and a slice over its ceiling."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.domain.ladder import Rise, RungWindow, rise, throttle

TWENTY = Decimal(20)


def window(total: str, count: int) -> RungWindow:
    return RungWindow(Decimal(total), count)


def test_a_rising_cost_per_rung_is_reported_with_its_percentage() -> None:
    # before: 100 / 20 = 5.00; now: 130 / 20 = 6.50; (6.5 - 5) / 5 = 30 % > 20 %
    assert rise(window("100", 20), window("130", 20), TWENTY) == Rise(
        Decimal("5.0000000000"), Decimal("6.5000000000"), 30.0
    )


def test_a_flat_or_falling_slice_is_not_rising() -> None:
    assert rise(window("100", 20), window("100", 20), TWENTY) is None  # 0 %
    assert rise(window("100", 20), window("50", 20), TWENTY) is None  # -50 %


def test_rising_means_more_than_the_threshold() -> None:
    # 5.00 → 6.00 is exactly 20 %: not more than 20 %; 6.0000000001 is
    assert rise(window("100", 20), window("120", 20), TWENTY) is None
    assert rise(window("100", 20), window("120.000000002", 20), TWENTY) is not None


def test_spend_without_outcomes_after_a_finite_cost_is_an_unbounded_rise() -> None:
    assert rise(window("100", 20), window("30", 0), TWENTY) == Rise(
        Decimal("5.0000000000"), None, None
    )


def test_no_outcomes_in_either_window_or_none_before_is_not_reported() -> None:
    assert rise(window("100", 0), window("100", 0), TWENTY) is None
    assert rise(window("100", 0), window("100", 5), TWENTY) is None  # from infinite: falling
    assert rise(window("100", 20), window("0", 0), TWENTY) is None  # nothing happened now


def test_a_rise_from_a_free_rung_is_unbounded() -> None:
    assert rise(window("0", 4), window("1", 4), TWENTY) == Rise(
        Decimal("0E-10"), Decimal("0.2500000000"), None
    )
    assert rise(window("0", 4), window("0", 4), TWENTY) is None


def test_throttle_exactly_when_the_cost_per_rung_crosses_the_ceiling() -> None:
    ceiling = Decimal("10")
    assert throttle(window("100", 10), ceiling) is False  # 10.00 is not over 10
    assert throttle(window("100.000000001", 10), ceiling) is True  # 10.0000000001 > 10
    assert throttle(window("99", 10), ceiling) is False  # 9.90


def test_spend_without_outcomes_throttles_and_no_spend_does_not() -> None:
    assert throttle(window("0.01", 0), Decimal("1000")) is True  # infinitely expensive
    assert throttle(window("0", 0), Decimal("0")) is False  # nothing spent, nothing to throttle


amounts = st.decimals(min_value=0, max_value=Decimal(10**6), places=10)
counts = st.integers(min_value=0, max_value=1000)


@given(total=amounts, count=counts, ceiling=amounts)
def test_throttle_agrees_with_the_displayed_cost_per_rung(total, count, ceiling) -> None:
    w = RungWindow(total, count)
    expected = total > 0 if w.cost_per_rung is None else w.cost_per_rung > ceiling
    assert throttle(w, ceiling) is expected


@given(
    a=amounts, b=amounts, n=st.integers(1, 1000), m=st.integers(1, 1000), pct=st.integers(-100, 500)
)
def test_a_reported_rise_is_above_the_threshold(a, b, n, m, pct) -> None:
    found = rise(RungWindow(a, n), RungWindow(b, m), Decimal(pct))
    if found is not None and found.pct is not None:
        assert (found.current is not None and found.current > found.previous) or pct < 0
        assert found.pct > pct - 1e-9
