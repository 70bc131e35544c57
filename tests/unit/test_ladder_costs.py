"""Cost per rung and conversion: hand-computed ladders, and the rounding bound as a property."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.ladder import RungCost, ladder_costs

OUTREACH = [("accepted", 0), ("reply", 1), ("positive_reply", 2), ("deal", 3)]


def test_a_month_of_outreach_loads_every_rung_with_the_whole_spend() -> None:
    # $80.00 of spend; 800 accepted, 200 replies, 50 positive replies, 8 deals
    counts = {"accepted": 800, "reply": 200, "positive_reply": 50, "deal": 8}

    costs = ladder_costs(OUTREACH, counts, Decimal("80.00"))

    assert costs == [
        # 80 / 800 = 0.1; first rung: no conversion
        RungCost("accepted", 0, 800, Decimal("80.00"), Decimal("0.1000000000"), None),
        # 80 / 200 = 0.4; 200 / 800 = 0.25
        RungCost("reply", 1, 200, Decimal("80.00"), Decimal("0.4000000000"), 0.25),
        # 80 / 50 = 1.6; 50 / 200 = 0.25
        RungCost("positive_reply", 2, 50, Decimal("80.00"), Decimal("1.6000000000"), 0.25),
        # 80 / 8 = 10; 8 / 50 = 0.16
        RungCost("deal", 3, 8, Decimal("80.00"), Decimal("10.0000000000"), 0.16),
    ]


def test_a_rung_nobody_reached_has_no_cost_and_the_next_no_conversion() -> None:
    # reply 0 → cost null (not a fake zero); positive_reply after a 0 → conversion null
    costs = ladder_costs(OUTREACH[:3], {"accepted": 3}, Decimal("10"))

    assert [c.count for c in costs] == [3, 0, 0]
    assert costs[0].cost_per_rung == Decimal("3.3333333333")  # 10 / 3, half-even at 10 dp
    assert costs[1].cost_per_rung is None and costs[1].conversion_from_previous == 0.0  # 0 / 3
    assert costs[2].cost_per_rung is None and costs[2].conversion_from_previous is None


def test_rounding_is_half_even_at_ten_places() -> None:
    def cost(total: str, count: int) -> Decimal | None:
        return ladder_costs([("r", 0)], {"r": count}, Decimal(total))[0].cost_per_rung

    # 0.0000000003 / 2 = 0.00000000015: a tie between …1 and …2 → the even one, …2
    assert cost("0.0000000003", 2) == Decimal("0.0000000002")
    # 0.0000000001 / 2 = 0.00000000005: a tie between 0 and …1 → the even one, 0
    assert cost("0.0000000001", 2) == Decimal("0E-10")
    # 2 / 3 = 0.66666666666… → 0.6666666667
    assert cost("2", 3) == Decimal("0.6666666667")


def test_later_rungs_may_convert_above_one() -> None:
    # rungs are counted independently: 4 deals recorded for 2 positive replies → 4 / 2 = 2.0
    rungs = [("positive_reply", 0), ("deal", 1)]
    costs = ladder_costs(rungs, {"positive_reply": 2, "deal": 4}, Decimal(1))
    assert costs[1].conversion_from_previous == 2.0


def test_no_spend_costs_zero_per_rung_when_someone_reached_it() -> None:
    costs = ladder_costs([("reply", 0)], {"reply": 5}, Decimal(0))
    assert costs[0].cost_per_rung == Decimal("0E-10")


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ladder_costs([("reply", 0)], {"reply": -1}, Decimal(1))


money = st.decimals(min_value=0, max_value=Decimal("9999999999"), places=10)
counts = st.integers(min_value=0, max_value=10**7)


@given(total=money, count=counts)
def test_cost_per_rung_times_count_is_the_total_within_the_rounding(total, count) -> None:
    (rung,) = ladder_costs([("r", 0)], {"r": count}, total)
    if count == 0:
        assert rung.cost_per_rung is None
    else:
        assert rung.cost_per_rung is not None
        # each of the `count` shares is off by at most half a unit of the 10th place
        assert abs(rung.cost_per_rung * count - total) <= count * Decimal("0.5e-10")


@given(total=money, values=st.lists(counts, min_size=1, max_size=8))
def test_every_rung_carries_the_same_total_and_conversions_chain(total, values) -> None:
    rungs = [(f"r{i}", i) for i in range(len(values))]
    costs = ladder_costs(rungs, {f"r{i}": v for i, v in enumerate(values)}, total)

    assert [c.position for c in costs] == list(range(len(values)))
    assert all(c.total_cost == total for c in costs)
    for before, after in itertools.pairwise(costs):
        if before.count == 0:
            assert after.conversion_from_previous is None
        else:
            assert after.conversion_from_previous == after.count / before.count
