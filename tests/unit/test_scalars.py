"""The Decimal scalar prints fixed-point and parses without floats, refusing non-finite values."""

from __future__ import annotations

from decimal import Decimal

import pytest

from graphql_schema.scalars import parse_decimal, serialize_decimal


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (Decimal("0E-10"), "0.0000000000"),
        (Decimal("2.0000000000"), "2.0000000000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("-0.0189"), "-0.0189"),
    ],
)
def test_serialize_is_fixed_point(value: Decimal, printed: str) -> None:
    assert serialize_decimal(value) == printed


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [("12.50", Decimal("12.50")), (3, Decimal(3)), (0.1, Decimal("0.1")), (" 7 ", Decimal(7))],
)
def test_parse_accepts_strings_and_numbers(raw: object, parsed: Decimal) -> None:
    assert parse_decimal(raw) == parsed


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "-inf", "abc", True, None, [1]])
def test_parse_refuses_non_numbers_and_non_finite(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(raw)
