"""Planning the demo's runs: workflow, client, dimensions, status and timing of each.

One seeded `random.Random` drives every draw, in a fixed order, so the same `now` and scale give
the same plan. The planner draws runs day by day, then adds the few runs a small window may lack
so every story is present at any scale (each status, runs in flight, acceptances pending in
their hold, acceptances revoked by a reopen).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar

from app.demo.agency import CLIENTS, WORKFLOWS, Channel, Variant, WorkflowProfile

FINISHED = ("ACCEPTED", "REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR", "ESCALATED")
WEEKEND_WEIGHT = 0.45
MIN_RUNNING = 3  # a few runs are always in flight at `now`

T = TypeVar("T")


@dataclass
class PlannedRun:
    correlation_id: str
    profile: WorkflowProfile
    client_id: uuid.UUID
    started_at: datetime
    duration: timedelta
    status: str  # the status its label gives, once labelled
    team: str
    subject: str
    campaign: str | None = None
    channel: Channel | None = None
    variant: Variant | None = None
    labelled_at: datetime | None = None  # None: still RUNNING at `now`
    reopened_at: datetime | None = None  # an acceptance revoked inside the hold

    @property
    def status_now(self) -> str:
        if self.labelled_at is None:
            return "RUNNING"
        return "REJECTED" if self.reopened_at is not None else self.status


def weighted(rng: random.Random, items: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(items, weights=weights, k=1)[0]


def between(rng: random.Random, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return rng.randint(low, high) if high > low else low


def _status(rng: random.Random, run: PlannedRun, progress: float) -> str:
    weights = dict(run.profile.statuses)
    shift = 0.0
    if run.variant is not None:
        shift += run.variant.acceptance_shift
    if run.channel is not None:
        shift += run.channel.acceptance_shift + run.channel.drift_over_window * progress
    moved = weights["ACCEPTED"] * min(shift, 0.9)
    weights["ACCEPTED"] -= moved
    weights["REJECTED"] = weights.get("REJECTED", 0.0) + moved
    names = [s for s in FINISHED if weights.get(s, 0) > 0]
    return weighted(rng, names, [weights[s] for s in names])


def _labelled_at(rng: random.Random, run: PlannedRun) -> datetime:
    ended = run.started_at + run.duration
    if run.status in ("ACCEPTED", "REJECTED"):
        # A reviewer (or the client portal) signs off minutes to hours later.
        return ended + timedelta(minutes=round(rng.uniform(2, 240)))
    return ended


def _day_count(rng: random.Random, day: date, index: int, days: int, runs_per_day: int) -> int:
    normalise = 7 / (5 + 2 * WEEKEND_WEIGHT)
    weight = WEEKEND_WEIGHT if day.weekday() >= 5 else 1.0
    growth = 0.85 + 0.3 * index / max(days, 1)  # the agency grows over the quarter
    expected = runs_per_day * normalise * weight * growth
    return max(0, round(rng.gauss(expected, math.sqrt(expected) * 0.5)))


class Planner:
    """Plans runs one by one, then adds the few runs a small window may lack for each story."""

    def __init__(
        self, rng: random.Random, *, now: datetime, days: int, client_ids: Mapping[str, uuid.UUID]
    ) -> None:
        self.rng = rng
        self.now = now
        self.window_start = now - timedelta(days=days)
        self.client_ids = client_ids
        self.buyers = {
            p.key: [(name, CLIENTS[name][0]) for name in CLIENTS if p.key in CLIENTS[name][1]]
            for p in WORKFLOWS
        }
        self.enriched_leads: dict[str, list[str]] = {}
        self.runs: list[PlannedRun] = []

    def add(
        self, profile: WorkflowProfile, started: datetime, status: str | None = None
    ) -> PlannedRun:
        """A run of `profile` started at `started`; its status is drawn unless given."""
        rng = self.rng
        names, volumes = zip(*self.buyers[profile.key], strict=True)
        client = weighted(rng, names, volumes)
        run = PlannedRun(
            correlation_id=f"{profile.key}-{started:%Y%m%d}-{len(self.runs) + 1:06d}",
            profile=profile,
            client_id=self.client_ids[client],
            started_at=started,
            duration=timedelta(seconds=round(rng.uniform(*profile.duration_minutes) * 60)),
            status="ACCEPTED",
            team=rng.choice(profile.teams),
            subject=f"{profile.subject_prefix}-{rng.randrange(10**6):06d}",
            campaign=rng.choice(profile.campaigns) if profile.campaigns else None,
        )
        if profile.channels:
            run.channel = weighted(rng, profile.channels, [c.share for c in profile.channels])
        if profile.variants:
            run.variant = weighted(rng, profile.variants, [v.share for v in profile.variants])
        leads = self.enriched_leads.setdefault(client, [])
        if profile.key == "lead-enrichment":
            leads.append(run.subject)
        elif profile.key == "outreach" and leads:
            # Outreach works the enriched leads, each lead once (one of the 200 newest).
            run.subject = leads.pop(len(leads) - 1 - rng.randrange(min(len(leads), 200)))
        progress = (started - self.window_start) / (self.now - self.window_start)
        run.status = status or _status(rng, run, progress)
        if run.status == "TIMED_OUT":
            run.duration *= 2
        labelled = _labelled_at(rng, run)
        run.labelled_at = labelled if labelled < self.now else None
        hold = timedelta(hours=profile.acceptance_hold_hours)
        if (
            status is None
            and run.status == "ACCEPTED"
            and run.labelled_at is not None
            and profile.reopen_rate
            and rng.random() < profile.reopen_rate
        ):
            reopened = run.labelled_at + hold * rng.uniform(0.05, 0.9)
            run.reopened_at = reopened if reopened < self.now else None
        self.runs.append(run)
        return run

    def plan(self, runs_per_day: int) -> None:
        days = (self.now - self.window_start).days
        first_day = self.window_start.date()
        for index in range((self.now.date() - first_day).days + 1):
            day = first_day + timedelta(days=index)
            midnight = datetime(day.year, day.month, day.day, tzinfo=self.now.tzinfo)
            for _ in range(_day_count(self.rng, day, index, days, runs_per_day)):
                profile = weighted(self.rng, WORKFLOWS, [p.volume_share for p in WORKFLOWS])
                # Work happens mostly in (UTC) business hours.
                offset = timedelta(seconds=round(self.rng.triangular(5, 23, 14) * 3600))
                if self.window_start <= midnight + offset < self.now:
                    self.add(profile, midnight + offset)

    def _labelled_before(self, hours: float) -> datetime:
        """A start time late in the window whose label (after review) lands `hours` before now."""
        return self.now - timedelta(hours=hours + 5)  # runs take < 1.5 h, reviews < 4 h

    def complete_stories(self) -> None:
        """At any scale: every status, a RUNNING run, pending and reopened acceptances."""
        rng, now = self.rng, self.now
        usable_hours = max((now - self.window_start).total_seconds() / 3600 - 6, 1)
        for profile in (p for p in WORKFLOWS if p.acceptance_hold_hours):
            hold = timedelta(hours=profile.acceptance_hold_hours)
            span = min(profile.acceptance_hold_hours - 6, usable_hours)
            held = [r for r in self.runs if r.profile is profile and r.labelled_at is not None]
            if not any(
                r.status_now == "ACCEPTED"
                and r.labelled_at is not None
                and r.labelled_at > now - hold
                for r in held
            ):
                self.add(profile, self._labelled_before(span * rng.uniform(0.1, 0.5)), "ACCEPTED")
            for _ in range(2 - sum(r.reopened_at is not None for r in held)):
                run = self.add(
                    profile, self._labelled_before(span * rng.uniform(0.3, 0.9)), "ACCEPTED"
                )
                if run.labelled_at is not None:
                    run.reopened_at = run.labelled_at + (now - run.labelled_at) * rng.uniform(
                        0.2, 0.8
                    )
        for status in FINISHED:
            if not any(r.labelled_at is not None and r.status == status for r in self.runs):
                able = [p for p in WORKFLOWS if p.statuses.get(status, 0) > 0]
                started = self._labelled_before(usable_hours * rng.uniform(0.1, 0.9))
                self.add(rng.choice(able), started, status)
        for _ in range(MIN_RUNNING - sum(r.labelled_at is None for r in self.runs)):
            started = now - timedelta(minutes=rng.uniform(1, 20))
            run = self.add(rng.choice(WORKFLOWS), started, "ACCEPTED")
            run.labelled_at = None  # still in flight


def plan_runs(
    rng: random.Random,
    *,
    now: datetime,
    days: int,
    runs_per_day: int,
    client_ids: Mapping[str, uuid.UUID],
) -> list[PlannedRun]:
    planner = Planner(rng, now=now, days=days, client_ids=client_ids)
    planner.plan(runs_per_day)
    planner.complete_stories()
    return sorted(planner.runs, key=lambda r: (r.started_at, r.correlation_id))
