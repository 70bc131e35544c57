"""Deterministic demo records: runs, usage events and labels as ingest dicts.

Pure: the same `now`, scale and client ids always give the same records (one seeded
`random.Random`, no clock, no set iteration), so seeding a tenant twice only produces duplicates.
`app.demo.plan` plans every run (workflow, client, dimensions, status, timing); this module emits
the run, its usage events (cut short by how the run ended) and its labels, plus the monthly
infrastructure allocations.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.demo.agency import (
    FAILURE_REASONS,
    FAILURE_REVIEWERS,
    REOPEN_REASON,
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

    @property
    def total(self) -> int:
        return len(self.runs) + len(self.usage) + len(self.labels)


def _llm_event(rng: random.Random, step: LlmStep, run: PlannedRun) -> Record:
    provider, model = step.provider, step.model
    if step.step == "drafter" and run.variant is not None:
        provider, model = run.variant.drafter_provider, run.variant.drafter_model
    effort = rng.choice(step.efforts) if step.efforts else None
    reasoning = between(rng, step.reasoning_tokens)
    if effort is not None:
        reasoning = round(reasoning * EFFORT_SCALE[effort])
    cache_write = 0
    if step.cache_write_share and rng.random() < step.cache_write_share:
        cache_write = between(rng, step.cache_write_tokens)
    event: Record = {
        "kind": "LLM",
        "provider": provider,
        "model": model,
        "inputTokens": between(rng, step.input_tokens),
        "outputTokens": between(rng, step.output_tokens),
        "cacheReadTokens": between(rng, step.cache_read_tokens),
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
    return out
