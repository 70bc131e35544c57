"""Failure reasons: codes, grouping, declared labels and the ranking by money lost."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.failure_reasons import ReasonRuns, failure_reasons, normalize_reason

ESC, REJ = RunStatus.ESCALATED, RunStatus.REJECTED


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("  Price   Objection\n", "price objection"),
        ("PRICE objection", "price objection"),
        ("Straße", "strasse"),  # case-folded, not only lower-cased
        ("   ", None),
        (None, None),
        ("x" * 250, "x" * 200),
    ],
)
def test_normalize_reason(text: str | None, code: str | None) -> None:
    assert normalize_reason(text) == code


def test_variants_of_one_reason_merge_and_rank_by_money() -> None:
    # escalated "needs legal review" written three ways, 2.00 each = 6.00 (share 6/17)
    # rejected "off brand" 3.00, "tone" 2 runs 2.00, no reason 0.50; failed = 11.50 of 17.00
    rows = [
        ReasonRuns(ESC, "Needs Legal Review", 1, Decimal("2.00")),
        ReasonRuns(ESC, "needs legal  review ", 1, Decimal("2.00")),
        ReasonRuns(ESC, "needs legal review", 1, Decimal("2.00")),
        ReasonRuns(REJ, "Tone", 2, Decimal("2.00")),
        ReasonRuns(REJ, None, 1, Decimal("0.50")),
        ReasonRuns(REJ, "off brand", 1, Decimal("3.00")),
        ReasonRuns(RunStatus.ACCEPTED, "great", 4, Decimal("4.00")),  # not a failure: ignored
    ]
    result = failure_reasons(
        rows, total_cost=Decimal("17.00"), declared={"needs legal review": "Legal review"}
    )
    assert result.failed_cost == Decimal("11.50")
    assert [(r.status, r.code, r.runs, r.cost) for r in result.reasons] == [
        (ESC, "needs legal review", 3, Decimal("6.00")),
        (REJ, "off brand", 1, Decimal("3.00")),
        (REJ, "tone", 2, Decimal("2.00")),
        (REJ, None, 1, Decimal("0.50")),
    ]
    top = result.reasons[0]
    assert top.declared and top.label == "Legal review"
    assert top.example == "Needs Legal Review"  # a tie of one run each: alphabetically first
    assert top.share == pytest.approx(6 / 17)
    assert not result.reasons[1].declared and result.reasons[1].label is None
    assert result.reasons[3].example is None and not result.reasons[3].declared


def test_same_code_under_two_statuses_stays_two_rows() -> None:
    rows = [ReasonRuns(ESC, "tone", 1, Decimal(1)), ReasonRuns(REJ, "Tone", 1, Decimal(1))]
    result = failure_reasons(rows, total_cost=Decimal(2))
    # equal money: canonical status order (REJECTED before ESCALATED)
    assert [(r.status, r.code) for r in result.reasons] == [(REJ, "tone"), (ESC, "tone")]


def test_no_spend_no_share_and_no_failures_no_rows() -> None:
    result = failure_reasons([ReasonRuns(REJ, "x", 1, Decimal(0))], total_cost=Decimal(0))
    assert result.reasons[0].share is None
    empty = failure_reasons([], total_cost=Decimal(5))
    assert empty.reasons == [] and empty.failed_cost == Decimal(0)
    with pytest.raises(ValueError):
        failure_reasons([ReasonRuns(REJ, "x", -1, Decimal(0))], total_cost=Decimal(1))


reason_rows = st.lists(
    st.builds(
        ReasonRuns,
        st.sampled_from(FAILURE_STATUSES),
        st.one_of(st.none(), st.sampled_from(["Tone", "tone ", " TONE", "legal", "Legal  ", ""])),
        st.integers(min_value=0, max_value=50),
        st.decimals(min_value=0, max_value=1000, places=10, allow_nan=False),
    ),
    max_size=30,
)


@given(reason_rows)
def test_rows_add_up_and_are_ranked(rows: list[ReasonRuns]) -> None:
    result = failure_reasons(rows, total_cost=Decimal(100_000))
    assert result.failed_cost == sum((r.cost for r in rows), Decimal(0))
    assert sum(r.runs for r in result.reasons) == sum(r.runs for r in rows)
    costs = [r.cost for r in result.reasons]
    assert costs == sorted(costs, reverse=True)
    keys = [(r.status, r.code) for r in result.reasons]
    assert len(keys) == len(set(keys))
