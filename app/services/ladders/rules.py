"""Who reached a rung, in SQL: the one home of the reacher key every ladder statement counts.

A reacher is `'s:' || subject` when a subject is known (the outcome event's, else its run's),
else `'r:' || correlation id`; the prefixes keep subjects and run ids apart, so a subject that
happens to equal a run id is still another reacher. Each rung counts distinct reachers; the
`accepted` rung counts the cohort's counted-accepted runs the same way (their subject, else
their correlation id). `app.domain.ladder.rung_counts` is the pure reference.

The `ladder_reach` rollup (migration 0010) computes the same key in its SQL function
`ladder_reach_rows` (`WHO_OF_RUN` there; a migration is history and does not import the app):
`tests/integration/test_ladder_reach.py` holds the rollup's counts equal to the live ones.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, literal_column

SUBJECT = "s:"
RUN = "r:"


def subject_key(subject: Any) -> Any:
    """The reacher key of a subject (NULL when the subject is NULL)."""
    return literal_column(f"'{SUBJECT}'") + subject


def reacher(subject: Any, correlation_id: Any) -> Any:
    """The reacher key: the subject's when there is one, else the run's correlation id's."""
    return func.coalesce(subject_key(subject), literal_column(f"'{RUN}'") + correlation_id)
