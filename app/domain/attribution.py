"""Revenue attribution: which accepted runs a revenue event goes to, and how it is split.

The rule (DESIGN.md, "Revenue attribution and ROI"; docs/numbers.md, "Revenue attribution"):

- A run that finished at ``t`` (the ``ended_at`` of a run *counted* ACCEPTED, i.e. its acceptance
  hold has passed) may claim revenue that occurred in ``(t, t + 30 days]``: a revenue event at
  exactly ``t + 30 days`` is claimed, one microsecond later it is not; an event at ``t`` itself is
  not (the run had not produced anything yet).
- Only the event's own client's runs claim it (a run without a client never claims revenue).
- An event's links narrow its claimants, and every link it names must hold: a correlation id
  means that run only; a subject means the client's runs of that subject; a workflow means that
  workflow's runs. An event naming none of them is claimed by all the client's accepted runs of
  any workflow whose window covers it.
- The claimants split the event evenly, in cents: each gets ``amount ÷ n`` truncated toward zero
  to the cent, and the remaining cents (fewer than ``n``) go one each to the first claimants in
  ``(ended_at, correlation_id)`` order. ``$100.00`` over three runs is ``33.34, 33.33, 33.33``;
  a refund of ``-$100.00`` is ``-33.34, -33.33, -33.33`` (splitting is symmetric in the sign).
- An event no run claims stays *unattributed*. Money is conserved to the cent: for every event,
  its allocations sum to its amount exactly, or it has none.

Amounts are Decimal currency units in whole cents (at most two decimal places; trailing zeros are
fine, so ``Decimal("12.5000000000")`` from a NUMERIC(20, 10) column is accepted). Negative amounts
(refunds, corrections) are attributed like any other amount. All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import bisect
import uuid
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

ATTRIBUTION_WINDOW = timedelta(days=30)
"""How long after it finished a run may claim revenue."""

CENT = Decimal("0.01")

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class AcceptedRun:
    """A run counted ACCEPTED (hold passed) that finished at ``ended_at``; ``client_id`` None
    means the run has no client (it can never claim revenue)."""

    correlation_id: str
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    subject: str | None
    ended_at: datetime


@dataclass(frozen=True)
class RevenueEvent:
    """Revenue of one client, optionally linked to a workflow, a subject or a run."""

    event_id: str
    client_id: uuid.UUID
    amount: Decimal
    occurred_at: datetime
    workflow_id: uuid.UUID | None = None
    subject: str | None = None
    correlation_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> RevenueEvent:
        """The event of a `revenue_events` row (any mapping with those column names)."""
        return cls(**{column.name: row[column.name] for column in fields(cls)})


@dataclass(frozen=True)
class Allocation:
    """The part of a revenue event one run claims (Decimal, whole cents)."""

    event_id: str
    correlation_id: str
    amount: Decimal


@dataclass(frozen=True)
class Attribution:
    """Every allocation (grouped by event, claimants in split order) and the unclaimed events."""

    allocations: list[Allocation] = field(default_factory=list)
    unattributed: list[RevenueEvent] = field(default_factory=list)

    @property
    def attributed_total(self) -> Decimal:
        return sum((a.amount for a in self.allocations), Decimal(0))

    @property
    def unattributed_total(self) -> Decimal:
        return sum((e.amount for e in self.unattributed), Decimal(0))


def covers(ended_at: datetime, occurred_at: datetime) -> bool:
    """True when a run that ended at ``ended_at`` may claim revenue at ``occurred_at``:
    ``ended_at < occurred_at <= ended_at + 30 days``."""
    return ended_at < occurred_at <= ended_at + ATTRIBUTION_WINDOW


def matches_links(run: AcceptedRun, event: RevenueEvent) -> bool:
    """Same client, and every link the event names (correlation id, subject, workflow) holds."""
    if run.client_id is None or run.client_id != event.client_id:
        return False
    if event.correlation_id is not None and run.correlation_id != event.correlation_id:
        return False
    if event.subject is not None and run.subject != event.subject:
        return False
    return event.workflow_id is None or run.workflow_id == event.workflow_id


def split_order(run: AcceptedRun) -> tuple[datetime, str]:
    """The order in which claimants receive the remainder cents: earliest finish first."""
    return (run.ended_at, run.correlation_id)


def claimants(event: RevenueEvent, runs: Iterable[AcceptedRun]) -> list[AcceptedRun]:
    """The runs that claim ``event``, in split order (see the module docstring)."""
    found = [r for r in runs if matches_links(r, event) and covers(r.ended_at, event.occurred_at)]
    return sorted(found, key=split_order)


def _cents(amount: Decimal) -> int:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"a revenue amount must be a finite Decimal, got {amount!r}")
    scaled = amount.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"a revenue amount must be in whole cents, got {amount}")
    return int(scaled)


def split_evenly(amount: Decimal, n: int) -> list[Decimal]:
    """``amount`` split into ``n`` cent amounts that sum to it exactly.

    Each share is ``amount / n`` truncated toward zero to the cent; the ``|amount| - n·|share|``
    remaining cents go one each (with the amount's sign) to the first shares. So
    ``split_evenly(Decimal("100.00"), 3) == [33.34, 33.33, 33.33]`` and
    ``split_evenly(Decimal("0.02"), 3) == [0.01, 0.01, 0.00]``. Raises :class:`ValueError` when
    ``n < 1`` or the amount is not a finite whole number of cents.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"cannot split over {n!r} claimants")
    cents = _cents(amount)
    sign = -1 if cents < 0 else 1
    share, remainder = divmod(abs(cents), n)
    return [Decimal(sign * (share + (1 if i < remainder else 0))).scaleb(-2) for i in range(n)]


class _Runs:
    """Runs sorted in split order (hence by ``ended_at``), with a parallel list of their group
    numbers: the covering runs of an instant are one slice, found by bisection."""

    def __init__(self) -> None:
        self.runs: list[AcceptedRun] = []
        self.ends: list[datetime] = []
        self.groups: list[int] = []

    def covering(self, occurred_at: datetime) -> slice:
        # ended_at in [occurred_at - 30 days, occurred_at): both ends from covers().
        lo = bisect.bisect_left(self.ends, occurred_at - ATTRIBUTION_WINDOW)
        return slice(lo, bisect.bisect_left(self.ends, occurred_at, lo))


class _Index:
    """Runs with a client, by client and by the links an event may name (built on first use),
    each in split order. Group numbers are ``group(run)`` numbered in order of first appearance
    (``None``: every run is group 0), so claimants can be counted per group at C speed."""

    def __init__(self, runs: Iterable[AcceptedRun], group: Callable[[AcceptedRun], Any] | None):
        numbers: dict[Any, int] = {}
        self.ordered: list[tuple[AcceptedRun, int]] = []
        self.by_correlation: dict[str, tuple[AcceptedRun, int]] = {}
        seen: set[str] = set()
        for run in runs:
            if run.correlation_id in seen:
                raise ValueError(f"run {run.correlation_id!r} given twice")
            seen.add(run.correlation_id)
            if run.client_id is None:
                continue
            key = group(run) if group is not None else None
            number = numbers.setdefault(key, len(numbers))
            self.ordered.append((run, number))
            self.by_correlation[run.correlation_id] = (run, number)
        self.ordered.sort(key=lambda pair: split_order(pair[0]))
        self.keys = list(numbers)  # group number -> group key
        self.pools: dict[str, dict[Any, _Runs]] = {}

    def pool(self, link: str, key: Any) -> _Runs | None:
        """The runs of ``key``: a client (``link`` "client"), or a (client, subject) or
        (client, workflow) pair (``link`` "subject", "workflow"); each kind indexed on first use."""
        pools = self.pools.get(link)
        if pools is None:
            pools = self.pools[link] = {}
            for run, number in self.ordered:
                if link == "client":
                    k: Any = run.client_id
                else:
                    k = (run.client_id, run.subject if link == "subject" else run.workflow_id)
                found = pools.get(k) or pools.setdefault(k, _Runs())
                found.runs.append(run)
                found.ends.append(run.ended_at)
                found.groups.append(number)
        return pools.get(key)

    def claims(self, event: RevenueEvent) -> tuple[list[AcceptedRun], list[int]]:
        """The event's claimants in split order, and their group numbers."""
        if event.correlation_id is not None:  # at most one run: check it directly
            pair = self.by_correlation.get(event.correlation_id)
            if (
                pair
                and matches_links(pair[0], event)
                and covers(pair[0].ended_at, event.occurred_at)
            ):
                return [pair[0]], [pair[1]]
            return [], []
        if event.subject is not None:
            pool = self.pool("subject", (event.client_id, event.subject))
        elif event.workflow_id is not None:
            pool = self.pool("workflow", (event.client_id, event.workflow_id))
        else:
            pool = self.pool("client", event.client_id)
        if pool is None:
            return [], []
        span = pool.covering(event.occurred_at)
        runs, groups = pool.runs[span], pool.groups[span]
        if event.subject is not None and event.workflow_id is not None:
            kept = [i for i, run in enumerate(runs) if run.workflow_id == event.workflow_id]
            runs, groups = [runs[i] for i in kept], [groups[i] for i in kept]
        return runs, groups


def _claims(
    events: Iterable[RevenueEvent],
    runs: Iterable[AcceptedRun],
    group: Callable[[AcceptedRun], Any] | None = None,
) -> Iterator[tuple[RevenueEvent, list[AcceptedRun], list[int], list[Any]]]:
    """Each event (in ``event_id`` order) with its claimants in split order, their group numbers
    and the group keys those number (see `_Index`)."""
    index = _Index(runs, group)
    for event in sorted(events, key=lambda e: e.event_id):
        _cents(event.amount)  # refuse sub-cent amounts even when nothing claims them
        found, groups = index.claims(event)
        yield event, found, groups, index.keys


def attribute(events: Iterable[RevenueEvent], runs: Iterable[AcceptedRun]) -> Attribution:
    """Attribute every event to the runs that claim it; unclaimed events are unattributed.

    ``runs`` must be the runs counted ACCEPTED as of the moment attribution is computed (the
    caller decides "now"). Events are handled in ``event_id`` order, so the result does not
    depend on input order. Conservation: ``attributed_total + unattributed_total`` equals the
    sum of the events' amounts exactly. Raises :class:`ValueError` for an amount that is not a
    whole number of cents, and for two runs sharing a correlation id.
    """
    result = Attribution()
    for event, found, _, _ in _claims(events, runs):
        if not found:
            result.unattributed.append(event)
            continue
        for run, amount in zip(found, split_evenly(event.amount, len(found)), strict=True):
            result.allocations.append(Allocation(event.event_id, run.correlation_id, amount))
    return result


def attribute_grouped(
    events: Iterable[RevenueEvent],
    runs: Iterable[AcceptedRun],
    group: Callable[[AcceptedRun], K],
) -> dict[str, dict[K, tuple[Decimal, int]]]:
    """:func:`attribute`, with the claimants' shares summed per ``group(run)``.

    For each attributed event: ``{group: (amount, claimants in that group)}``; unattributed
    events are absent. The sums equal those of :func:`attribute`'s allocations exactly (the
    split is the same, done in integer cents without one object per claimant — an unlinked
    event may have thousands of claimants).
    """
    grouped: dict[str, dict[K, tuple[Decimal, int]]] = {}
    for event, found, groups, keys in _claims(events, runs, group):
        if not found:
            continue
        cents = _cents(event.amount)
        sign = -1 if cents < 0 else 1
        share, remainder = divmod(abs(cents), len(found))
        counts = Counter(groups)
        firsts = Counter(groups[:remainder])  # the claimants that get a remainder cent
        grouped[event.event_id] = {
            keys[number]: (Decimal(sign * (share * n + firsts[number])).scaleb(-2), n)
            for number, n in counts.items()
        }
    return grouped
