"""Who reached a rung for a cohort: linked by run or by subject, whenever, once per subject."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.ladder import CohortRun, Outcome, reacher, rung_counts

COHORT = [
    CohortRun("r1", "lead-1", counted_accepted=True),
    CohortRun("r2", "lead-1", counted_accepted=True),  # lead-1 contacted twice
    CohortRun("r3", "lead-3", counted_accepted=False),
    CohortRun("r4", None, counted_accepted=True),  # no subject: the run is the reacher
]


def test_accepted_counts_distinct_subjects_of_counted_accepted_runs() -> None:
    # r1 and r2 share lead-1 (one), r4 has no subject (itself): 2; r3 is not counted accepted
    assert rung_counts(COHORT, []) == {"accepted": 2}


def test_outcomes_link_by_run_or_by_subject_and_count_once_per_subject() -> None:
    outcomes = [
        Outcome("reply", "lead-1", None),  # by subject
        Outcome("reply", None, "r2"),  # by run: r2's subject is lead-1 again → same reacher
        Outcome("reply", "lead-3", "r-elsewhere"),  # run not in the cohort, subject is
        Outcome("reply", None, "r4"),  # by run, no subject anywhere → the run r4
        Outcome("reply", "lead-9", None),  # a subject outside the cohort: not ours
        Outcome("reply", None, "r-elsewhere"),  # a run outside the cohort: not ours
        Outcome("deal", "lead-1", "r1"),
    ]

    # reply: lead-1, lead-3, run r4 = 3; deal: lead-1 = 1
    assert rung_counts(COHORT, outcomes) == {"accepted": 2, "reply": 3, "deal": 1}


def test_an_outcome_names_its_own_subject_over_its_runs() -> None:
    # r3's subject is lead-3, but the event says lead-7: the reacher is lead-7
    counts = rung_counts(
        COHORT, [Outcome("reply", "lead-7", "r3"), Outcome("reply", "lead-3", None)]
    )
    assert counts["reply"] == 2  # lead-7 and lead-3


def test_subjects_and_run_ids_never_collide() -> None:
    cohort = [CohortRun("x", None, True), CohortRun("y", "x", True)]
    # run "x" and subject "x" are two reachers
    assert rung_counts(cohort, []) == {"accepted": 2}
    assert reacher(None, "x") != reacher("x", "y")


def test_an_empty_cohort_reaches_nothing() -> None:
    assert rung_counts([], [Outcome("reply", "lead-1", "r1")]) == {}


ids = st.sampled_from(["r1", "r2", "r3", "r4", "r5"])
subjects = st.none() | st.sampled_from(["a", "b", "c"])
runs = st.lists(
    st.builds(CohortRun, ids, subjects, st.booleans()),
    max_size=6,
    unique_by=lambda r: r.correlation_id,
)
outcomes = st.lists(
    st.builds(Outcome, st.sampled_from(["reply", "deal"]), subjects, st.none() | ids), max_size=10
)


@given(cohort=runs, events=outcomes, extra=outcomes)
def test_more_outcomes_never_lower_a_count(cohort, events, extra) -> None:
    before, after = rung_counts(cohort, events), rung_counts(cohort, events + extra)
    assert all(after.get(rung, 0) >= count for rung, count in before.items())


@given(cohort=runs, events=outcomes)
def test_replaying_outcomes_changes_nothing(cohort, events) -> None:
    assert rung_counts(cohort, events + events) == rung_counts(cohort, events)


@given(cohort=runs, events=outcomes)
def test_a_count_never_exceeds_the_cohorts_distinct_reachers_plus_event_subjects(
    cohort, events
) -> None:
    possible = {reacher(r.subject, r.correlation_id) for r in cohort}
    possible |= {("subject", e.subject) for e in events if e.subject is not None}
    assert all(count <= len(possible) for count in rung_counts(cohort, events).values())
