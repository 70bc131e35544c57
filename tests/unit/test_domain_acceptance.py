"""The acceptance-hold and label rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.acceptance import (
    Label,
    RunState,
    current_state,
    is_counted_accepted,
    is_pending,
    labels_applied,
)
from app.domain.enums import RunStatus

T0 = datetime(2026, 3, 1, tzinfo=UTC)
A, R, RUN = RunStatus.ACCEPTED, RunStatus.REJECTED, RunStatus.RUNNING


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_no_labels_is_running() -> None:
    assert current_state([], 48) == RunState(RUN, None, None)
    assert labels_applied([], 48) == []


def test_single_label_sets_status_and_end() -> None:
    assert current_state([Label(A, T0)], 48) == RunState(A, T0, T0)
    assert current_state([Label(RunStatus.TIMED_OUT, h(3))], 0) == RunState(
        RunStatus.TIMED_OUT, h(3), h(3)
    )


def test_reopen_inside_hold_revokes_acceptance() -> None:
    labels = [Label(A, T0), Label(R, h(47))]  # 47 h < 0 h + 48 h
    assert current_state(labels, 48) == RunState(R, h(47), h(47))
    assert labels_applied(labels, 48) == [True, True]


def test_label_at_hold_end_is_history_only() -> None:
    labels = [Label(A, T0), Label(R, h(48))]  # 48 h >= 0 h + 48 h: final
    assert current_state(labels, 48) == RunState(A, T0, T0)
    assert labels_applied(labels, 48) == [True, False]
    # one microsecond earlier is still inside the hold
    inside = [Label(A, T0), Label(R, h(48) - timedelta(microseconds=1))]
    assert current_state(inside, 48).status is R


def test_labels_are_applied_in_time_order_not_input_order() -> None:
    labels = [Label(R, h(10)), Label(A, T0)]  # sorted: A@0, R@10 (inside hold)
    assert current_state(labels, 48) == RunState(R, h(10), h(10))
    assert labels_applied(labels, 48) == [True, True]
    late = [Label(R, h(100)), Label(A, T0)]  # sorted: A@0, R@100 (after 48 h hold)
    assert current_state(late, 48) == RunState(A, T0, T0)
    assert labels_applied(late, 48) == [False, True]


def test_equal_times_keep_input_order() -> None:
    labels = [Label(A, T0), Label(R, T0)]
    # 48 h hold: R@0 < A@0 + 48 h, inside the hold -> R
    assert current_state(labels, 48).status is R
    # 0 h hold: R@0 >= A@0 + 0 h -> acceptance already final
    assert current_state(labels, 0) == RunState(A, T0, T0)
    assert labels_applied(labels, 0) == [True, False]
    # reversed input order: R first, then A (A is the latest label)
    assert current_state(labels[::-1], 48) == RunState(A, T0, T0)


def test_reopen_then_reaccept_restarts_the_hold() -> None:
    labels = [Label(A, T0), Label(RUN, h(5)), Label(A, h(20)), Label(R, h(70))]
    # A@0; RUNNING@5 (inside 0+48) reopens; A@20 -> hold ends 68; R@70 >= 68 -> ignored
    assert current_state(labels, 48) == RunState(A, h(20), h(20))
    assert labels_applied(labels, 48) == [True, True, True, False]
    # R@67 < 68 -> revoked
    labels[-1] = Label(R, h(67))
    assert current_state(labels, 48) == RunState(R, h(67), h(67))


def test_running_label_clears_ended_at() -> None:
    labels = [Label(R, h(1)), Label(RUN, h(2))]
    assert current_state(labels, 48) == RunState(RUN, h(2), None)


def test_second_acceptance_inside_hold_replaces_first() -> None:
    labels = [Label(A, T0), Label(A, h(24)), Label(R, h(50))]
    # A@24 replaces A@0 -> hold ends 72; R@50 < 72 -> revoked
    assert current_state(labels, 48) == RunState(R, h(50), h(50))


def test_failure_then_acceptance() -> None:
    labels = [Label(R, T0), Label(A, h(1))]
    assert current_state(labels, 48) == RunState(A, h(1), h(1))


def test_everything_after_final_acceptance_is_ignored() -> None:
    labels = [
        Label(A, T0),
        Label(R, h(49)),
        Label(RUN, h(50)),
        Label(A, h(51)),
        Label(RunStatus.ESCALATED, h(500)),
    ]
    assert current_state(labels, 48) == RunState(A, T0, T0)
    assert labels_applied(labels, 48) == [True, False, False, False, False]


@pytest.mark.parametrize("bad", [-1, 1.5, True])
def test_hold_hours_must_be_non_negative_int(bad: object) -> None:
    with pytest.raises(ValueError):
        current_state([Label(A, T0)], bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        is_counted_accepted(A, T0, bad, T0)  # type: ignore[arg-type]


def test_counted_and_pending_around_the_hold_end() -> None:
    before_end = h(48) - timedelta(minutes=1)
    assert is_pending(A, T0, 48, before_end)
    assert not is_counted_accepted(A, T0, 48, before_end)
    assert is_counted_accepted(A, T0, 48, h(48))  # status_at + hold <= now, inclusive
    assert not is_pending(A, T0, 48, h(48))
    assert is_counted_accepted(A, T0, 48, h(1000))


def test_zero_hold_counts_immediately() -> None:
    assert is_counted_accepted(A, T0, 0, T0)
    assert not is_pending(A, T0, 0, T0)


def test_non_accepted_is_neither_counted_nor_pending() -> None:
    for status in RunStatus:
        if status is A:
            continue
        assert not is_counted_accepted(status, T0, 48, h(100))
        assert not is_pending(status, T0, 48, h(1))
        assert not is_pending(status, None, 48, h(1))


def test_accepted_without_time_is_an_error() -> None:
    with pytest.raises(ValueError):
        is_counted_accepted(A, None, 48, T0)
    with pytest.raises(ValueError):
        is_pending(A, None, 0, T0)


labels_strategy = st.lists(
    st.builds(
        Label,
        status=st.sampled_from(list(RunStatus)),
        at=st.integers(min_value=0, max_value=200).map(h),
    ),
    max_size=8,
)
holds = st.sampled_from([0, 1, 24, 48, 72])


@settings(max_examples=120, deadline=None)
@given(labels=labels_strategy, hold=holds)
def test_ignored_labels_are_exactly_the_tail_after_a_final_acceptance(
    labels: list[Label], hold: int
) -> None:
    applied = labels_applied(labels, hold)
    state = current_state(labels, hold)
    assert len(applied) == len(labels)
    order = sorted(range(len(labels)), key=lambda i: labels[i].at)
    flags = [applied[i] for i in order]
    if labels:
        assert flags[0]  # the first label always applies
    # once one label is ignored, every later one is too
    first_ignored = flags.index(False) if False in flags else len(flags)
    assert all(not f for f in flags[first_ignored:])
    if first_ignored < len(flags):
        assert state.status is A
        assert state.status_at is not None
        assert labels[order[first_ignored]].at >= state.status_at + timedelta(hours=hold)
    # the state is the last applied label, and re-applying only applied labels changes nothing
    applied_labels = [labels[i] for i in order if applied[i]]
    if applied_labels:
        last = applied_labels[-1]
        assert (state.status, state.status_at) == (last.status, last.at)
        assert state.ended_at == (None if last.status is RUN else last.at)
    else:
        assert state == RunState(RUN, None, None)
    assert current_state(applied_labels, hold) == state


@settings(max_examples=100, deadline=None)
@given(labels=labels_strategy, hold=holds, data=st.data())
def test_state_does_not_depend_on_input_order_of_distinct_times(
    labels: list[Label], hold: int, data: st.DataObject
) -> None:
    distinct: dict[datetime, Label] = {lab.at: lab for lab in labels}
    unique = list(distinct.values())
    shuffled = data.draw(st.permutations(unique))
    assert current_state(shuffled, hold) == current_state(unique, hold)


@settings(max_examples=100, deadline=None)
@given(labels=labels_strategy, hold=holds, now_h=st.integers(min_value=0, max_value=400))
def test_counted_xor_pending_for_accepted(labels: list[Label], hold: int, now_h: int) -> None:
    state = current_state(labels, hold)
    counted = is_counted_accepted(state.status, state.status_at, hold, h(now_h))
    pending = is_pending(state.status, state.status_at, hold, h(now_h))
    assert not (counted and pending)
    assert (counted or pending) == (state.status is A)
