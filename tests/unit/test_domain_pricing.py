"""Token pricing: each disjoint kind at its own rate, fallbacks, 10 dp rounding, price in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.pricing import Price, ScaledPrice, TokenCounts, price_in_force, price_tokens

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make_price(**overrides: object) -> Price:
    fields: dict[str, object] = {
        "provider": "anthropic",
        "model": "claude-x",
        "effective_from": T0,
        "input_per_million": Decimal("3.00"),
        "output_per_million": Decimal("15.00"),
    }
    fields.update(overrides)
    return Price(**fields)  # type: ignore[arg-type]


def test_every_kind_at_its_own_rate() -> None:
    price = make_price(
        cache_read_per_million=Decimal("0.30"),
        cache_write_per_million=Decimal("3.75"),
        reasoning_per_million=Decimal("12.00"),
    )
    tokens = TokenCounts(input=1000, output=500, cache_read=10_000, cache_write=2000, reasoning=300)
    # 1000*3 + 500*15 + 10000*0.30 + 2000*3.75 + 300*12
    # = 3000 + 7500 + 3000 + 7500 + 3600 = 24600 per million -> 0.0246
    assert price_tokens(tokens, price) == Decimal("0.0246")


def test_missing_rates_fall_back_never_zero() -> None:
    price = make_price()  # no cache or reasoning rates
    tokens = TokenCounts(input=1000, output=500, cache_read=10_000, cache_write=2000, reasoning=300)
    # cache read/write at input 3.00, reasoning at output 15.00:
    # 1000*3 + 500*15 + 10000*3 + 2000*3 + 300*15
    # = 3000 + 7500 + 30000 + 6000 + 4500 = 51000 per million -> 0.051
    assert price_tokens(tokens, price) == Decimal("0.051")
    # one million of each kind alone
    assert price_tokens(TokenCounts(cache_read=1_000_000), price) == Decimal("3")
    assert price_tokens(TokenCounts(cache_write=1_000_000), price) == Decimal("3")
    assert price_tokens(TokenCounts(reasoning=1_000_000), price) == Decimal("15")


def test_explicit_zero_rate_is_respected() -> None:
    price = make_price(cache_read_per_million=Decimal("0"))
    # 2000 cache reads at an explicit 0 rate + 1000 input at 3.00 -> 3000 / 1e6 = 0.003
    assert price_tokens(TokenCounts(input=1000, cache_read=2000), price) == Decimal("0.003")


def test_cache_is_cheaper_than_fresh_input() -> None:
    price = make_price(cache_read_per_million=Decimal("0.30"))
    fresh = price_tokens(TokenCounts(input=100_000), price)  # 100000*3/1e6 = 0.3
    cached = price_tokens(TokenCounts(cache_read=100_000), price)  # 100000*0.3/1e6 = 0.03
    assert (fresh, cached) == (Decimal("0.3"), Decimal("0.03"))


def test_result_is_ten_dp_half_even() -> None:
    price = make_price(input_per_million=Decimal("0.00005"), output_per_million=Decimal("0"))
    # 1 token * 0.00005 / 1e6 = 5E-11 -> tie at the 10th decimal -> 0 (even)
    assert price_tokens(TokenCounts(input=1), price) == Decimal("0E-10")
    # 3 tokens -> 1.5E-10 -> tie -> 2E-10 (even)
    assert price_tokens(TokenCounts(input=3), price) == Decimal("2E-10")
    # 5 tokens -> 2.5E-10 -> tie -> 2E-10 (even)
    assert price_tokens(TokenCounts(input=5), price) == Decimal("2E-10")
    cost = price_tokens(TokenCounts(input=7), price)  # 3.5E-10 -> 4E-10
    assert cost == Decimal("4E-10")
    assert cost.as_tuple().exponent == -10


def test_zero_tokens_cost_zero() -> None:
    assert price_tokens(TokenCounts(), make_price()) == 0


@pytest.mark.parametrize("field", ["input", "output", "cache_read", "cache_write", "reasoning"])
def test_token_counts_must_be_non_negative_ints(field: str) -> None:
    with pytest.raises(ValueError):
        TokenCounts(**{field: -1})
    with pytest.raises(ValueError):
        TokenCounts(**{field: 1.5})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field",
    [
        "input_per_million",
        "output_per_million",
        "cache_read_per_million",
        "cache_write_per_million",
        "reasoning_per_million",
    ],
)
def test_price_rates_must_be_finite_and_non_negative(field: str) -> None:
    with pytest.raises(ValueError):
        make_price(**{field: Decimal("-0.01")})
    with pytest.raises(ValueError):
        make_price(**{field: Decimal("NaN")})
    with pytest.raises(ValueError):
        make_price(**{field: 1.5})


JAN = make_price(effective_from=T0, input_per_million=Decimal("1"))
FEB = make_price(effective_from=T0 + timedelta(days=31), input_per_million=Decimal("2"))
MAR = make_price(effective_from=T0 + timedelta(days=59), input_per_million=Decimal("3"))
OTHER = make_price(provider="openai", model="gpt-x", effective_from=T0 - timedelta(days=365))
BOOK = [MAR, OTHER, JAN, FEB]  # deliberately unsorted


def test_price_in_force_picks_latest_effective_on_or_before() -> None:
    assert price_in_force(BOOK, "anthropic", "claude-x", T0) is JAN  # inclusive start
    assert price_in_force(BOOK, "anthropic", "claude-x", FEB.effective_from) is FEB
    just_before_feb = FEB.effective_from - timedelta(microseconds=1)
    assert price_in_force(BOOK, "anthropic", "claude-x", just_before_feb) is JAN
    assert price_in_force(BOOK, "anthropic", "claude-x", T0 + timedelta(days=400)) is MAR


def test_price_in_force_none_before_first_or_for_unknown_model() -> None:
    assert price_in_force(BOOK, "anthropic", "claude-x", T0 - timedelta(seconds=1)) is None
    assert price_in_force(BOOK, "anthropic", "claude-y", T0 + timedelta(days=400)) is None
    assert price_in_force(BOOK, "Anthropic", "claude-x", T0 + timedelta(days=400)) is None
    assert price_in_force([], "anthropic", "claude-x", T0) is None


def test_price_in_force_same_effective_from_later_entry_wins() -> None:
    first = make_price(input_per_million=Decimal("1"))
    second = make_price(input_per_million=Decimal("9"))
    assert price_in_force([first, second], "anthropic", "claude-x", T0) is second
    assert price_in_force(iter([second, first]), "anthropic", "claude-x", T0) is first


counts = st.integers(min_value=0, max_value=10_000_000)
rates = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(
    tokens=st.builds(
        TokenCounts,
        input=counts,
        output=counts,
        cache_read=counts,
        cache_write=counts,
        reasoning=counts,
    ),
    input_rate=rates,
    output_rate=rates,
    extra=st.lists(st.one_of(st.none(), rates), min_size=3, max_size=3),
)
def test_price_is_additive_over_kinds(
    tokens: TokenCounts,
    input_rate: Decimal,
    output_rate: Decimal,
    extra: list[Decimal | None],
) -> None:
    price = make_price(
        input_per_million=input_rate,
        output_per_million=output_rate,
        cache_read_per_million=extra[0],
        cache_write_per_million=extra[1],
        reasoning_per_million=extra[2],
    )
    total = price_tokens(tokens, price)
    assert total >= 0
    assert total.as_tuple().exponent == -10
    parts = [
        price_tokens(TokenCounts(input=tokens.input), price),
        price_tokens(TokenCounts(output=tokens.output), price),
        price_tokens(TokenCounts(cache_read=tokens.cache_read), price),
        price_tokens(TokenCounts(cache_write=tokens.cache_write), price),
        price_tokens(TokenCounts(reasoning=tokens.reasoning), price),
    ]
    # rates have 4 dp, so count*rate/1e6 has at most 10 dp: every part is exact and they add up
    assert sum(parts) == total


@settings(max_examples=80, deadline=None)
@given(
    offsets=st.lists(st.integers(min_value=0, max_value=100), min_size=0, max_size=8),
    at_offset=st.integers(min_value=-5, max_value=105),
)
def test_price_in_force_property(offsets: list[int], at_offset: int) -> None:
    book = [
        make_price(effective_from=T0 + timedelta(days=d), input_per_million=Decimal(i))
        for i, d in enumerate(offsets)
    ]
    at = T0 + timedelta(days=at_offset)
    found = price_in_force(book, "anthropic", "claude-x", at)
    eligible = [p for p in book if p.effective_from <= at]
    if not eligible:
        assert found is None
        return
    assert found is not None
    assert found.effective_from == max(p.effective_from for p in eligible)
    # the last of the tied entries in iteration order
    assert found is [p for p in eligible if p.effective_from == found.effective_from][-1]


def _reference_price(tokens: TokenCounts, price: Price) -> Decimal:
    """The formula written out: all five terms summed exactly, one rounding at the end (zero
    counts included, which `price_tokens` skips as a shortcut)."""
    import decimal

    inp, out = price.input_per_million, price.output_per_million
    cr, cw, rs = (
        price.cache_read_per_million,
        price.cache_write_per_million,
        price.reasoning_per_million,
    )
    terms = [
        (tokens.input, inp),
        (tokens.output, out),
        (tokens.cache_read, inp if cr is None else cr),
        (tokens.cache_write, inp if cw is None else cw),
        (tokens.reasoning, out if rs is None else rs),
    ]
    ctx = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN)
    total = sum((ctx.multiply(Decimal(count), rate) for count, rate in terms), Decimal(0))
    return ctx.divide(total, Decimal(1_000_000)).quantize(Decimal("1E-10"), context=ctx)


@settings(max_examples=150, deadline=None)
@given(
    tokens=st.builds(
        TokenCounts,
        input=st.one_of(st.just(0), counts),
        output=st.one_of(st.just(0), counts),
        cache_read=st.one_of(st.just(0), counts),
        cache_write=st.one_of(st.just(0), counts),
        reasoning=st.one_of(st.just(0), counts),
    ),
    rates5=st.lists(st.decimals(min_value=0, max_value=100, places=7), min_size=5, max_size=5),
)
def test_price_equals_the_written_out_formula(tokens: TokenCounts, rates5: list[Decimal]) -> None:
    price = make_price(
        input_per_million=rates5[0],
        output_per_million=rates5[1],
        cache_read_per_million=rates5[2],
        cache_write_per_million=None,
        reasoning_per_million=rates5[4],
    )
    got = price_tokens(tokens, price)
    want = _reference_price(tokens, price)
    assert got == want
    assert str(got) == str(want)  # same value and the same 10 dp representation


def test_price_with_zero_counts_hand_computed() -> None:
    # 1,234 input at 3.00 + 0 output + 0 cache read + 7 reasoning at 15.00 (output's rate):
    # (3702 + 105) / 1e6 = 0.003807
    price = make_price()
    assert str(price_tokens(TokenCounts(input=1234, reasoning=7), price)) == "0.0038070000"
    # 1 input token at 0.0000001 per million: 1e-13, rounds half-even to 0 at 10 dp
    tiny = make_price(input_per_million=Decimal("0.0000001"))
    assert str(price_tokens(TokenCounts(input=1), tiny)) == "0E-10"


@pytest.mark.parametrize("value", [True, -1, 1.0, "1", None])
def test_token_counts_fast_check_still_refuses(value: object) -> None:
    for field in ("input", "output", "cache_read", "cache_write", "reasoning"):
        with pytest.raises(ValueError, match=field):
            TokenCounts(**{field: value})  # type: ignore[arg-type]


# Rates as a price book holds them (NUMERIC, up to 10 places, e.g. "3", "0.30", "1E+1"), or
# with many digits; counts up to bigint, so some totals reach the Decimal fallback.
book_rates = st.one_of(
    st.integers(0, 10).flatmap(lambda p: st.decimals(min_value=0, max_value=1000, places=p)),
    st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0"), Decimal("0E-10"), Decimal("1E+1"), Decimal("0.30")]),
)
any_count = st.one_of(st.just(0), st.integers(0, 10_000), st.integers(0, 2**63 - 1))


@settings(max_examples=400, deadline=None)
@given(
    counts5=st.lists(any_count, min_size=5, max_size=5),
    rates=st.lists(st.one_of(st.none(), book_rates), min_size=5, max_size=5),
)
def test_scaled_price_is_price_tokens(counts5: list[int], rates: list[Decimal | None]) -> None:
    price = make_price(
        input_per_million=rates[0] if rates[0] is not None else Decimal("3"),
        output_per_million=rates[1] if rates[1] is not None else Decimal("15"),
        cache_read_per_million=rates[2],
        cache_write_per_million=rates[3],
        reasoning_per_million=rates[4],
    )
    want = price_tokens(TokenCounts(*counts5), price)
    got = ScaledPrice(price).cost(*counts5)
    assert got == want
    assert got.as_tuple() == want.as_tuple()  # the same digits and exponent, not just value


def test_scaled_price_hand_computed() -> None:
    price = make_price(cache_read_per_million=Decimal("0.30"))
    scaled = ScaledPrice(price)
    # 1000*3 + 500*15 + 10000*0.30 = 13500 per million -> 0.0135
    assert str(scaled.cost(1000, 500, 10_000, 0, 0)) == "0.0135000000"
    assert str(scaled.cost(0, 0, 0, 0, 0)) == "0E-10"
    # rounding half to even at 10 dp: 0.00000000005 -> 0E-10, 0.00000000015 -> 2E-10
    half = ScaledPrice(make_price(input_per_million=Decimal("0.00005")))
    assert str(half.cost(1, 0, 0, 0, 0)) == "0E-10"
    assert str(half.cost(3, 0, 0, 0, 0)) == "2E-10"
    assert str(half.cost(5, 0, 0, 0, 0)) == "2E-10"  # 0.00000000025 -> 2E-10 (even)
    # reasoning falls back to the output rate: 7 * 15 / 1e6
    assert str(scaled.cost(0, 0, 0, 0, 7)) == "0.0001050000"


def test_scaled_price_beyond_exact_digits_is_price_tokens() -> None:
    # 32 scaled digits x a 19-digit count: a 51-digit product, which price_tokens rounds at
    # its 50 significant digits; the scaled price hands such totals to price_tokens.
    rate = Decimal("1234567890123456789012.3456789017")
    price = make_price(input_per_million=rate, output_per_million=rate)
    counts = (2**63 - 1, 2**63 - 3, 0, 0, 0)
    want = price_tokens(TokenCounts(*counts), price)
    assert ScaledPrice(price).cost(*counts).as_tuple() == want.as_tuple()
