"""Deterministic demo records: runs, usage, labels, outcomes and revenue as ingest dicts.

Pure: the same `now`, scale and client ids always give the same records (one seeded
`random.Random`, no clock, no set iteration), so seeding a tenant twice only produces duplicates.
`app.demo.plan` plans every run (workflow, client, dimensions, status, timing); this module emits
the run, its usage events (cut short by how the run ended) and its labels, plus the monthly
infrastructure allocations. Then, with the same random stream, the outcome ladders (each
accepted run's subject climbing its workflow's rungs days later, never after `now`) and revenue
(closed-won deals linked to their run, monthly retainers linked to nothing, referral deals no run
can claim).
"""

from __future__ import annotations

import random
import uuid
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.demo import segments
from app.demo.agency import (
    CLIENTS,
    DEAL_SIZE,
    FAILURE_REASONS,
    FAILURE_REVIEWERS,
    REFERRAL_DEAL_SIZE,
    REFERRALS_PER_MONTH,
    REOPEN_REASON,
    RETAINER_PER_VOLUME,
    WORKFLOWS,
    LlmStep,
    MeteredStep,
)
from app.demo.plan import PlannedRun, between, plan_runs

SEED = 20_261_122
REFERENCE_RUNS_PER_DAY = 150  # infrastructure allocations scale with volume around this
EFFORT_SCALE = {"low": 0.5, "medium": 1.0, "high": 1.8}
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")

Record = dict[str, Any]


@dataclass
class DemoRecords:
    runs: list[Record] = field(default_factory=list)
    usage: list[Record] = field(default_factory=list)
    labels: list[Record] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)  # status of each run at `now`
    pending_in_hold: int = 0  # accepted, hold not yet passed
    reopened: int = 0
    outcomes: list[Record] = field(default_factory=list)
    revenue: list[Record] = field(default_factory=list)
    # (workflow key, rung) -> outcome events; revenue kind -> (events, amount)
    rungs: Counter[tuple[str, str]] = field(default_factory=Counter)
    revenue_kinds: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    # (workflow key, cohort day) of every run and usage event: the ROI windows a rebuild computes
    roi_pairs: set[tuple[str, str]] = field(default_factory=set)

    @property
    def total(self) -> int:
        return (
            len(self.runs)
            + len(self.usage)
            + len(self.labels)
            + len(self.outcomes)
            + len(self.revenue)
        )


def _llm_event(rng: random.Random, step: LlmStep, run: PlannedRun) -> Record:
    provider, model = step.provider, step.model
    if step.step == "drafter" and run.variant is not None:
        provider, model = run.variant.drafter_provider, run.variant.drafter_model
    effort = rng.choice(step.efforts) if step.efforts else None
    reasoning = between(rng, step.reasoning_tokens)
    if effort is not None:
        reasoning = round(reasoning * dict(step.effort_scale).get(effort, EFFORT_SCALE[effort]))
    cache_write = 0
    if step.cache_write_share and rng.random() < step.cache_write_share:
        cache_write = between(rng, step.cache_write_tokens)
    input_tokens = between(rng, step.input_tokens)
    output_tokens = between(rng, step.output_tokens)
    cache_read = between(rng, step.cache_read_tokens)
    if step.resends_context:  # drawn as usual (same random sequence), paid as fresh input
        input_tokens, cache_read = input_tokens + cache_read, 0
    every, extra = step.long_context
    if every and zlib.crc32(run.correlation_id.encode()) % every == 0:
        input_tokens += extra
    event: Record = {
        "kind": "LLM",
        "provider": provider,
        "model": model,
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "cacheReadTokens": cache_read,
        "cacheWriteTokens": cache_write,
        "reasoningTokens": reasoning,
        "latencyMs": between(rng, step.latency_ms),
    }
    if effort is not None:
        event["reasoningEffort"] = effort
    return event


def _metered_event(rng: random.Random, step: MeteredStep) -> Record:
    units = between(rng, step.units)
    return {
        "kind": step.kind,
        "provider": step.provider,
        "cost": (step.unit_cost * units).quantize(MICRO),
        "latencyMs": rng.randint(80, 2500),
    }


def _calls(rng: random.Random, run: PlannedRun) -> list[tuple[str, Record]]:
    """The (step, event) calls the run made, in order, cut short by how it ended."""
    calls: list[tuple[str, Record]] = []
    for step in run.profile.steps:
        if isinstance(step, MeteredStep):
            if step.channel is not None and (
                run.channel is None or run.channel.name != step.channel
            ):
                continue
            if rng.random() >= step.probability:
                continue
            calls.append((step.step, _metered_event(rng, step)))
            continue
        repeats = step.repeats
        if step.step == "drafter" and run.variant is not None:
            repeats = run.variant.drafter_repeats
        for _ in range(between(rng, repeats)):
            calls.append((step.step, _llm_event(rng, step, run)))
    status = run.status_now if run.labelled_at is None else run.status
    if status in ("ABANDONED", "TIMED_OUT") and len(calls) > 1:
        calls = calls[: rng.randint(1, len(calls) - 1)]
        if status == "TIMED_OUT" and calls[-1][1]["kind"] == "LLM":
            calls[-1][1]["latencyMs"] = rng.randint(90_000, 120_000)
    elif status == "TOOL_ERROR":
        failing = [i for i, (_, e) in enumerate(calls) if e["kind"] in ("TOOL", "RETRIEVAL")]
        if failing:
            calls = calls[: rng.choice(failing) + 1]
    return calls


def _usage(rng: random.Random, run: PlannedRun, now: datetime) -> list[Record]:
    calls = _calls(rng, run)
    events: list[Record] = []
    for number, (step, call) in enumerate(calls):
        offset = run.duration * ((number + rng.uniform(0.1, 0.9)) / len(calls))
        occurred = run.started_at + timedelta(milliseconds=offset // timedelta(milliseconds=1))
        if occurred >= now:
            break  # a run still in flight has only emitted what already happened
        event: Record = {
            "type": "usage",
            "eventId": f"{run.correlation_id}:{number:02d}",
            "correlationId": run.correlation_id,
            "workflowKey": run.profile.key,
            "clientId": run.client_id,
            "occurredAt": occurred,
            "step": step,
            "team": run.team,
            **call,
        }
        events.append(event)
    return events


def _run_record(run: PlannedRun) -> Record:
    record: Record = {
        "type": "run",
        "correlationId": run.correlation_id,
        "workflowKey": run.profile.key,
        "clientId": run.client_id,
        "startedAt": run.started_at,
        "team": run.team,
        "subject": run.subject,
    }
    if run.campaign is not None:
        record["campaign"] = run.campaign
    if run.channel is not None:
        record["channel"] = run.channel.name
    if run.variant is not None:
        record["variant"] = run.variant.name
    segment = segments.segment_of(run.profile.key, run.correlation_id)
    if segment is not None:
        record["dimensions"] = {segments.KEY: segment}
    return record


def _labels(rng: random.Random, run: PlannedRun) -> list[Record]:
    if run.labelled_at is None:
        return []
    if run.status in ("ACCEPTED", "REJECTED"):
        reviewer = rng.choice(run.profile.reviewers)
        reason = rng.choice(run.profile.reject_reasons) if run.status == "REJECTED" else None
    else:
        reviewer = FAILURE_REVIEWERS[run.status]
        reason = rng.choice(FAILURE_REASONS[run.status])
    label: Record = {
        "type": "label",
        "correlationId": run.correlation_id,
        "status": run.status,
        "at": run.labelled_at,
        "reviewer": reviewer,
    }
    if reason is not None:
        label["reason"] = reason
    labels = [label]
    if run.reopened_at is not None:
        labels.append(
            {
                "type": "label",
                "correlationId": run.correlation_id,
                "status": "REJECTED",
                "at": run.reopened_at,
                "reviewer": "system:helpdesk",
                "reason": REOPEN_REASON,
            }
        )
    return labels


def _month_starts(start: datetime, end: datetime) -> list[datetime]:
    months = []
    current = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while current < end:
        months.append(current)
        current = (current + timedelta(days=32)).replace(day=1)
    return months


def _infra(now: datetime, days: int, runs_per_day: int) -> list[Record]:
    """A monthly infrastructure allocation per workflow, booked without a correlation id."""
    window_start = now - timedelta(days=days)
    scale = Decimal(runs_per_day) / REFERENCE_RUNS_PER_DAY
    events: list[Record] = []
    for profile in WORKFLOWS:
        if not profile.monthly_infra:
            continue
        for month in _month_starts(window_start, now):
            events.append(
                {
                    "type": "usage",
                    "eventId": f"infra:{profile.key}:{month:%Y-%m}",
                    "workflowKey": profile.key,
                    "kind": "INFRA",
                    "occurredAt": max(month, window_start),
                    "provider": "aws",
                    "step": "hosting",
                    "cost": (profile.monthly_infra * scale).quantize(CENT),
                }
            )
    return events


# --- outcome ladders and revenue -------------------------------------------------------------


def _first_rung_rate(run: PlannedRun, progress: float) -> float:
    rate = run.profile.outcomes[0].rate
    if run.channel is not None and run.channel.first_rung_rate is not None:
        start, end = run.channel.first_rung_rate
        rate = start + (end - start) * progress
    if run.variant is not None:
        rate *= run.variant.first_rung_factor
    return rate


def _climb(
    rng: random.Random, run: PlannedRun, progress: float, now: datetime
) -> list[tuple[str, datetime]]:
    """The (rung, time) the run's subject reaches after its acceptance, in ladder order."""
    assert run.labelled_at is not None
    reached: list[tuple[str, datetime]] = []
    at = run.labelled_at
    for number, step in enumerate(run.profile.outcomes):
        rate = _first_rung_rate(run, progress) if number == 0 else step.rate
        rate *= segments.rung_factor(run.profile.key, run.correlation_id, step.rung)
        if rng.random() >= rate:
            break
        at += timedelta(days=rng.uniform(*step.delay_days))
        at = at.replace(microsecond=0)
        if at >= now:
            break  # not yet: a later seed (or the real CRM) will report it
        reached.append((step.rung, at))
    return reached


def _whole_ladder(run: PlannedRun, now: datetime) -> list[tuple[str, datetime]]:
    """Every rung, evenly spaced between the run's acceptance and `now` (small windows)."""
    assert run.labelled_at is not None
    steps = run.profile.outcomes
    gap = (now - run.labelled_at) / (len(steps) + 1)
    return [
        (step.rung, (run.labelled_at + gap * (number + 1)).replace(microsecond=0))
        for number, step in enumerate(steps)
    ]


def _ladders(
    rng: random.Random, runs: list[PlannedRun], now: datetime, window_start: datetime
) -> dict[str, list[tuple[str, datetime]]]:
    """The rungs each accepted run's subject reached, by correlation id.

    At any scale every rung of every ladder is reached at least once, and every channel reaches
    the ladder's second rung (outreach: a positive reply) at least once, so each story shows.
    """
    span = now - window_start
    climbed: dict[str, list[tuple[str, datetime]]] = {}
    accepted: dict[str, list[PlannedRun]] = {}
    for run in runs:
        if not run.profile.outcomes or run.status_now != "ACCEPTED" or run.labelled_at is None:
            continue
        accepted.setdefault(run.profile.key, []).append(run)
        reached = _climb(rng, run, (run.started_at - window_start) / span, now)
        if reached:
            climbed[run.correlation_id] = reached

    def rungs_of(members: list[PlannedRun]) -> set[str]:
        return {rung for r in members for rung, _ in climbed.get(r.correlation_id, [])}

    for candidates in accepted.values():
        steps = candidates[0].profile.outcomes
        second = steps[min(1, len(steps) - 1)].rung
        channels = sorted({r.channel.name for r in candidates if r.channel is not None})
        for name in channels:
            members = [r for r in candidates if r.channel is not None and r.channel.name == name]
            if second not in rungs_of(members):
                # the earliest run of the channel: the most time to climb
                climbed[members[0].correlation_id] = _whole_ladder(members[0], now)[:2]
        if any(step.rung not in rungs_of(candidates) for step in steps):
            closing = (r for r in candidates if segments.closes(r.profile.key, r.correlation_id))
            first = next(closing, candidates[0])
            climbed[first.correlation_id] = _whole_ladder(first, now)
    return climbed


def _outcome_records(
    runs: list[PlannedRun], climbed: dict[str, list[tuple[str, datetime]]]
) -> list[Record]:
    records: list[Record] = []
    for run in runs:
        for rung, at in climbed.get(run.correlation_id, []):
            records.append(
                {
                    "type": "outcome",
                    "eventId": f"{run.correlation_id}:{rung}",
                    "workflowKey": run.profile.key,
                    "rung": rung,
                    "subject": run.subject,
                    "correlationId": run.correlation_id,
                    "occurredAt": at,
                }
            )
    records.sort(key=lambda r: (r["occurredAt"], r["eventId"]))
    return records


def _cents(rng: random.Random, bounds: tuple[int, int]) -> Decimal:
    return Decimal(rng.randint(bounds[0] * 100, bounds[1] * 100)) / 100


def _revenue(
    rng: random.Random,
    runs: list[PlannedRun],
    climbed: dict[str, list[tuple[str, datetime]]],
    *,
    now: datetime,
    window_start: datetime,
    client_ids: Mapping[str, uuid.UUID],
) -> list[Record]:
    """Closed-won deals (linked to their run: claimed when they close within 30 days of it),
    monthly retainers (unlinked: split over the client's accepted runs), and referral deals
    whose subject no run has (never claimed: unattributed revenue)."""
    records: list[Record] = []
    for run in runs:
        for rung, at in climbed.get(run.correlation_id, []):
            if rung != "closed-won":
                continue
            records.append(
                {
                    "type": "revenue",
                    "eventId": f"deal:{run.correlation_id}",
                    "clientId": run.client_id,
                    "amount": str(_cents(rng, DEAL_SIZE)),
                    "occurredAt": min(at + timedelta(hours=2), now - timedelta(seconds=1)),
                    "workflowKey": run.profile.key,
                    "subject": run.subject,
                    "correlationId": run.correlation_id,
                    "kind": "deal_won",
                }
            )
    for month in _month_starts(window_start, now):
        paid = month.replace(hour=9)
        if not window_start <= paid < now:
            continue
        for name, (volume, _) in CLIENTS.items():
            amount = (RETAINER_PER_VOLUME * Decimal(str(volume))).quantize(CENT)
            records.append(
                {
                    "type": "revenue",
                    "eventId": f"retainer:{client_ids[name]}:{month:%Y-%m}",
                    "clientId": client_ids[name],
                    "amount": str(amount),
                    "occurredAt": paid,
                    "kind": "retainer",
                }
            )
    outreach_buyers = [name for name, (_, keys) in CLIENTS.items() if "outreach" in keys]
    months = max(1, round((now - window_start) / timedelta(days=30)))
    for number in range(months * REFERRALS_PER_MONTH):
        name = rng.choice(outreach_buyers)
        at = window_start + (now - window_start) * rng.uniform(0.05, 0.95)
        records.append(
            {
                "type": "revenue",
                "eventId": f"referral:{window_start:%Y%m%d}:{number:03d}",
                "clientId": client_ids[name],
                "amount": str(_cents(rng, REFERRAL_DEAL_SIZE)),
                "occurredAt": at.replace(microsecond=0),
                "workflowKey": "outreach",
                "subject": f"referral-{number:03d}",
                "kind": "referral_deal",
            }
        )
    records.sort(key=lambda r: (r["occurredAt"], r["eventId"]))
    return records


def generate(
    *,
    now: datetime,
    days: int,
    runs_per_day: int,
    client_ids: Mapping[str, uuid.UUID],
    seed: int = SEED,
) -> DemoRecords:
    """All demo records for the `days` before `now` (timezone-aware), ~`runs_per_day` runs a day."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = random.Random(f"{seed}:{days}:{runs_per_day}")
    runs = plan_runs(rng, now=now, days=days, runs_per_day=runs_per_day, client_ids=client_ids)
    out = DemoRecords()
    for run in runs:
        out.runs.append(_run_record(run))
        out.usage.extend(_usage(rng, run, now))
        out.labels.extend(_labels(rng, run))
        out.statuses[run.status_now] += 1
        hold = timedelta(hours=run.profile.acceptance_hold_hours)
        if (
            run.status_now == "ACCEPTED"
            and hold
            and run.labelled_at is not None
            and run.labelled_at + hold > now
        ):
            out.pending_in_hold += 1
        out.reopened += run.reopened_at is not None
    out.usage.extend(_infra(now, days, runs_per_day))
    out.labels.sort(key=lambda label: (label["at"], label["correlationId"]))

    window_start = now - timedelta(days=days)
    climbed = _ladders(rng, runs, now, window_start)
    out.outcomes = _outcome_records(runs, climbed)
    out.revenue = _revenue(
        rng, runs, climbed, now=now, window_start=window_start, client_ids=client_ids
    )
    for outcome in out.outcomes:
        out.rungs[(outcome["workflowKey"], outcome["rung"])] += 1
    for event in out.revenue:
        count, amount = out.revenue_kinds.get(event["kind"], (0, Decimal(0)))
        out.revenue_kinds[event["kind"]] = (count + 1, amount + Decimal(event["amount"]))
    out.roi_pairs = {(r["workflowKey"], f"{r['startedAt']:%Y-%m-%d}") for r in out.runs} | {
        (u["workflowKey"], f"{u['occurredAt']:%Y-%m-%d}") for u in out.usage
    }
    return out
