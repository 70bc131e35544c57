"""The shipped default price list: it parses through the import path and every rate is sane."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cli.output import CliError
from app.cli.prices import _shown, parse_defaults, parse_rows, rows_from_text
from app.domain.pricing import TokenCounts, price_in_force, price_tokens
from app.pricing import DEFAULT_PRICES_NAME, default_prices_text


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


RATES = (
    "input_per_million",
    "output_per_million",
    "cache_read_per_million",
    "cache_write_per_million",
    "reasoning_per_million",
)


def test_the_shipped_list_parses_with_the_import_parser() -> None:
    prices = parse_defaults()
    assert len(prices) == len(json.loads(default_prices_text()))
    assert {p.provider for p in prices} >= {"openai", "anthropic", "google"}
    keys = [(p.provider, p.model, p.effective_from) for p in prices]
    assert len(keys) == len(set(keys)), "one price per (provider, model, effectiveFrom)"


def test_every_rate_is_a_positive_decimal_and_dates_are_utc() -> None:
    for price in parse_defaults():
        assert price.effective_from.utcoffset() is not None
        assert price.effective_from.utcoffset().total_seconds() == 0
        for name in RATES:
            rate = getattr(price, name)
            if rate is None:
                continue
            assert isinstance(rate, Decimal), (price.model, name)
            assert rate > 0, (price.model, name)
        # A cache read is a discount on input, never dearer than input.
        if price.cache_read_per_million is not None:
            assert price.cache_read_per_million < price.input_per_million, price.model


def test_rates_are_written_as_strings_not_json_floats() -> None:
    for row in json.loads(default_prices_text()):
        for key, value in row.items():
            if key.endswith("PerMillion"):
                assert isinstance(value, str), (row["model"], key)


def test_a_default_prices_a_call_as_hand_computed() -> None:
    """claude-sonnet-4-5 (3 / 15 / read 0.30 / write 3.75 per M): 1,000 input + 500 output +
    2,000 cache read + 400 cache write = (3,000 + 7,500 + 600 + 1,500) / 10^6 = 0.0126."""
    price = price_in_force(parse_defaults(), "anthropic", "claude-sonnet-4-5", at(2026, 1, 1))
    assert price is not None
    tokens = TokenCounts(input=1000, output=500, cache_read=2000, cache_write=400)
    assert price_tokens(tokens, price) == Decimal("0.0126000000")


def test_o3_has_two_versions_and_the_later_one_wins_after_the_cut() -> None:
    prices = parse_defaults()
    before = price_in_force(prices, "openai", "o3", at(2025, 5, 1))
    after = price_in_force(prices, "openai", "o3", at(2025, 7, 1))
    assert before is not None and after is not None
    assert (before.input_per_million, after.input_per_million) == (Decimal("10"), Decimal("2"))


def test_a_bad_row_in_the_shipped_format_is_refused_with_its_row_and_field() -> None:
    rows = rows_from_text(default_prices_text(), DEFAULT_PRICES_NAME, is_csv=False)
    rows[2] = rows[2] | {"outputPerMillion": "-1"}
    with pytest.raises(CliError, match="row 3, field outputPerMillion"):
        parse_rows(rows, DEFAULT_PRICES_NAME)


@given(st.decimals(min_value=0, max_value=10**9, places=10, allow_nan=False))
def test_the_shown_rate_is_the_same_number(rate: Decimal) -> None:
    shown = _shown(rate)
    assert shown == rate
    exponent = shown.as_tuple().exponent
    assert isinstance(exponent, int) and exponent <= -2
