"""Readiness: all three checks must PASS; each blocker says why; auto-demotion counts FAILs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.gate_cost import DayTotals
from app.domain.gates import CheckStatus
from app.domain.readiness import (
    WindowFigures,
    evaluate_gate,
    no_gate_readiness,
    should_auto_demote,
)
from app.services.gates.readiness_json import readiness_from_json, readiness_to_json
from tests.gate_specs import gate_spec

PASS, FAIL, INSUFFICIENT = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.INSUFFICIENT_DATA
NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


gate = partial(gate_spec, target_level=2)


def window(*, accepted_per_day: int, finished_per_day: int, cost_per_day: str) -> WindowFigures:
    """30 identical days: flat cost per outcome (no drift), the given counts and cost."""
    days = tuple(
        DayTotals(
            day=d, attempts=finished_per_day, accepted=accepted_per_day, cost=Decimal(cost_per_day)
        )
        for d in range(30)
    )
    return WindowFigures(
        accepted=accepted_per_day * 30,
        finished=finished_per_day * 30,
        total_cost=Decimal(cost_per_day) * 30,
        days=days,
    )


def evaluate(figures: WindowFigures, **overrides: Any) -> Any:
    return evaluate_gate(
        workflow_key="support",
        current_level=1,
        gate=gate(**overrides),
        window=figures,
        evaluated_at=NOW,
    )


# 30 days × (3 accepted of 3 finished, 12.00): rate 90/90, Wilson low 0.9598; 12 / 3 = 4.00 each.
GOOD = window(accepted_per_day=3, finished_per_day=3, cost_per_day="12.00")
# 30 days × (3 accepted of 3, 21.00): quality as GOOD, but 21 / 3 = 7.00 per outcome > 5.00.
EXPENSIVE = window(accepted_per_day=3, finished_per_day=3, cost_per_day="21.00")
# 30 days × (2 accepted of 4, 6.00): 60/120 = 50 % < 80 %, but 6 / 2 = 3.00 per outcome.
SLOPPY = window(accepted_per_day=2, finished_per_day=4, cost_per_day="6.00")


def test_all_three_passing_is_ready() -> None:
    readiness = evaluate(GOOD)
    assert (readiness.quality.status, readiness.cost.status, readiness.drift.status) == (
        PASS,
        PASS,
        PASS,
    )
    assert readiness.ready is True
    assert readiness.blockers == ()
    assert readiness.status is PASS
    assert (readiness.current_level, readiness.target_level) == (1, 2)
    assert readiness.evaluated_at == NOW


@pytest.mark.parametrize(
    ("figures", "passing", "failing", "why"),
    [
        pytest.param(EXPENSIVE, "quality", "cost", "Cost per outcome 7.00", id="cost fails"),
        pytest.param(SLOPPY, "cost", "quality", "Acceptance rate 50%", id="quality fails"),
    ],
)
def test_one_failing_check_is_not_ready_and_is_the_one_blocker(
    figures: WindowFigures, passing: str, failing: str, why: str
) -> None:
    readiness = evaluate(figures)
    assert getattr(readiness, passing).status is PASS
    assert getattr(readiness, failing).status is FAIL
    assert readiness.ready is False
    assert readiness.blockers == (getattr(readiness, failing).detail,)
    assert readiness.blockers[0].startswith(why)
    assert readiness.status is FAIL


def test_insufficient_data_never_passes() -> None:
    empty = WindowFigures(accepted=0, finished=0, total_cost=Decimal(0), days=())
    readiness = evaluate(empty)
    assert {readiness.quality.status, readiness.cost.status, readiness.drift.status} == {
        INSUFFICIENT
    }
    assert readiness.ready is False
    assert len(readiness.blockers) == 3
    assert readiness.status is INSUFFICIENT


def test_without_a_gate_for_the_next_level_nothing_is_ready() -> None:
    readiness = no_gate_readiness(workflow_key="support", current_level=1, evaluated_at=NOW)
    assert readiness.ready is False
    assert readiness.target_level is None
    assert readiness.blockers == ("no gate defined for level 2",)
    assert readiness.quality.status is INSUFFICIENT
    assert readiness.status is INSUFFICIENT


@pytest.mark.parametrize(
    ("recent", "after", "expected"),
    [
        ([FAIL, FAIL, FAIL], 3, True),
        ([FAIL, FAIL, FAIL, PASS], 3, True),  # only the newest K count
        ([FAIL, FAIL], 3, False),  # not yet K evaluations
        ([FAIL, INSUFFICIENT, FAIL], 3, False),  # missing data breaks the streak
        ([PASS, FAIL, FAIL], 2, False),  # the newest passed
        ([FAIL, FAIL, FAIL], None, False),  # auto-demotion off
    ],
)
def test_auto_demotion_needs_k_consecutive_fails(
    recent: list[CheckStatus], after: int | None, expected: bool
) -> None:
    assert should_auto_demote(recent, after) is expected


def test_readiness_survives_its_json_round_trip() -> None:
    for readiness in (
        evaluate(GOOD),
        evaluate(EXPENSIVE),
        no_gate_readiness(workflow_key="support", current_level=0, evaluated_at=NOW),
    ):
        data = readiness_to_json(readiness)
        assert data["status"] == readiness.status.value
        assert readiness_from_json(data) == readiness


@settings(max_examples=80, deadline=None)
@given(
    accepted=st.integers(min_value=0, max_value=4),
    extra=st.integers(min_value=0, max_value=3),
    cost=st.integers(min_value=0, max_value=40),
    budget=st.integers(min_value=0, max_value=20),
    minimum=st.sampled_from([0.0, 0.5, 0.8, 0.95]),
)
def test_ready_exactly_when_every_check_passes(
    accepted: int, extra: int, cost: int, budget: int, minimum: float
) -> None:
    figures = window(
        accepted_per_day=accepted, finished_per_day=accepted + extra, cost_per_day=str(cost)
    )
    readiness = evaluate(figures, max_cost_per_outcome=Decimal(budget), min_acceptance_rate=minimum)
    checks = (readiness.quality, readiness.cost, readiness.drift)
    assert readiness.ready == all(c.status is PASS for c in checks)
    assert readiness.ready == (readiness.blockers == ())
    assert len(readiness.blockers) == sum(c.status is not PASS for c in checks)
