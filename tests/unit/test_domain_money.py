"""Money helpers: 10 dp half-even quantization, ratios (None on /0), shares, exact sums."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.money import (
    MONEY_PLACES,
    RATIO_PLACES,
    quantize_money,
    ratio,
    share,
    sum_money,
)

money = st.decimals(
    min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=10, allow_nan=False
)


def test_places_are_ten_decimals() -> None:
    assert RATIO_PLACES == Decimal("1E-10")
    assert MONEY_PLACES == Decimal("1E-10")
    assert RATIO_PLACES.as_tuple().exponent == -10
    assert MONEY_PLACES.as_tuple().exponent == -10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # exact ties go to the even neighbour at the 10th decimal
        ("0.00000000005", "0.0000000000"),  # 0|5 -> 0 (even)
        ("0.00000000015", "0.0000000002"),  # 1|5 -> 2 (even)
        ("0.00000000025", "0.0000000002"),  # 2|5 -> 2 (even)
        ("1.00000000015", "1.0000000002"),
        ("-0.00000000015", "-0.0000000002"),
        # not ties: ordinary rounding
        ("0.000000000051", "0.0000000001"),
        ("0.000000000049", "0.0000000000"),
        ("2", "2.0000000000"),
        ("12345678901234567890.123456789012", "12345678901234567890.1234567890"),
    ],
)
def test_quantize_money_half_even(raw: str, expected: str) -> None:
    result = quantize_money(Decimal(raw))
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -10


def test_quantize_money_ignores_callers_context() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_UP
        assert quantize_money(Decimal("123456.00000000015")) == Decimal("123456.0000000002")
        assert ratio(Decimal(100), 19) == Decimal("5.2631578947")


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_non_finite_is_rejected(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        quantize_money(bad)
    with pytest.raises(ValueError):
        ratio(bad, 2)
    with pytest.raises(ValueError):
        ratio(Decimal(1), bad)
    with pytest.raises(ValueError):
        share(bad, Decimal(1))
    with pytest.raises(ValueError):
        sum_money([Decimal(1), bad])


def test_ratio_examples() -> None:
    # 1000 / 500 = 2 exactly
    assert ratio(Decimal(1000), 500) == Decimal("2.00")
    # 800 / 320 = 2.5 exactly
    assert ratio(Decimal(800), 320) == Decimal("2.50")
    # 100 / 19 = 5.26315789473684...; 11th decimal is 3 -> round down
    assert ratio(Decimal(100), 19) == Decimal("5.2631578947")
    # 2 / 3 = 0.66666666666...; 11th decimal 6 -> round up
    assert ratio(Decimal(2), 3) == Decimal("0.6666666667")
    # Decimal denominators work too: 1 / 0.3 = 3.333...
    assert ratio(Decimal(1), Decimal("0.3")) == Decimal("3.3333333333")
    # half-even at the 10th decimal: 0.00000000025 / 1 -> 0.0000000002
    assert ratio(Decimal("0.00000000025"), 1) == Decimal("0.0000000002")
    # 1 / 8 = 0.125 exactly
    result = ratio(Decimal(1), 8)
    assert result is not None
    assert result.as_tuple().exponent == -10
    assert str(result) == "0.1250000000"


def test_ratio_by_zero_is_none_not_zero() -> None:
    assert ratio(Decimal(1000), 0) is None
    assert ratio(Decimal(0), 0) is None
    assert ratio(Decimal(5), Decimal("0.000")) is None


def test_ratio_rejects_non_numbers() -> None:
    with pytest.raises(TypeError):
        ratio(Decimal(1), 2.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ratio(1.0, 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ratio(Decimal(1), True)


def test_share_examples() -> None:
    assert share(Decimal(200), Decimal(1000)) == 0.2
    assert share(Decimal(1), Decimal(3)) == pytest.approx(1 / 3)
    assert share(Decimal(7), Decimal(7)) == 1.0
    assert share(Decimal(0), Decimal(5)) == 0.0
    assert share(Decimal(5), Decimal(0)) is None
    assert share(Decimal(0), Decimal(0)) is None
    # not clamped
    assert share(Decimal(-1), Decimal(4)) == -0.25


def test_sum_money() -> None:
    assert sum_money([]) == 0
    # 0.1 + 0.2 = 0.3 exactly in Decimal (unlike float)
    assert sum_money([Decimal("0.1"), Decimal("0.2")]) == Decimal("0.3")
    # 30 significant digits: would be rounded in the default 28-digit context
    big = Decimal("12345678901234567890.0000000001")
    assert sum_money([big, big]) == Decimal("24691357802469135780.0000000002")


@settings(max_examples=100, deadline=None)
@given(numerator=money, denominator=st.integers(min_value=-10_000, max_value=10_000))
def test_ratio_property(numerator: Decimal, denominator: int) -> None:
    result = ratio(numerator, denominator)
    if denominator == 0:
        assert result is None
        return
    assert result is not None
    assert result.as_tuple().exponent == -10
    # within half a unit of the 10th decimal of the true quotient
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        assert abs(result - numerator / denominator) <= Decimal("0.00000000005")


@settings(max_examples=100, deadline=None)
@given(values=st.lists(money, max_size=30))
def test_sum_money_is_exact(values: list[Decimal]) -> None:
    from fractions import Fraction

    assert Fraction(sum_money(values)) == sum((Fraction(v) for v in values), Fraction(0))


@settings(max_examples=100, deadline=None)
@given(x=money)
def test_quantize_is_idempotent_on_money(x: Decimal) -> None:
    assert quantize_money(x) == x
    assert quantize_money(quantize_money(x)) == quantize_money(x)
