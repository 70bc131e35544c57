"""The acceptance-hold rule in SQL: the one home every statement that asks "does this run count
as an accepted outcome at `now`?" takes its SQL from.

A run counts when its status is ACCEPTED and `status_at + hold <= now`, where `hold` is its
workflow's `acceptance_hold_hours` as an interval; an ACCEPTED run with `status_at + hold > now`
is *held* (pending: provisional, not an outcome yet). `app.domain.acceptance.is_counted_accepted`
and `is_pending` are the pure reference; the tests hold every statement below to it.

Beside it, the cohort's other two kinds of run in SQLAlchemy Core: `finished` (neither RUNNING nor
held) and `failed` (a failure status).

Two spellings of the same rule, because the service speaks two dialects:
- SQLAlchemy Core (`hold_interval`, `held`, `hold_since`, `held_after`,
  `counted`) for the statements built with it
  (cohort costs, gate windows, ladder cohorts);
- SQL text (`hold_sql`, `counted_sql`, `held_sql`, `hold_ends_sql`) for the asyncpg statements
  written as text (ROI windows, the ROI rebuild, revenue attribution, ladder reach).

`status_at + hold > now` is often better written `status_at > now - hold` (`hold_since`): with
`now - hold` computed per workflow outside the runs it is a plain bound of the partial index of
ACCEPTED runs (`ix_runs_accepted_status_at`) under row-level security.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, and_, func, literal
from sqlalchemy.sql.elements import ClauseElement

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.services.costs.scope import RUNS

ACCEPTED = RunStatus.ACCEPTED.value
RUNNING = RunStatus.RUNNING.value
FAILED = [s.value for s in FAILURE_STATUSES]


def timestamp(value: Any) -> Any:
    """A timestamptz value as a SQL literal; a bind parameter as it is."""
    return value if isinstance(value, ClauseElement) else literal(value, DateTime(timezone=True))


# --- SQLAlchemy Core -------------------------------------------------------------------------


def hold_interval(hold_hours: Any) -> Any:
    """The acceptance hold as an interval, from a workflow's `acceptance_hold_hours` column."""
    return func.make_interval(0, 0, 0, 0, hold_hours)


def held(hold: Any, now: Any, runs: Any = RUNS) -> Any:
    """A run still inside its hold at `now`: ACCEPTED with `status_at + hold > now`."""
    return and_(runs.c.status == ACCEPTED, runs.c.status_at + hold > now)


def hold_since(hold: Any, now: Any) -> Any:
    """`now - hold`: an ACCEPTED run with `status_at` after it is still held."""
    return timestamp(now) - hold


def held_after(since: Any, runs: Any = RUNS) -> Any:
    """`held` written against `since = now - hold` (`hold_since`, computed per workflow)."""
    return and_(runs.c.status == ACCEPTED, runs.c.status_at > since)


def counted(status: Any, pending: Any) -> Any:
    """A cohort row counts as an accepted outcome: ACCEPTED and not `pending` (held)."""
    return and_(status == ACCEPTED, ~pending)


def finished(status: Any, pending: Any) -> Any:
    """A cohort row is finished: neither RUNNING nor `pending` (a counted outcome or a failure)."""
    return and_(status != RUNNING, ~pending)


def failed(status: Any) -> Any:
    """A cohort row is a failure: its status is one of FAILURE_STATUSES."""
    return status.in_(FAILED)


# --- SQL text (asyncpg statements) -----------------------------------------------------------


def hold_sql(workflow: str) -> str:
    """The hold of workflow alias `workflow` as an interval."""
    return f"make_interval(hours => {workflow}.acceptance_hold_hours)"


def counted_sql(run: str, hold: str, now: str) -> str:
    """Run alias `run` counts as an accepted outcome at `now` (a parameter or SQL value)."""
    return f"{run}.status = 'ACCEPTED' AND {run}.status_at + {hold} <= {now}"


def held_sql(run: str, hold: str, now: str) -> str:
    """Run alias `run` is still inside its hold at `now`."""
    return f"{run}.status = 'ACCEPTED' AND {run}.status_at + {hold} > {now}"


def hold_ends_sql(run: str, hold: str, now: str) -> str:
    """When a held run's hold ends (NULL for any other run): the clock alone changes it then."""
    return f"CASE WHEN {held_sql(run, hold, now)} THEN {run}.status_at + {hold} END"
