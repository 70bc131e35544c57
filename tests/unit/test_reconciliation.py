"""Reconciliation arithmetic: one factor per provider-month, costs scaled to the invoice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.reconciliation import (
    month_of,
    parse_month,
    reconcile,
    reconciled_cost,
    reconciliation_factor,
)

MARCH = datetime(2026, 3, 5, tzinfo=UTC)
CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("text", "first_day"), [("2026-03", date(2026, 3, 1)), (" 1999-12 ", date(1999, 12, 1))]
)
def test_parse_month(text: str, first_day: date) -> None:
    assert parse_month(text) == first_day


@pytest.mark.parametrize("text", ["2026-3", "2026-13", "2026-00", "March 2026", "2026-03-01", ""])
def test_parse_month_refuses_anything_else(text: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_month_of_is_the_utc_month() -> None:
    # 2026-03-31T23:30-02:00 is 2026-04-01T01:30Z: April
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC) + timedelta(hours=2)
    assert month_of(late) == date(2026, 4, 1)


def test_a_hand_computed_provider_month() -> None:
    # computed 10 + 20 + 50 = 80; invoiced 72 → factor 72 / 80 = 0.9
    assert reconciliation_factor(computed=Decimal(80), invoiced=Decimal(72)) == Decimal("0.9")
    events = [("anthropic", MARCH, Decimal(c)) for c in ("10", "20", "50")]
    events.append(("openai", MARCH, Decimal("5")))  # no invoice: rack rate
    events.append(("anthropic", datetime(2026, 4, 1, tzinfo=UTC), Decimal("30")))  # April
    costs = reconcile(events, {("anthropic", date(2026, 3, 1)): Decimal(72)})
    # 10 × 0.9 = 9, 20 × 0.9 = 18, 50 × 0.9 = 45 (sum 72 = the invoice); the rest unchanged
    assert costs == [Decimal(9), Decimal(18), Decimal(45), Decimal(5), Decimal(30)]


def test_a_factor_that_does_not_terminate_still_reaches_the_invoice_to_the_cent() -> None:
    # invoiced 2 over three events of 1: factor 2/3 rounded to 20 places, half up
    factor = reconciliation_factor(computed=Decimal(3), invoiced=Decimal(2))
    assert factor == Decimal("0.66666666666666666667")
    # each event: 0.66666666666666666667 → 0.6666666667 (10 places, half up); sum 2.0000000001
    assert reconciled_cost(Decimal(1), factor) == Decimal("0.6666666667")
    assert sum([reconciled_cost(Decimal(1), factor)] * 3).quantize(CENT) == Decimal("2.00")


def test_nothing_to_scale() -> None:
    assert reconciliation_factor(computed=Decimal(0), invoiced=Decimal(10)) is None
    assert reconciled_cost(Decimal("1.5"), None) == Decimal("1.5000000000")


money = st.decimals(min_value=0, max_value=10_000, places=10, allow_nan=False)


@given(st.lists(money, min_size=1, max_size=60), money)
def test_reconciled_costs_add_up_to_the_invoice(costs: list[Decimal], invoiced: Decimal) -> None:
    events = [("p", MARCH + timedelta(hours=i), cost) for i, cost in enumerate(costs)]
    scaled = reconcile(events, {("p", date(2026, 3, 1)): invoiced})
    if sum(costs) == 0:
        assert scaled == [c.quantize(Decimal("1E-10")) for c in costs]  # nothing to scale
        return
    # each event is off by at most half of 10^-10 (plus the factor's 10^-20 rounding): with
    # 60 events at most 3.6 × 10^-9 in all, far below a cent
    assert abs(sum(scaled) - invoiced) <= Decimal("0.6E-10") * len(costs)
    assert all(s >= 0 for s in scaled)
