"""The acceptance-hold and label rule: what status a run is in, and whether it counts.

A run starts ``RUNNING``. Labels (status + time) are applied in order of ``at``, ties broken by
input order. The current status is the status of the latest applied label, except that an
acceptance becomes **final** once its hold has fully passed: a label whose ``at`` is at or after
``accepted_at + hold`` no longer changes anything (it stays in the history only). A label
strictly inside the hold revokes or replaces the acceptance (e.g. a reopened ticket). A second
``ACCEPTED`` label inside the hold replaces the first, so the hold restarts from it.

``hold_hours`` is a whole number of hours >= 0; with 0 an acceptance is final (and counted) at
the very instant it is given, so even a label with the same ``at`` is ignored. All datetimes
should be timezone-aware UTC; the clock is never read here, callers pass ``now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain.enums import RunStatus


@dataclass(frozen=True)
class Label:
    """A status set on a run at time ``at`` by a reviewer or a system signal."""

    status: RunStatus
    at: datetime


@dataclass(frozen=True)
class RunState:
    """A run's current status, when it was set, and when the run ended.

    ``status_at`` is the ``at`` of the label that set the current status (``None`` with no
    labels). ``ended_at`` equals ``status_at`` for any non-``RUNNING`` status and is ``None``
    while ``RUNNING``.
    """

    status: RunStatus
    status_at: datetime | None
    ended_at: datetime | None


def _hold(hold_hours: int) -> timedelta:
    if isinstance(hold_hours, bool) or not isinstance(hold_hours, int) or hold_hours < 0:
        raise ValueError(f"hold_hours must be a non-negative int, got {hold_hours!r}")
    return timedelta(hours=hold_hours)


def _replay(labels: Sequence[Label], hold_hours: int) -> tuple[RunState, list[bool]]:
    hold = _hold(hold_hours)
    applied = [False] * len(labels)
    status = RunStatus.RUNNING
    status_at: datetime | None = None
    # sorted() is stable, so labels with equal ``at`` keep their input order.
    for index in sorted(range(len(labels)), key=lambda i: labels[i].at):
        label = labels[index]
        if status == RunStatus.ACCEPTED and status_at is not None and label.at >= status_at + hold:
            continue  # the acceptance is final; later labels are history only
        status, status_at = RunStatus(label.status), label.at
        applied[index] = True
    ended_at = None if status == RunStatus.RUNNING else status_at
    return RunState(status=status, status_at=status_at, ended_at=ended_at), applied


def current_state(labels: Sequence[Label], hold_hours: int) -> RunState:
    """The run's state after applying ``labels`` under an acceptance hold of ``hold_hours``.

    No labels → ``RunState(RUNNING, None, None)``. Raises :class:`ValueError` for a negative
    or non-int ``hold_hours``.
    """
    return _replay(labels, hold_hours)[0]


def labels_applied(labels: Sequence[Label], hold_hours: int) -> list[bool]:
    """For each label, in input order: was it applied (``False`` only when ignored because the
    run's acceptance was already final at the label's ``at``)."""
    return _replay(labels, hold_hours)[1]


def _accepted_since(
    status: RunStatus, status_at: datetime | None, hold_hours: int
) -> datetime | None:
    """When the hold of an ACCEPTED run ends; ``None`` if the run is not ACCEPTED."""
    hold = _hold(hold_hours)
    if status != RunStatus.ACCEPTED:
        return None
    if status_at is None:
        raise ValueError("an ACCEPTED run must have status_at (when it was accepted)")
    return status_at + hold


def is_counted_accepted(
    status: RunStatus, status_at: datetime | None, hold_hours: int, now: datetime
) -> bool:
    """True when the run is ACCEPTED and its hold has passed: ``status_at + hold <= now``.

    Raises :class:`ValueError` for an ACCEPTED status without ``status_at``.
    """
    hold_end = _accepted_since(status, status_at, hold_hours)
    return hold_end is not None and hold_end <= now


def is_pending(
    status: RunStatus, status_at: datetime | None, hold_hours: int, now: datetime
) -> bool:
    """True when the run is ACCEPTED but still inside its hold: ``now < status_at + hold``.

    Exactly one of :func:`is_pending` and :func:`is_counted_accepted` holds for an ACCEPTED
    run; neither holds for any other status.
    """
    hold_end = _accepted_since(status, status_at, hold_hours)
    return hold_end is not None and now < hold_end
