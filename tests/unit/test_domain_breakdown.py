"""Reference cost breakdown: buckets add up to the total exactly, for any grouping."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.breakdown import NONE_KEY, Bucket, CostItem, breakdown

D = Decimal
ITEMS = [
    CostItem({"MODEL": "m1", "STEP": "plan"}, D("1.50"), 100, 10, 0, 0),
    CostItem({"MODEL": "m1", "STEP": "draft"}, D("2.25"), 200, 50, 1000, 5),
    CostItem({"MODEL": "m2"}, D("0.75"), 50, 5, 0, 0),
    CostItem({"MODEL": "m1", "STEP": None}, D("0.25")),
]


def test_group_by_one_dimension() -> None:
    assert breakdown(ITEMS, ["MODEL"]) == [
        # m1: 1.50 + 2.25 + 0.25 = 4.00; tokens 100+200+0, 10+50+0, 0+1000+0, 0+5+0
        Bucket(("m1",), D("4.00"), 3, 300, 60, 1000, 5),
        Bucket(("m2",), D("0.75"), 1, 50, 5, 0, 0),
    ]


def test_missing_dimension_is_none_bucket() -> None:
    assert NONE_KEY == "(none)"
    assert breakdown(ITEMS, ["STEP"]) == [
        Bucket(("draft",), D("2.25"), 1, 200, 50, 1000, 5),
        Bucket(("plan",), D("1.50"), 1, 100, 10, 0, 0),
        # absent (m2) and None (last item): 0.75 + 0.25 = 1.00
        Bucket(("(none)",), D("1.00"), 2, 50, 5, 0, 0),
    ]


def test_group_by_two_dimensions_keeps_order_of_dimensions() -> None:
    buckets = breakdown(ITEMS, ["MODEL", "STEP"])
    assert [(b.key, b.cost) for b in buckets] == [
        (("m1", "draft"), D("2.25")),
        (("m1", "plan"), D("1.50")),
        (("m2", "(none)"), D("0.75")),
        (("m1", "(none)"), D("0.25")),
    ]
    assert breakdown(ITEMS, ["STEP", "MODEL"])[0].key == ("draft", "m1")


def test_no_grouping_is_the_grand_total() -> None:
    # 1.50 + 2.25 + 0.75 + 0.25 = 4.75
    assert breakdown(ITEMS, []) == [Bucket((), D("4.75"), 4, 350, 65, 1000, 5)]
    assert breakdown([], ["MODEL"]) == []
    assert breakdown([], []) == []


def test_ties_sorted_by_key() -> None:
    items = [CostItem({"K": k}, D("1")) for k in ("b", "c", "a")] + [CostItem({"K": "z"}, D(2))]
    assert [b.key for b in breakdown(items, ["K"])] == [("z",), ("a",), ("b",), ("c",)]


def test_cost_item_is_hashable_despite_mapping() -> None:
    assert hash(ITEMS[0]) == hash(CostItem({"other": "dims"}, D("1.50"), 100, 10, 0, 0))


DIMS = ["MODEL", "STEP", "TEAM"]
items_strategy = st.lists(
    st.builds(
        CostItem,
        dims=st.dictionaries(
            st.sampled_from(DIMS), st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))
        ),
        cost=st.decimals(min_value=-10, max_value=10_000, places=10, allow_nan=False),
        input_tokens=st.integers(min_value=0, max_value=10**6),
        output_tokens=st.integers(min_value=0, max_value=10**6),
        cache_read_tokens=st.integers(min_value=0, max_value=10**6),
        reasoning_tokens=st.integers(min_value=0, max_value=10**6),
    ),
    max_size=30,
)


@settings(max_examples=120, deadline=None)
@given(items=items_strategy, group_by=st.lists(st.sampled_from([*DIMS, "CLIENT"]), max_size=3))
def test_buckets_add_up_exactly(items: list[CostItem], group_by: list[str]) -> None:
    buckets = breakdown(items, group_by)
    assert sum((b.cost for b in buckets), D(0)) == sum((i.cost for i in items), D(0))
    assert sum(b.events for b in buckets) == len(items)
    for field in ("input_tokens", "output_tokens", "cache_read_tokens", "reasoning_tokens"):
        assert sum(getattr(b, field) for b in buckets) == sum(getattr(i, field) for i in items)
    keys = [b.key for b in buckets]
    assert len(set(keys)) == len(keys)
    assert all(len(k) == len(group_by) for k in keys)
    order = [(-b.cost, b.key) for b in buckets]
    assert order == sorted(order)


def test_cache_write_tokens_are_summed_per_bucket() -> None:
    items = [
        CostItem({"MODEL": "claude"}, D("0.004755"), 400, 200, 600, 0, cache_write_tokens=100),
        CostItem({"MODEL": "claude"}, D("0.000375"), 0, 0, 0, 0, cache_write_tokens=100),
        CostItem({"MODEL": "gpt"}, D("0.000615"), 400, 150, 600, 50),
    ]
    by_model = {b.key: b for b in breakdown(items, ["MODEL"])}
    assert by_model[("claude",)].cache_write_tokens == 200
    assert by_model[("gpt",)].cache_write_tokens == 0
