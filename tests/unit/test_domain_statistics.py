"""Autonomy-gate statistics: Wilson interval, Mann-Kendall trend test, Theil-Sen slope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.statistics import MannKendall, mann_kendall, theil_sen_slope, wilson_interval

Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def test_wilson_95_of_100() -> None:
    # p = 0.95, z^2 = 3.841459, z^2/n = 0.03841459, denom = 1.03841459
    # centre = (0.95 + 0.01920729) / 1.03841459 = 0.96920729 / 1.03841459 = 0.933353
    # half = 1.959964 * sqrt(0.95*0.05/100 + 3.841459/40000) / 1.03841459
    #      = 1.959964 * sqrt(0.000475 + 0.00009604) / 1.03841459
    #      = 1.959964 * 0.02389644 / 1.03841459 = 0.045103
    # -> (0.888250, 0.978456)
    interval = wilson_interval(95, 100, 0.95)
    assert interval is not None
    assert interval[0] == pytest.approx(0.88825, abs=5e-5)
    assert interval[1] == pytest.approx(0.97846, abs=5e-5)


def test_wilson_47_of_50() -> None:
    # p = 0.94, z^2/n = 0.07682918, denom = 1.07682918
    # centre = (0.94 + 0.03841459) / 1.07682918 = 0.908608
    # half = 1.959964 * sqrt(0.0564/50 + 3.841459/10000) / 1.07682918
    #      = 1.959964 * sqrt(0.001128 + 0.00038415) / 1.07682918
    #      = 1.959964 * 0.03888633 / 1.07682918 = 0.070778
    # -> (0.837830, 0.979386)
    interval = wilson_interval(47, 50)
    assert interval is not None
    assert interval[0] == pytest.approx(0.83783, abs=5e-5)
    assert interval[1] == pytest.approx(0.97939, abs=5e-5)


def test_wilson_extremes() -> None:
    # 0 of 10: low = 0; high = (z^2/n) / (1 + z^2/n) = 0.3841459 / 1.3841459 = 0.277533
    zero = wilson_interval(0, 10)
    assert zero is not None
    assert zero[0] == 0.0
    assert zero[1] == pytest.approx(0.277533, abs=1e-6)
    # 10 of 10: symmetric: low = 1 / 1.3841459 = 0.722467, high = 1
    full = wilson_interval(10, 10)
    assert full is not None
    assert full[0] == pytest.approx(0.722467, abs=1e-6)
    assert full[1] == 1.0
    assert wilson_interval(0, 0) is None


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10), (0, -1)])
def test_wilson_rejects_impossible_counts(successes: int, n: int) -> None:
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


@pytest.mark.parametrize("confidence", [0.0, 1.0, 1.5])
def test_wilson_rejects_bad_confidence(confidence: float) -> None:
    with pytest.raises(ValueError):
        wilson_interval(5, 10, confidence)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), n=st.integers(min_value=1, max_value=10_000))
def test_wilson_contains_the_estimate_and_widens_with_confidence(
    data: st.DataObject, n: int
) -> None:
    successes = data.draw(st.integers(min_value=0, max_value=n))
    p = successes / n
    narrow = wilson_interval(successes, n, 0.90)
    wide = wilson_interval(successes, n, 0.99)
    assert narrow is not None and wide is not None
    assert 0.0 <= wide[0] <= narrow[0] <= p <= narrow[1] <= wide[1] <= 1.0


def test_mann_kendall_increasing() -> None:
    # 10 pairs, all increasing: S = 10; Var = 5*4*15/18 = 300/18 = 16.6667
    # z = (10 - 1) / sqrt(16.6667) = 9 / 4.082483 = 2.204541
    # p = 2 * (1 - Phi(2.204541)) = 2 * 0.013745 = 0.027490
    result = mann_kendall([1, 2, 3, 4, 5])
    assert result.s == 10
    assert result.var_s == pytest.approx(300 / 18)
    assert result.z == pytest.approx(2.204541, abs=1e-6)
    assert result.p_two_sided == pytest.approx(0.02749, abs=1e-5)


def test_mann_kendall_decreasing_is_mirror() -> None:
    s, var_s, z, p = mann_kendall([5.0, 4.0, 3.0, 2.0, 1.0])
    assert s == -10
    assert var_s == pytest.approx(300 / 18)
    assert z == pytest.approx(-2.204541, abs=1e-6)
    assert p == pytest.approx(0.02749, abs=1e-5)


def test_mann_kendall_tie_correction() -> None:
    # [1, 2, 2, 3]: pairs (1,2)+ (1,2)+ (1,3)+ (2,2)0 (2,3)+ (2,3)+ -> S = 5
    # Var = [4*3*13 - (tie group t=2: 2*1*9)] / 18 = (156 - 18) / 18 = 7.6667
    # z = (5 - 1) / sqrt(7.6667) = 4 / 2.768875 = 1.444630; p = 2 * (1 - Phi(1.44463)) = 0.14857
    result = mann_kendall([Decimal(1), Decimal(2), Decimal(2), Decimal(3)])
    assert isinstance(result, MannKendall)
    assert result.s == 5
    assert result.var_s == pytest.approx(138 / 18)
    assert result.z == pytest.approx(1.444630, abs=1e-6)
    assert result.p_two_sided == pytest.approx(0.14857, abs=1e-5)


def test_mann_kendall_no_information() -> None:
    assert mann_kendall([]) == (0, 0.0, 0.0, 1.0)
    assert mann_kendall([3]) == (0, 0.0, 0.0, 1.0)
    assert mann_kendall([2, 2, 2]) == (0, 0.0, 0.0, 1.0)
    # no trend: [1, 3, 2]: pairs + + - -> S = 1 -> z = (1 - 1)/sd = 0, p = 1
    s, _, z, p = mann_kendall([1, 3, 2])
    assert (s, z, p) == (1, 0.0, 1.0)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), max_size=25))
def test_mann_kendall_reversal_negates(values: list[int]) -> None:
    forward = mann_kendall(values)
    backward = mann_kendall(values[::-1])
    assert backward.s == -forward.s
    assert backward.var_s == pytest.approx(forward.var_s)
    assert backward.z == pytest.approx(-forward.z)
    assert backward.p_two_sided == pytest.approx(forward.p_two_sided)
    assert 0.0 <= forward.p_two_sided <= 1.0


def test_theil_sen_examples() -> None:
    assert theil_sen_slope([1, 2, 3, 4, 5]) == 1.0
    # slopes: (0,1)=2, (0,2)=0.5, (0,3)=4/3, (1,2)=-1, (1,3)=1, (2,3)=3
    # sorted: -1, 0.5, 1, 1.3333, 2, 3 -> median (1 + 1.3333) / 2 = 1.16667
    assert theil_sen_slope([1, 3, 2, 5]) == pytest.approx(7 / 6)
    # robust to an outlier: 6 of the 10 slopes of [1, 2, 3, 4, 100] are exactly 1
    assert theil_sen_slope([Decimal(1), Decimal(2), Decimal(3), Decimal(4), Decimal(100)]) == 1.0
    assert theil_sen_slope([7, 7]) == 0.0


def test_theil_sen_needs_two_values() -> None:
    with pytest.raises(ValueError):
        theil_sen_slope([1.0])


@settings(max_examples=80, deadline=None)
@given(
    intercept=st.floats(min_value=-1000, max_value=1000),
    slope=st.floats(min_value=-100, max_value=100),
    n=st.integers(min_value=2, max_value=30),
)
def test_theil_sen_recovers_a_line(intercept: float, slope: float, n: int) -> None:
    values = [intercept + slope * i for i in range(n)]
    assert theil_sen_slope(values) == pytest.approx(slope, abs=1e-6)
