"""Data generator: one deterministic tenant with ~1M runs over 180 days, loaded by binary COPY.

    # a throw-away database (created, loaded, measured, dropped):
    .venv/bin/python -m bench.generate --runs 100000
    # a named database that is KEPT for other benchmarks (replaced if it exists; needs
    # DATABASE_URL and REDIS_URL, since embedded servers die with the process):
    DATABASE_URL=postgresql://…/postgres REDIS_URL=redis://…/3 \\
        .venv/bin/python -m bench.generate --runs 1000000 --database ledger_gen_1m

Options: `--runs N` (default 1,000,000), `--days D` (180), `--seed S`, `--now ISO` (default: the
current UTC midnight, so one day's runs give the same data), `--database NAME`, `--jobs J`
(loader processes, default 2), `--no-roi` (skip the ROI rebuild). Every row (ids included) is a
function of seed, runs, days and now, whatever `--jobs`; only the API key is random.

What it makes, scaled with `--runs` (figures at 1M): 50 clients, 20 workflows (each with an
outcome ladder of `accepted` + 2–3 rungs, an acceptance hold of 0, 24 or 72 h, an autonomy gate
for level 1 and a workflow-wide ROI baseline; 10 clients also have their own baseline), a price
book of 5 models (one re-priced 100 days before `now`, so stored usage carries two price
versions), campaigns, channels, variants and teams on every run, a declared run dimension
`segment` (four values, a quarter of the runs each) on every run, and:

- runs (1M): Zipf-weighted over workflows and clients, growing over the 180 days with quieter
  weekends; status mix per workflow: ACCEPTED 55–90 %, the rest over the five failure statuses,
  a few stuck RUNNING, and the runs of the last hours still RUNNING;
- run labels (~1.1 labels per run): one terminal label per finished run, plus reworks (REJECTED
  then ACCEPTED), reopened acceptances inside the hold, and late labels after a final acceptance
  (stored with `applied = false`); `status`, `status_at`, `ended_at` and `applied` are computed
  with `app.domain.acceptance`, exactly as ingest recomputes them;
- usage events (~5 per run): LLM calls (90 % priced from the price book in force at
  `occurred_at`, with `price_effective_from`, as ingest prices them; 10 % reported), one metered
  tool/retrieval/third-party call with a reported cost, retries on failures; lognormal token
  counts with a heavy tail (0.5 % of calls carry 20× the context); plus one workflow-level
  infrastructure event per workflow and day (no run);
- outcome events (~0.1 per run) on ladder rungs, days after acceptance, by subject or run;
- revenue events (~0.05 per run): deals of accepted runs (by run or subject, 2 % refunded
  later) and a monthly retainer per client linked to nothing.

Loading: configuration (tenant, clients, workflows, rungs) is inserted with the ORM models, and
prices, gates and baselines through the services; the bulk tables are streamed in chunks with
asyncpg binary COPY over the owner (superuser) connection (memory stays flat), with a progress
line. Rows are exactly what ingest would have stored at the end (the final run state, not the
intermediate RUNNING row). No ROI dirty markers are written per row: afterwards every ROI window
is rebuilt (`mark_for_rebuild` + `drain(force=True)`, as `ledger roi rebuild` does), then
`ANALYZE`.

The manifest (tenant id, client ids, workflow keys, `now`, an API key with scopes ingest and
read, row counts and timings) is printed as JSON and stored as the database's comment; other
benchmarks open a kept database with `open_generated(name, admin_url=…, redis_url=…,
data_dir=…)` and issue their own tokens (`app.auth.tokens.issue_token`) for its tenant.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import importlib
import itertools
import json
import math
import multiprocessing
import os
import random
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.db.citus import prepare_database as prepare_citus_database
from app.db.sessions import tenant_sessions
from app.db.tables import Client, LadderRung, Tenant, Workflow
from app.domain.acceptance import Label, current_state, labels_applied
from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.gates import GateSpec
from app.domain.money import quantize_money
from app.domain.pricing import Price, TokenCounts, price_in_force, price_tokens
from app.migrate import upgrade
from app.services.decisions.dimensions import declare_dimension
from app.services.gates.definitions import set_gate
from app.services.pricing.prices import set_model_price
from app.services.roi.baselines import set_baseline
from app.services.roi.recompute import drain, mark_for_rebuild
from app.services.tenancy.tenants import create_api_key
from app.settings import Settings
from bench.common import command_line, drop_database, owner_connection, servers

DEFAULT_RUNS = 1_000_000
DEFAULT_DAYS = 180
DEFAULT_SEED = 8
FLUSH_USAGE_ROWS = 30_000
MANIFEST_VERSION = 1
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
PRICES_FROM = datetime(2020, 1, 1, tzinfo=UTC)
REPRICED_DAYS_AGO = 100

WORKFLOW_KEYS = (
    "lead-enrichment", "cold-outreach", "seo-audit", "ad-copy", "support-triage",
    "invoice-matching", "contract-review", "meeting-notes", "social-posts",
    "product-descriptions", "translation", "churn-alerts", "review-replies", "keyword-research",
    "landing-pages", "email-nurture", "data-cleanup", "report-writing", "competitor-watch",
    "recruiting-screen",
)  # fmt: skip
DIVISIONS = ("growth", "content", "operations", "support")
RUNGS = (
    ("reply", "Reply"), ("meeting", "Meeting booked"), ("deal", "Deal opened"),
    ("published", "Published"), ("ranks", "Ranks in the top 10"), ("signed", "Signed"),
)  # fmt: skip
CAMPAIGNS = tuple(f"{season}-{year}" for year in (2025, 2026) for season in
                  ("spring", "summer", "autumn", "winter", "launch", "retention"))  # fmt: skip
CHANNELS = ("email", "linkedin", "web", "phone", "ads")
CHANNEL_WEIGHTS = (45, 20, 20, 8, 7)
VARIANTS = ("A", "B", "C")
TEAMS = ("growth", "ops", "sales", "support", "content", "data")
REVIEWERS = ("auto-check", "qa-ana", "qa-ben", "qa-chen", "client-portal")
FAILURE_REASONS = {
    RunStatus.REJECTED: "output did not meet the brief",
    RunStatus.ABANDONED: "superseded by a newer request",
    RunStatus.TIMED_OUT: "no answer within the deadline",
    RunStatus.TOOL_ERROR: "a tool call failed",
    RunStatus.ESCALATED: "handed to a human",
}
# (provider, model, input, output, cache read, cache write) per million tokens.
PRICE_BOOK: tuple[tuple[str, str, str, str, str | None, str | None], ...] = (
    ("anthropic", "claude-sonnet-4", "3", "15", "0.30", "3.75"),
    ("anthropic", "claude-haiku-3.5", "0.80", "4", "0.08", "1"),
    ("openai", "gpt-4o", "5", "15", "2.50", None),
    ("openai", "gpt-4o-mini", "0.15", "0.60", "0.075", None),
    ("openai", "o3-mini", "1.10", "4.40", "0.55", None),
)
# gpt-4o gets cheaper REPRICED_DAYS_AGO days before `now`: a second price version in force.
REPRICE = ("openai", "gpt-4o", "2.50", "10", "1.25", None)
METERED = (
    ("TOOL", "serpapi", Decimal("0.0025")),
    ("RETRIEVAL", "pinecone", Decimal("0.0004")),
    ("THIRD_PARTY", "clearbit", Decimal("0.05")),
)
STEP_NAMES = ("plan", "research", "draft", "review", "format")

# Status columns in COPY order.
RUN_COLUMNS = (
    "tenant_id", "correlation_id", "workflow_id", "client_id", "started_at", "ended_at",
    "status", "status_at", "campaign", "channel", "variant", "team", "subject", "dimensions",
)  # fmt: skip
# The tenant's run dimension `segment` (declared by `configure`): a function of the correlation
# id alone (a CRC, no draw from the random stream, so every other row is unchanged by it).
SEGMENT_KEY = "segment"
SEGMENTS = ("enterprise", "mid-market", "smb", "startup")
LABEL_COLUMNS = ("tenant_id", "correlation_id", "at", "status", "reviewer", "reason", "applied")
USAGE_COLUMNS = (
    "tenant_id", "event_id", "correlation_id", "workflow_id", "client_id", "kind",
    "occurred_at", "provider", "model", "step", "team", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "reasoning_effort",
    "latency_ms", "cost", "cost_source", "price_effective_from",
)  # fmt: skip
OUTCOME_COLUMNS = (
    "tenant_id", "event_id", "workflow_id", "rung_key", "subject", "correlation_id", "occurred_at",
)  # fmt: skip
REVENUE_COLUMNS = (
    "tenant_id", "event_id", "client_id", "amount", "occurred_at", "workflow_id", "subject",
    "correlation_id", "kind",
)  # fmt: skip
TABLES = ("runs", "run_labels", "usage_events", "outcome_events", "revenue_events")


@dataclass(frozen=True)
class WorkflowPlan:
    key: str
    workflow_id: uuid.UUID
    name: str
    division: str
    hold_hours: int
    ladder: tuple[tuple[str, str], ...]  # after "accepted"
    climb: tuple[float, ...]  # P(reach rung i | reached rung i-1), rung 0 given acceptance
    accept_rate: float
    failure_weights: tuple[int, ...]  # over FAILURE_STATUSES
    llm_steps: tuple[tuple[str, str, str, int, int], ...]  # (step, provider, model, in, out)
    metered: tuple[str, str, Decimal]
    scale: float  # workflow-wide token multiplier (some workflows are far costlier)
    revenue_rate: float  # P(a deal | accepted run with a client)
    deal_median: float
    revenue_per_success: Decimal
    human_cost_per_task: Decimal
    gate: GateSpec


@dataclass
class Plan:
    seed: int
    runs: int
    days: int
    now: datetime
    tenant_id: uuid.UUID
    clients: list[uuid.UUID]
    client_weights: list[float]
    workflows: list[WorkflowPlan]
    workflow_weights: list[float]
    prices: list[Price]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def make_plan(*, seed: int, runs: int, days: int, now: datetime) -> Plan:
    """Tenant, clients, workflows and prices: a pure function of the arguments."""
    rng = random.Random(f"ledger-bench-config-{seed}")
    tenant_id = _uuid(rng)
    clients = [_uuid(rng) for _ in range(50)]
    client_weights = [1 / (i + 1) ** 0.7 for i in range(50)]
    models = [(p[0], p[1]) for p in PRICE_BOOK]
    workflows: list[WorkflowPlan] = []
    for i, key in enumerate(WORKFLOW_KEYS):
        ladder = tuple(rng.sample(RUNGS, rng.choice((2, 3))))
        climb = (rng.uniform(0.08, 0.16), *(rng.uniform(0.2, 0.45) for _ in ladder[1:]))
        accept = rng.uniform(0.55, 0.90)
        steps = []
        for step in rng.sample(STEP_NAMES, 3):
            provider, model = rng.choice(models)
            steps.append((step, provider, model, rng.choice((800, 1500, 3000, 6000)),
                          rng.choice((150, 400, 900))))  # fmt: skip
        scale = rng.lognormvariate(0, 0.8)
        gate = GateSpec(
            target_level=1,
            min_acceptance_rate=round(rng.uniform(0.5, 0.8), 2),
            min_sample_size=rng.choice((50, 100, 200)),
            confidence=0.95,
            max_cost_per_outcome=Decimal(str(round(0.05 * scale * rng.uniform(0.5, 3), 2))) + CENT,
            max_drift_pct=float(rng.choice((25, 50, 100))),
            window_days=30,
        )
        workflows.append(
            WorkflowPlan(
                key=key,
                workflow_id=_uuid(rng),
                name=key.replace("-", " ").capitalize(),
                division=DIVISIONS[i % len(DIVISIONS)],
                hold_hours=rng.choice((0, 0, 24, 72)),
                ladder=ladder,
                climb=climb,
                accept_rate=accept,
                failure_weights=tuple(rng.randint(5, 40) for _ in FAILURE_STATUSES),
                llm_steps=tuple(steps),
                metered=rng.choice(METERED),
                scale=scale,
                revenue_rate=rng.uniform(0.04, 0.11),
                deal_median=rng.choice((150.0, 400.0, 1200.0)),
                revenue_per_success=Decimal(rng.randint(2, 80)),
                human_cost_per_task=Decimal(rng.randint(1, 30)),
                gate=gate,
            )
        )
    prices = [_price(p, PRICES_FROM) for p in PRICE_BOOK]
    repriced_from = now.replace(hour=0, minute=0, second=0, microsecond=0)
    prices.append(_price(REPRICE, repriced_from - timedelta(days=REPRICED_DAYS_AGO)))
    return Plan(
        seed=seed, runs=runs, days=days, now=now, tenant_id=tenant_id, clients=clients,
        client_weights=client_weights, workflows=workflows,
        workflow_weights=[1 / (i + 1) ** 0.8 for i in range(len(workflows))], prices=prices,
    )  # fmt: skip


def _price(row: tuple[str, str, str, str, str | None, str | None], start: datetime) -> Price:
    provider, model, inp, out, cache_read, cache_write = row
    return Price(
        provider=provider,
        model=model,
        effective_from=start,
        input_per_million=Decimal(inp),
        output_per_million=Decimal(out),
        cache_read_per_million=None if cache_read is None else Decimal(cache_read),
        cache_write_per_million=None if cache_write is None else Decimal(cache_write),
    )


@dataclass
class Chunk:
    runs: list[tuple[Any, ...]] = field(default_factory=list)
    labels: list[tuple[Any, ...]] = field(default_factory=list)
    usage: list[tuple[Any, ...]] = field(default_factory=list)
    outcomes: list[tuple[Any, ...]] = field(default_factory=list)
    revenue: list[tuple[Any, ...]] = field(default_factory=list)

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        return dict(zip(TABLES, (self.runs, self.labels, self.usage, self.outcomes,
                                 self.revenue), strict=True))  # fmt: skip


def day_counts(runs: int, days: int, start: datetime, rng: random.Random) -> list[int]:
    """Runs per day: growing from 0.7× to 1.3× over the range, weekends at half; sums to `runs`."""
    weights = []
    for d in range(days):
        weekday = (start + timedelta(days=d)).weekday()
        weights.append((0.7 + 0.6 * d / max(1, days - 1)) * (0.5 if weekday >= 5 else 1.0)
                       * rng.uniform(0.9, 1.1))  # fmt: skip
    total = sum(weights)
    counts = [int(runs * w / total) for w in weights]
    counts[-1] += runs - sum(counts)
    return counts


class Generator:
    """Streams the bulk rows of the days `job`, `job + jobs`, …; a Chunk every ~FLUSH_USAGE_ROWS.

    Each day has its own seeded random stream, so the data does not depend on `jobs`."""

    def __init__(self, plan: Plan, job: int = 0, jobs: int = 1) -> None:
        self.plan, self.job, self.jobs = plan, job, jobs
        self.rng = random.Random(0)
        self.end = plan.now
        self.start = plan.now - timedelta(days=plan.days)
        self.prices = plan.prices
        self.price_cache: dict[tuple[str, str, bool], Price] = {}
        self.repriced_at = next(p.effective_from for p in plan.prices if p.effective_from !=
                                PRICES_FROM)  # fmt: skip
        self.subjects_per_client = max(10, plan.runs // 150)
        self.counts = dict.fromkeys(TABLES, 0)
        self.workflow_cum = list(itertools.accumulate(plan.workflow_weights))
        self.client_cum = list(itertools.accumulate(plan.client_weights))

    def chunks(self) -> Iterator[Chunk]:
        plan = self.plan
        counts = day_counts(plan.runs, plan.days, self.start,
                            random.Random(f"ledger-bench-days-{plan.seed}"))  # fmt: skip
        chunk = Chunk()
        mine = list(range(self.job, len(counts), self.jobs))
        for day in mine:
            self.rng = rng = random.Random(f"ledger-bench-data-{plan.seed}-{plan.runs}-{day}")
            day_start = self.start + timedelta(days=day)
            offsets = sorted(rng.random() * 86_400 for _ in range(counts[day]))
            for i, offset in enumerate(offsets):
                self._run(
                    chunk, day_start + timedelta(seconds=round(offset, 3)), f"{day:03d}-{i:05d}"
                )
            for w in plan.workflows:  # one infrastructure allocation per workflow and day
                self._infra(chunk, w, day_start + timedelta(hours=23, minutes=59))
            if day_start.day == 1 or day == 0:
                self._retainers(chunk, day_start + timedelta(hours=9))
            if len(chunk.usage) >= FLUSH_USAGE_ROWS or day == mine[-1]:
                for table, rows in chunk.rows().items():
                    self.counts[table] += len(rows)
                yield chunk
                chunk = Chunk()

    def _price(self, provider: str, model: str, at: datetime) -> Price:
        key = (provider, model, at >= self.repriced_at)
        price = self.price_cache.get(key)
        if price is None:
            found = price_in_force(self.prices, provider, model, at)
            assert found is not None
            price = self.price_cache[key] = found
        return price

    def _run(self, chunk: Chunk, started: datetime, number: str) -> None:
        plan, rng, tid = self.plan, self.rng, self.plan.tenant_id
        w = plan.workflows[bisect.bisect(self.workflow_cum, rng.random() * self.workflow_cum[-1])]
        client_index = None
        if rng.random() >= 0.03:
            client_index = bisect.bisect(self.client_cum, rng.random() * self.client_cum[-1])
        client_id = None if client_index is None else plan.clients[client_index]
        cid = f"{w.key[:4]}-{number}"
        subject = None
        if rng.random() < 0.75:
            who = "x" if client_index is None else str(client_index)
            subject = f"lead-{who}-{rng.randrange(self.subjects_per_client)}"
        campaign = rng.choice(CAMPAIGNS) if rng.random() < 0.9 else None
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        variant, team = rng.choice(VARIANTS), rng.choice(TEAMS)
        duration = timedelta(seconds=min(rng.lognormvariate(math.log(180), 1.0), 6 * 3600))
        finished = started + duration

        labels: list[tuple[datetime, RunStatus, str | None]] = []
        if finished <= self.end and rng.random() >= 0.004:  # else: still (or stuck) RUNNING
            if rng.random() < w.accept_rate:
                first = RunStatus.ACCEPTED
            else:
                first = rng.choices(FAILURE_STATUSES, weights=w.failure_weights)[0]
            labels.append((finished, first, FAILURE_REASONS.get(first)))
            roll = rng.random()
            if first is RunStatus.REJECTED and roll < 0.15:  # reworked, then accepted
                labels.append((finished + timedelta(hours=rng.uniform(1, 30)),
                               RunStatus.ACCEPTED, None))  # fmt: skip
            elif first is RunStatus.ACCEPTED and w.hold_hours and roll < 0.03:  # reopened
                labels.append((finished + timedelta(hours=rng.uniform(0, w.hold_hours)),
                               RunStatus.REJECTED, "reopened by the client"))  # fmt: skip
            elif first is RunStatus.ACCEPTED and roll < 0.04:  # late complaint, history only
                labels.append((finished + timedelta(hours=w.hold_hours + rng.uniform(1, 200)),
                               RunStatus.REJECTED, "complaint after the hold"))  # fmt: skip
            labels = [label for label in labels if label[0] <= self.end]
        status_at: datetime | None
        ended: datetime | None
        if len(labels) == 1:
            at, status, _ = labels[0]
            state_status, status_at, ended = status, at, at
            applied = [True]
        elif labels:
            domain = [Label(status=s, at=a) for a, s, _ in labels]
            state = current_state(domain, w.hold_hours)
            state_status, status_at, ended = state.status, state.status_at, state.ended_at
            applied = labels_applied(domain, w.hold_hours)
        else:
            state_status, status_at, ended, applied = RunStatus.RUNNING, None, None, []
        chunk.runs.append((tid, cid, w.workflow_id, client_id, started, ended,
                           state_status.value, status_at, campaign, channel, variant, team,
                           subject, segment_json(cid)))  # fmt: skip
        for (at, status, reason), was_applied in zip(labels, applied, strict=True):
            chunk.labels.append((tid, cid, at, status.value, rng.choice(REVIEWERS), reason,
                                 was_applied))  # fmt: skip

        self._usage(chunk, w, cid, client_id, team, started, finished, labels)
        if state_status is RunStatus.ACCEPTED and status_at is not None:
            self._outcomes(chunk, w, cid, subject, status_at)
            if client_id is not None and rng.random() < w.revenue_rate:
                self._deal(chunk, w, cid, subject, client_id, status_at)

    def _usage(self, chunk: Chunk, w: WorkflowPlan, cid: str, client_id: uuid.UUID | None,
               team: str, started: datetime, finished: datetime,
               labels: list[tuple[datetime, RunStatus, str | None]]) -> None:  # fmt: skip
        rng, tid = self.rng, self.plan.tenant_id
        first = labels[0][1] if labels else RunStatus.RUNNING
        steps = list(w.llm_steps)
        if first in (RunStatus.TOOL_ERROR, RunStatus.TIMED_OUT):
            steps += [rng.choice(w.llm_steps) for _ in range(rng.randint(1, 4))]  # retries
        elif first is RunStatus.ABANDONED:
            steps = steps[: rng.randint(1, len(steps))]
        elif rng.random() < 0.35:  # a second draft or review pass
            steps.append(rng.choice(w.llm_steps))
        end = min(finished, self.end)
        span = (end - started).total_seconds()
        calls = len(steps) + 1
        for k in range(calls):
            at = started + timedelta(seconds=round(span * (k + rng.random()) / calls, 3))
            event_id = f"{cid}-u{k}"
            if k == len(steps):  # the metered call
                kind, provider, unit = w.metered
                units = max(1, round(rng.paretovariate(2.0)))
                cost = (unit * units).quantize(MICRO)
                chunk.usage.append((tid, event_id, cid, w.workflow_id, client_id, kind, at,
                                    provider, None, "tool", team, 0, 0, 0, 0, 0, None,
                                    rng.randint(80, 2500), quantize_money(cost), "reported",
                                    None))  # fmt: skip
                continue
            step, provider, model, inp, out = steps[k]
            tail = 20.0 if rng.random() < 0.005 else 1.0
            scale = w.scale * tail
            tokens = TokenCounts(
                input=int(inp * scale * rng.lognormvariate(0, 0.7)),
                output=int(out * scale * rng.lognormvariate(0, 0.9)),
                cache_read=int(inp * scale * rng.uniform(0.5, 3)) if rng.random() < 0.3 else 0,
                cache_write=int(inp * scale) if rng.random() < 0.05 else 0,
                reasoning=int(out * rng.lognormvariate(1, 0.8)) if model == "o3-mini" else 0,
            )
            effort = rng.choice(("low", "medium", "high")) if model == "o3-mini" else None
            latency = int(200 + tokens.output * rng.uniform(8, 25))
            price = self._price(provider, model, at)
            cost = quantize_money(price_tokens(tokens, price))
            if rng.random() < 0.1:  # a gateway that reports its own bill
                source, price_from = "reported", None
                cost = quantize_money((cost * Decimal("1.05")).quantize(MICRO))
            else:
                source, price_from = "priced", price.effective_from
            chunk.usage.append((tid, event_id, cid, w.workflow_id, client_id, "LLM", at, provider,
                                model, step, team, tokens.input, tokens.output,
                                tokens.cache_read, tokens.cache_write, tokens.reasoning, effort,
                                latency, cost, source, price_from))  # fmt: skip

    def _infra(self, chunk: Chunk, w: WorkflowPlan, at: datetime) -> None:
        if at > self.end:
            return
        cost = Decimal(str(round(self.rng.uniform(0.5, 4.0) * w.scale, 4)))
        chunk.usage.append((self.plan.tenant_id, f"infra-{w.key}-{at.date().isoformat()}", None,
                            w.workflow_id, None, "INFRA", at, "aws", None, "hosting", "ops",
                            0, 0, 0, 0, 0, None, None, quantize_money(cost), "reported",
                            None))  # fmt: skip

    def _outcomes(self, chunk: Chunk, w: WorkflowPlan, cid: str, subject: str | None,
                  accepted_at: datetime) -> None:  # fmt: skip
        rng = self.rng
        at = accepted_at
        for (rung, _), p in zip(w.ladder, w.climb, strict=False):
            if rng.random() >= p:
                return
            at = at + timedelta(hours=rng.lognormvariate(math.log(48), 1.0))
            if at > self.end:
                return
            by_subject = subject is not None and rng.random() < 0.8
            chunk.outcomes.append((self.plan.tenant_id, f"{cid}-{rung}", w.workflow_id, rung,
                                   subject if by_subject else None,
                                   None if by_subject else cid, at))  # fmt: skip

    def _deal(self, chunk: Chunk, w: WorkflowPlan, cid: str, subject: str | None,
              client_id: uuid.UUID, accepted_at: datetime) -> None:  # fmt: skip
        rng, tid = self.rng, self.plan.tenant_id
        at = accepted_at + timedelta(days=rng.lognormvariate(math.log(5), 0.8))
        if at > self.end:
            return
        amount = Decimal(str(round(w.deal_median * rng.lognormvariate(0, 1.0), 2))).quantize(CENT)
        by_subject = subject is not None and rng.random() < 0.4
        link_subject, link_cid = (subject, None) if by_subject else (None, cid)
        chunk.revenue.append((tid, f"deal-{cid}", client_id, amount, at, w.workflow_id,
                              link_subject, link_cid, "deal_won"))  # fmt: skip
        refund_at = at + timedelta(days=rng.uniform(3, 40))
        if rng.random() < 0.02 and refund_at <= self.end:
            chunk.revenue.append((tid, f"refund-{cid}", client_id, -amount, refund_at,
                                  w.workflow_id, link_subject, link_cid, "refund"))  # fmt: skip

    def _retainers(self, chunk: Chunk, at: datetime) -> None:
        for i, client_id in enumerate(self.plan.clients):
            amount = Decimal(500 + 250 * (i % 7)).quantize(CENT)
            chunk.revenue.append((self.plan.tenant_id, f"retainer-{i}-{at.date().isoformat()}",
                                  client_id, amount, at, None, None, None, "retainer"))  # fmt: skip


def segment_json(correlation_id: str) -> str:
    """The run's `dimensions` (jsonb text): its segment, by the CRC of its correlation id."""
    segment = SEGMENTS[zlib.crc32(correlation_id.encode()) % len(SEGMENTS)]
    return json.dumps({SEGMENT_KEY: segment})


async def configure(settings: Settings, plan: Plan) -> str:
    """Tenant, clients, workflows and ladders (ORM rows), prices, gates, baselines (services).

    Returns an API key (scopes ingest and read) for the tenant."""
    tid = plan.tenant_id
    async with tenant_sessions(settings, pool_size=2) as sessions:
        async with sessions(tid) as session:
            session.add(Tenant(tenant_id=tid, name=f"generated-{plan.runs}"))
            await session.flush()
            for i, client_id in enumerate(plan.clients):
                session.add(Client(tenant_id=tid, client_id=client_id, name=f"Client {i:02d}"))
            for w in plan.workflows:
                session.add(Workflow(tenant_id=tid, workflow_id=w.workflow_id, key=w.key,
                                     name=w.name, division=w.division,
                                     acceptance_hold_hours=w.hold_hours))  # fmt: skip
            await session.flush()
            for w in plan.workflows:
                for position, (key, name) in enumerate((("accepted", "Accepted"), *w.ladder)):
                    session.add(LadderRung(tenant_id=tid, workflow_id=w.workflow_id, key=key,
                                           name=name, position=position))  # fmt: skip
            for price in plan.prices:
                await set_model_price(session=session, tenant_id=tid, price=price)
            await declare_dimension(session=session, tenant_id=tid, key=SEGMENT_KEY,
                                    description="ICP segment", allowed=SEGMENTS)  # fmt: skip
        async with sessions(tid) as session:
            for w in plan.workflows:
                await set_gate(session=session, tenant_id=tid, workflow_key=w.key, spec=w.gate,
                               actor="generator", now=plan.now)  # fmt: skip
                await set_baseline(session=session, tenant_id=tid, workflow_key=w.key,
                                   client_id=None, revenue_per_success=w.revenue_per_success,
                                   human_cost_per_task=w.human_cost_per_task)  # fmt: skip
            for client_id in plan.clients[:10]:
                w = plan.workflows[0]
                await set_baseline(session=session, tenant_id=tid, workflow_key=w.key,
                                   client_id=client_id,
                                   revenue_per_success=w.revenue_per_success * 2)  # fmt: skip
        issued = await create_api_key(sessions=sessions, tenant_id=tid, name="generated",
                                      scopes=["ingest", "read"])  # fmt: skip
        return issued.key


def _line(text: str) -> None:
    sys.stderr.write("\r" + text.ljust(100))
    sys.stderr.flush()


COLUMNS = dict(zip(TABLES, (RUN_COLUMNS, LABEL_COLUMNS, USAGE_COLUMNS, OUTCOME_COLUMNS,
                           REVENUE_COLUMNS), strict=True))  # fmt: skip
# Statement triggers of migrations 0007 (run_costs), 0009 (cohort_days) and 0010 (ladder_reach
# markers), rebuilt by their functions instead.
REBUILT_TRIGGERS = {
    "usage_events_rollup_ins", "usage_events_rollup_del", "usage_events_rollup_upd",
    "runs_rollup_ins", "runs_rollup_del",
    "usage_events_rollup_ins_days", "usage_events_rollup_del_days", "usage_events_rollup_upd_days",
    "runs_rollup_ins_days", "runs_rollup_del_days", "runs_rollup_upd_days",
    "runs_ladder_reach_ins", "runs_ladder_reach_del", "runs_ladder_reach_upd",
    "outcome_events_ladder_reach_ins", "outcome_events_ladder_reach_del",
    "outcome_events_ladder_reach_upd",
}  # fmt: skip
REBUILDS = ("rebuild_cohort_days", "rebuild_ladder_reach")
"""Rebuild functions called after the load when the tree has them (rebuild_run_costs always)."""
SECONDARY_INDEXES = """
SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = ANY($1::text[]) AND t.relnamespace = 'public'::regnamespace
  AND NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""
USER_TRIGGERS = """
SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relname = ANY($1::text[]) AND NOT t.tgisinternal
"""
# Referential checks skipped by the fast load, verified once afterwards (each must be 0).
INTEGRITY = (
    ("labels without their run", """SELECT count(*) FROM run_labels l WHERE NOT EXISTS
        (SELECT FROM runs r WHERE r.tenant_id = l.tenant_id
                              AND r.correlation_id = l.correlation_id)"""),
    ("outcomes on no rung", """SELECT count(*) FROM outcome_events o WHERE NOT EXISTS
        (SELECT FROM ladder_rungs g WHERE g.tenant_id = o.tenant_id
           AND g.workflow_id = o.workflow_id AND g.key = o.rung_key)"""),
)  # fmt: skip


def _load_job(url: str, plan: Plan, job: int, jobs: int, replica: bool,
              counts: Any, seconds: Any) -> None:  # fmt: skip
    """One loader process: generate its days and COPY them, one transaction per chunk."""

    async def run() -> None:
        async with owner_connection(url) as conn:
            if replica:  # no FK checks, no triggers: see `load`
                await conn.execute("SET session_replication_role = replica")
            chunks = Generator(plan, job, jobs).chunks()
            while True:
                t0 = time.perf_counter()
                chunk = next(chunks, None)
                t1 = time.perf_counter()
                seconds[2 * job] += t1 - t0
                if chunk is None:
                    return
                async with conn.transaction():
                    for table, rows in chunk.rows().items():
                        if rows:
                            await conn.copy_records_to_table(table, records=rows,
                                                             columns=COLUMNS[table])  # fmt: skip
                seconds[2 * job + 1] += time.perf_counter() - t1
                with counts.get_lock():
                    for k, rows in enumerate(chunk.rows().values()):
                        counts[k] += len(rows)

    asyncio.run(run())


async def load(url: str, plan: Plan, jobs: int) -> tuple[dict[str, int], dict[str, float]]:
    """Load the bulk tables: `jobs` processes, each generating and COPYing its share of days.

    Secondary indexes of the bulk tables are dropped first and re-created (same definitions)
    afterwards. When every user trigger on them is one whose table has a rebuild function
    (migration 0007's run_costs rollup), the COPY runs with `session_replication_role =
    replica` — no per-row foreign-key checks, no triggers — and the rollup is rebuilt with
    `rebuild_run_costs()` afterwards, then the references are checked once (INTEGRITY). Any
    other trigger, and any trigger on a Citus coordinator (the setting does not reach the
    workers, and Citus refuses the SQL rebuild functions): it fires during COPY, as it would
    on ingest."""
    timings: dict[str, float] = {}
    async with owner_connection(url) as conn:
        triggers = {r["tgname"] for r in await conn.fetch(USER_TRIGGERS, list(TABLES))}
        rebuild = await conn.fetchval("SELECT to_regproc('rebuild_run_costs') IS NOT NULL")
        citus = await conn.fetchval("SELECT true FROM pg_extension WHERE extname = 'citus'")
        replica = not citus and triggers <= REBUILT_TRIGGERS and (rebuild or not triggers)
        indexes = await conn.fetch(SECONDARY_INDEXES, list(TABLES))
        for row in indexes:
            await conn.execute(f"DROP INDEX {row['name']}")

        ctx = multiprocessing.get_context("spawn")
        counts, seconds = ctx.Array("q", len(TABLES)), ctx.Array("d", 2 * jobs)
        started = time.perf_counter()
        workers = [
            ctx.Process(target=_load_job, args=(url, plan, job, jobs, replica, counts, seconds))
            for job in range(jobs)
        ]
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            await asyncio.sleep(1)
            done = dict(zip(TABLES, counts[:], strict=True))
            elapsed = time.perf_counter() - started
            _line(f"runs {done['runs']:,}/{plan.runs:,}  usage {done['usage_events']:,}  "
                  f"labels {done['run_labels']:,}  outcomes {done['outcome_events']:,}  "
                  f"revenue {done['revenue_events']:,}  {elapsed:.0f} s")  # fmt: skip
        sys.stderr.write("\n")
        if any(worker.exitcode for worker in workers):
            raise RuntimeError("a loader process failed")
        timings["copy_s"] = time.perf_counter() - started
        timings["generate_cpu_s"] = sum(seconds[0::2])
        timings["copy_wait_s"] = sum(seconds[1::2])

        t = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for row in indexes:
            _line(f"re-creating {row['name']}")
            await conn.execute(row["definition"])
        sys.stderr.write("\n")
        timings["indexes_s"] = time.perf_counter() - t
        if replica:
            t = time.perf_counter()
            if rebuild:
                # Statistics first: planned on the empty tables' defaults, the ladder rebuild
                # ran for over 6 minutes at 1M runs instead of about half a minute.
                _line("analyzing before the rollup rebuilds")
                await conn.execute("ANALYZE")
                await conn.execute("SELECT set_config('app.tenant_id', $1, false)",
                                   str(plan.tenant_id))  # fmt: skip
                await conn.fetchval("SELECT rebuild_run_costs()")
                for function in REBUILDS:
                    if await conn.fetchval("SELECT to_regproc($1) IS NOT NULL", function):
                        await conn.fetchval(f"SELECT {function}()")
            for what, sql in INTEGRITY:
                if bad := await conn.fetchval(sql):
                    raise RuntimeError(f"generator bug: {bad} {what}")
            timings["rollup_and_checks_s"] = time.perf_counter() - t
        timings["fast_load"] = float(replica)
        return dict(zip(TABLES, counts[:], strict=True)), timings


async def rebuild_roi(settings: Settings, plan: Plan) -> tuple[int, str]:
    """Every ROI window of the tenant, as `ledger roi rebuild` computes them: the set-based
    `app.services.roi.rebuild.rebuild_tenant` when this tree has it, else the batched drain."""
    async with tenant_sessions(settings, pool_size=2) as sessions:
        with contextlib.suppress(ImportError):
            module = importlib.import_module("app.services.roi.rebuild")
            _line("ROI rebuild (set-based, one transaction)")
            report = await module.rebuild_tenant(
                sessions=sessions, tenant_id=plan.tenant_id, now=plan.now
            )
            sys.stderr.write("\n")
            return int(report.windows), "rebuild_tenant"
        total = await mark_for_rebuild(sessions=sessions, tenant_id=plan.tenant_id)
        done = 0

        async def advance(stats: object) -> None:
            nonlocal done
            done += int(getattr(stats, "markers", 0))
            _line(f"ROI rebuild: {done:,}/{total:,} (workflow, day) markers")

        drained = await drain(sessions=sessions, tenant_id=plan.tenant_id, now=plan.now,
                              include_due=True, force=True, after_commit=advance)  # fmt: skip
        sys.stderr.write("\n")
        return int(drained.windows), "drain"


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


@dataclass(frozen=True)
class Generated:
    """A kept generated database: app settings for it, and its manifest."""

    name: str
    settings: Settings
    manifest: dict[str, Any]

    @property
    def tenant_id(self) -> uuid.UUID:
        return uuid.UUID(self.manifest["tenant_id"])

    @property
    def clients(self) -> list[uuid.UUID]:
        return [uuid.UUID(c) for c in self.manifest["clients"]]

    @property
    def workflows(self) -> list[str]:
        return list(self.manifest["workflows"])

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.manifest["now"])


async def manifest_of(admin_url: str, name: str) -> dict[str, Any] | None:
    """The generator's manifest stored on database `name` (its comment), or None."""
    async with owner_connection(admin_url) as conn:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
    return json.loads(comment) if comment else None


async def open_generated(name: str, *, admin_url: str, redis_url: str, data_dir: Path) -> Generated:
    """The manifest of database `name` made by `bench.generate --database NAME`.

    `admin_url` is the owner URL of the server (any database); raises LookupError when the
    database does not exist or was not made by the generator."""
    manifest = await manifest_of(admin_url, name)
    if manifest is None:
        raise LookupError(f"no generated database {name!r}: run bench.generate --database {name}")
    settings = Settings(env="test", database_url=database_url(admin_url, name),
                        redis_url=redis_url, data_dir=data_dir, log_level="WARNING")  # fmt: skip
    return Generated(name, settings, manifest)


@contextlib.asynccontextmanager
async def target_database(
    admin_url: str, name: str | None, citus_workers: list[tuple[str, int]] | None = None
) -> AsyncIterator[str]:
    """A freshly created database: `name` (replaced, kept) or a temporary one (dropped). With
    `citus_workers`, `admin_url` is a Citus coordinator: the database is made on every node with
    the extension and the workers registered (`app.db.citus.prepare_database`)."""
    chosen = name or f"ledger_gen_{uuid.uuid4().hex[:8]}"
    await drop_database(admin_url, chosen, citus_workers)
    async with owner_connection(admin_url) as conn:
        await conn.execute(f'CREATE DATABASE "{chosen}"')
    if citus_workers:
        await prepare_citus_database(admin_url, chosen, citus_workers)
    try:
        yield chosen
    finally:
        if name is None:
            await drop_database(admin_url, chosen, citus_workers)


async def generate(
    *, admin_url: str, redis_url: str, data_dir: Path, runs: int, days: int, seed: int,
    now: datetime, name: str | None, roi: bool, jobs: int = 2,
    citus_workers: list[tuple[str, int]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Create, migrate and load the database; returns the manifest (stored as its comment).
    With `citus_workers`, `admin_url` is a Citus coordinator (see `target_database`)."""
    plan = make_plan(seed=seed, runs=runs, days=days, now=now)
    async with target_database(admin_url, name, citus_workers) as chosen:
        url = database_url(admin_url, chosen)
        settings = Settings(env="test", database_url=url, redis_url=redis_url,
                            data_dir=data_dir, log_level="WARNING")  # fmt: skip
        timings: dict[str, float] = {}
        t = time.perf_counter()
        await asyncio.to_thread(upgrade, settings)
        api_key = await configure(settings, plan)
        timings["migrate_configure_s"] = time.perf_counter() - t
        t = time.perf_counter()
        counts, load_timings = await load(url, plan, jobs)
        timings["load_s"] = time.perf_counter() - t
        timings.update(load_timings)
        async with owner_connection(url) as conn:
            t = time.perf_counter()
            await conn.execute("ANALYZE")
            if await conn.fetchval("SELECT to_regclass('ladder_reach') IS NOT NULL"):
                # Index-only scans of the bulk-built rollup need its visibility map.
                await conn.execute("VACUUM ladder_reach, ladder_reach_days")
            timings["analyze_s"] = time.perf_counter() - t
            windows = 0
            if roi:
                t = time.perf_counter()
                windows, how = await rebuild_roi(settings, plan)
                timings["roi_rebuild_" + how] = 1.0
                timings["roi_rebuild_s"] = time.perf_counter() - t
                await conn.execute("ANALYZE roi_windows, revenue_allocations, revenue_events")
            size = await conn.fetchval(
                "SELECT pg_size_pretty(pg_database_size(current_database()))"
            )
            revision = await conn.fetchval("SELECT version_num FROM alembic_version")
            manifest: dict[str, Any] = {
                "generator": MANIFEST_VERSION,
                "seed": seed,
                "runs": runs,
                "days": days,
                "now": now.isoformat(),
                "tenant_id": str(plan.tenant_id),
                "clients": [str(c) for c in plan.clients],
                "workflows": [w.key for w in plan.workflows],
                "api_key": api_key,
                "rows": {**counts, "roi_windows": windows},
                "seconds": {k: round(v, 1) for k, v in timings.items()},
                "size": size,
                "revision": revision,  # alembic head when generated; `ledger migrate` moves it
                "roi_rebuilt": roi,
            }
            text = json.dumps(manifest).replace("'", "''")
            await conn.execute(f"COMMENT ON DATABASE \"{chosen}\" IS '{text}'")
        manifest["database"] = chosen if name else None
        return manifest


def default_now() -> datetime:
    return datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def main(args: argparse.Namespace) -> None:
    now = datetime.fromisoformat(args.now).astimezone(UTC) if args.now else default_now()
    if args.database and not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        raise SystemExit("--database keeps the database: set DATABASE_URL and REDIS_URL")
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        manifest = await generate(
            admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp), runs=args.runs,
            days=args.days, seed=args.seed, now=now, name=args.database, roi=not args.no_roi,
            jobs=args.jobs,
        )  # fmt: skip
    print(json.dumps(manifest, indent=2))


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--runs", type=int, default=DEFAULT_RUNS)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--now", help="ISO instant the data ends at (default: today 00:00 UTC)")
    parser.add_argument("--database", help="create (or replace) and KEEP this database")
    parser.add_argument("--jobs", type=int, default=2, help="loader processes (default 2)")
    parser.add_argument("--no-roi", action="store_true", help="skip the ROI rebuild")
    asyncio.run(main(parser.parse_args()))
