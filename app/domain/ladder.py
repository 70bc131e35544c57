"""Outcome ladders: which cohort subjects reached each rung, and what each rung costs.

A workflow's ladder is an ordered list of rungs (reply → positive reply → deal…); the first may
be ``accepted``, the run-level outcome. For a cohort of runs (the runs started in a range):

- **who reached a rung**: an outcome event counts for the cohort when its correlation id is a
  cohort run's, or its subject is the subject of a cohort run — whenever the event happened.
  Reaching is counted per distinct *subject*; an event with no subject (and whose run has none)
  counts its run. For ``accepted`` the reachers are the cohort's counted-accepted runs (hold
  passed), again one per subject. A subject and a run id never collide: they are kept apart.
- **cost per rung** = the cohort's fully loaded spend ÷ the rung's count (10 dp, half-even;
  ``None`` when the count is 0); **conversion from previous** = count ÷ previous rung's count
  (``None`` for the first rung or when the previous count is 0; it may exceed 1, since rungs are
  counted independently).
- **series buckets** are ISO 8601 durations ``PnD``, ``PnW`` or ``PTnH`` (a day is 24 h of UTC).
- **rise** of a slice's cost per rung against the previous window, and **throttle** against a
  ceiling: spend with no outcome at the rung is infinitely expensive.

Money is Decimal (currency units); no clock, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Context, Decimal, localcontext

from app.domain.money import ratio, share

ACCEPTED_RUNG = "accepted"
"""The rung derived from run labels: a run counted ACCEPTED (its hold has passed)."""

MAX_BUCKETS = 400
"""The most buckets one series may have."""


# -- who reached a rung ------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortRun:
    """One run of the cohort: its id, its subject (a lead, a ticket…) and whether it counts as
    an accepted outcome (ACCEPTED and its hold has passed)."""

    correlation_id: str
    subject: str | None
    counted_accepted: bool


@dataclass(frozen=True)
class Outcome:
    """An outcome event: ``rung`` was reached by ``subject`` and/or the run ``correlation_id``."""

    rung: str
    subject: str | None
    correlation_id: str | None


Reacher = tuple[str, str]
"""("subject", value) or ("run", correlation id): what is counted once per rung."""


def reacher(subject: str | None, correlation_id: str) -> Reacher:
    """The subject when there is one, else the run: ``COALESCE(subject, correlation_id)``."""
    return ("subject", subject) if subject is not None else ("run", correlation_id)


def rung_counts(runs: Iterable[CohortRun], outcomes: Iterable[Outcome]) -> dict[str, int]:
    """Distinct reachers of each rung for the cohort ``runs`` (the reference for the SQL).

    An outcome linked by correlation id counts as its own subject, else its run's subject, else
    the run. An outcome linked only by subject counts as that subject. Outcomes linked to
    neither are not the cohort's. Rungs nobody reached are absent from the result.
    """
    cohort = list(runs)
    by_run = {run.correlation_id: run for run in cohort}
    subjects = {run.subject for run in cohort if run.subject is not None}
    reached: dict[str, set[Reacher]] = {}
    for run in cohort:
        if run.counted_accepted:
            reached.setdefault(ACCEPTED_RUNG, set()).add(reacher(run.subject, run.correlation_id))
    for outcome in outcomes:
        linked = by_run.get(outcome.correlation_id) if outcome.correlation_id else None
        if linked is not None:
            subject = outcome.subject if outcome.subject is not None else linked.subject
            who = reacher(subject, linked.correlation_id)
        elif outcome.subject is not None and outcome.subject in subjects:
            who = ("subject", outcome.subject)
        else:
            continue
        reached.setdefault(outcome.rung, set()).add(who)
    return {rung: len(who) for rung, who in reached.items()}


# -- cost per rung -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RungCost:
    """One rung of a ladder for a cohort: the figures of the GraphQL ``LadderCost`` type."""

    rung: str
    position: int
    count: int
    total_cost: Decimal
    cost_per_rung: Decimal | None
    conversion_from_previous: float | None


def ladder_costs(
    rungs: Sequence[tuple[str, int]], counts: dict[str, int], total_cost: Decimal
) -> list[RungCost]:
    """One entry per rung of ``rungs`` ((key, position), in ladder order).

    ``count`` is ``counts.get(key, 0)``; ``total_cost`` is the same for every rung;
    ``cost_per_rung = total_cost / count`` at 10 dp half-even (``None`` when count is 0), so
    ``|cost_per_rung * count - total_cost| <= count * 0.5e-10``; ``conversion_from_previous =
    count / previous count`` (``None`` for the first rung or a previous count of 0). Raises
    ValueError on a negative count.
    """
    result: list[RungCost] = []
    previous: int | None = None
    for key, position in rungs:
        count = counts.get(key, 0)
        if count < 0:
            raise ValueError(f"rung {key!r} has a negative count {count}")
        result.append(
            RungCost(
                rung=key,
                position=position,
                count=count,
                total_cost=total_cost,
                cost_per_rung=ratio(total_cost, count),
                conversion_from_previous=None if not previous else count / previous,
            )
        )
        previous = count
    return result


# -- series buckets ----------------------------------------------------------------------------

_BUCKET = re.compile(r"P(?:(?P<weeks>\d{1,6})W|(?P<days>\d{1,6})D|T(?P<hours>\d{1,7})H)")


def parse_bucket(text: str) -> timedelta:
    """An ISO 8601 duration ``PnD`` (n days of 24 h), ``PnW`` (n weeks) or ``PTnH`` (n hours).

    n is a whole number >= 1. Raises ValueError with a message a caller can act on otherwise
    (months and years are refused: they have no fixed length).
    """
    match = _BUCKET.fullmatch(text.strip().upper()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a bucket: use an ISO 8601 duration such as P1D, P7D, P2W or PT6H"
        )
    weeks, days, hours = (int(match[name] or 0) for name in ("weeks", "days", "hours"))
    step = timedelta(weeks=weeks, days=days, hours=hours)
    if step <= timedelta(0):
        raise ValueError(f"{text!r} is not a bucket: its length must be at least 1")
    return step


def series_buckets(
    start: datetime, end: datetime, step: timedelta, *, max_buckets: int = MAX_BUCKETS
) -> list[tuple[datetime, datetime]]:
    """Consecutive half-open buckets ``[start + i·step, start + (i+1)·step)`` covering
    ``[start, end)``; the last one is clipped to ``end``.

    Raises ValueError when ``end <= start``, ``step <= 0`` or more than ``max_buckets`` would
    be needed.
    """
    if end <= start:
        raise ValueError("a series needs end after start")
    if step <= timedelta(0):
        raise ValueError("a bucket must be longer than zero")
    count = math.ceil((end - start) / step)
    if count > max_buckets:
        raise ValueError(f"the range makes {count} buckets of this size; at most {max_buckets}")
    buckets = []
    for i in range(count):
        bucket_start = start + i * step
        # The last bucket ends at `end`, never at `bucket_start + step`: near the end of the
        # calendar (year 9999) that sum is past datetime.max and would overflow.
        bucket_end = end if end - bucket_start <= step else bucket_start + step
        buckets.append((bucket_start, bucket_end))
    return buckets


def bucket_index(start: datetime, step: timedelta, at: datetime) -> int:
    """The bucket ``at`` falls in: ``floor((at - start) / step)`` (the SQL computes the same)."""
    return (at - start) // step


# -- rise and throttle -------------------------------------------------------------------------


@dataclass(frozen=True)
class RungWindow:
    """A slice's cohort figures for one rung over one window."""

    total_cost: Decimal
    count: int

    @property
    def cost_per_rung(self) -> Decimal | None:
        """``total_cost / count`` at 10 dp; ``None`` with no outcome at the rung."""
        return ratio(self.total_cost, self.count)


@dataclass(frozen=True)
class Rise:
    """A cost per rung that rose. ``current`` is ``None`` when the current window had spend but
    no outcome (infinitely expensive); ``pct`` is ``None`` when the rise is unbounded (from a
    cost of 0, or to an infinite cost)."""

    previous: Decimal
    current: Decimal | None
    pct: float | None


def rise(previous: RungWindow, current: RungWindow, min_rise_pct: Decimal) -> Rise | None:
    """The rise of the cost per rung from ``previous`` to ``current`` when it is more than
    ``min_rise_pct`` percent; ``None`` when it is not, or cannot be measured.

    ``pct = (current - previous) / previous * 100`` on the displayed (10 dp) costs per rung.
    Cannot be measured (``None``): no outcome in the previous window (its cost was already
    infinite), or no outcome and no spend in the current one. Spend without outcome in the
    current window after a finite previous cost is a rise without bound (``pct`` None).
    """
    before = previous.cost_per_rung
    if before is None:
        return None
    now_cost = current.cost_per_rung
    if now_cost is None:
        return Rise(before, None, None) if current.total_cost > 0 else None
    if before == 0:
        return Rise(before, now_cost, None) if now_cost > 0 else None
    # pct > min  <=>  (now - before) * 100 > min * before, since before > 0: exact, no division.
    with localcontext(Context(prec=80)):  # exact for any NUMERIC(20, 10) figures
        if (now_cost - before) * 100 <= min_rise_pct * before:
            return None
    return Rise(before, now_cost, _percent(now_cost - before, before))


def _percent(part: Decimal, whole: Decimal) -> float:
    fraction = share(part, whole)
    assert fraction is not None  # whole > 0 here
    return fraction * 100


def throttle(window: RungWindow, ceiling: Decimal) -> bool:
    """True when the slice is over its ceiling: ``cost_per_rung > ceiling`` (the 10 dp figure),
    or spend with no outcome at the rung (infinitely expensive). No spend at all: False."""
    cost = window.cost_per_rung
    if cost is None:
        return window.total_cost > 0
    return cost > ceiling
