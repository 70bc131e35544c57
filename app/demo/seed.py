"""Seed the demo agency into a tenant through the same services the API uses.

Clients, workflows (with their ladders), prices, cost ceilings, ROI baselines and autonomy gates
are configured first (upserts; a gate gets a new version only when its definition changed).
Runs, usage, labels, outcomes and revenue then go through `ingest_records` in batches (in that
order), each batch in its own transaction. Last, every ROI window of the tenant is rebuilt (the
same drain as `ledger roi rebuild`), and the gates and ceilings are evaluated as of `now` for
the summary. Everything is deterministic for a given `now` and scale, so seeding the same tenant
again only reports duplicates.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import col, select

from app.db.sessions import TenantSessions
from app.db.tables import Client
from app.demo.agency import (
    BASELINES,
    CEILINGS,
    CLIENTS,
    GATE_ACTOR,
    GATES,
    PRICES,
    WORKFLOWS,
)
from app.demo.generate import Record, generate
from app.demo.segments import declare_segment
from app.domain.roi import WindowTotals, add_totals
from app.services.costs.scope import TimeRange
from app.services.gates.definitions import gates_in_force, set_gate, spec_of
from app.services.gates.readiness import readiness_of
from app.services.ingest import ingest_records
from app.services.ladders.ceilings import ceiling_status, set_cost_ceiling
from app.services.pricing.prices import set_model_price
from app.services.roi.baselines import set_baseline
from app.services.roi.reads import group_totals, unattributed_revenue
from app.services.roi.rebuild import rebuild_tenant
from app.services.tenancy import catalog
from app.services.tenancy.tenants import create_client
from app.services.tenancy.workflows import upsert_workflow

DEFAULT_DAYS = 90
DEFAULT_RUNS_PER_DAY = 150
DEFAULT_BATCH_SIZE = 5_000

# (phase, records done so far, records in all phases)
Progress = Callable[[str, int, int], None]


class SeedError(RuntimeError):
    """The ingest service refused demo records: a bug in the generator or the service."""


@dataclass(frozen=True)
class PhaseCount:
    records: int = 0
    accepted: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class GateVerdict:
    """A demo gate and what readiness answers for it as of the seed's `now`."""

    workflow_key: str
    target_level: int
    version: int
    newly_set: bool  # False: the same definition was already in force
    ready: bool
    status: str
    blockers: tuple[str, ...]


@dataclass(frozen=True)
class CeilingVerdict:
    workflow_key: str
    rung: str
    dimension: str
    value: str
    ceiling: Decimal
    cost_per_rung: Decimal | None
    throttle: bool


@dataclass(frozen=True)
class RoiTotals:
    """ROI over the seeded range, after the rebuild: per workflow, and revenue overall."""

    windows: int
    by_workflow: dict[str, WindowTotals]
    recorded_revenue: Decimal
    unattributed_revenue: Decimal

    @property
    def attributed_revenue(self) -> Decimal:
        return self.recorded_revenue - self.unattributed_revenue


@dataclass
class SeedSummary:
    tenant_id: uuid.UUID
    clients: dict[str, uuid.UUID]
    workflows: tuple[str, ...]
    phases: dict[str, PhaseCount] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    pending_in_hold: int = 0
    reopened: int = 0
    rungs: Counter[tuple[str, str]] = field(default_factory=Counter)  # outcome events sent
    revenue_kinds: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    baselines: int = 0
    ceilings: list[CeilingVerdict] = field(default_factory=list)
    gates: list[GateVerdict] = field(default_factory=list)
    roi: RoiTotals | None = None

    @property
    def accepted(self) -> int:
        return sum(p.accepted for p in self.phases.values())

    @property
    def duplicates(self) -> int:
        return sum(p.duplicates for p in self.phases.values())


async def ensure_clients(*, sessions: TenantSessions, tenant_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The demo clients by name, created when missing (names are unique per tenant)."""
    async with sessions(tenant_id) as session:
        rows = await session.execute(select(Client).where(col(Client.name).in_(list(CLIENTS))))
        found = {client.name: client.client_id for client in rows.scalars()}
        for name in CLIENTS:
            if name not in found:
                client = await create_client(session=session, tenant_id=tenant_id, name=name)
                found[name] = client.client_id
    return {name: found[name] for name in CLIENTS}


async def configure(*, sessions: TenantSessions, tenant_id: uuid.UUID) -> None:
    """Workflows (with ladders and holds), the outreach segment dimension and the price book."""
    async with sessions(tenant_id) as session:
        for profile in WORKFLOWS:
            await upsert_workflow(
                session=session,
                tenant_id=tenant_id,
                key=profile.key,
                name=profile.name,
                division=profile.division,
                acceptance_hold_hours=profile.acceptance_hold_hours,
                ladder=list(profile.ladder) if profile.ladder else None,
            )
        await declare_segment(session=session, tenant_id=tenant_id)
        for price in PRICES:
            await set_model_price(session=session, tenant_id=tenant_id, price=price)


async def configure_controls(
    *, sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime
) -> tuple[int, dict[str, tuple[int, bool]]]:
    """Cost ceilings and baselines (upserts) and autonomy gates: a gate whose definition is
    already in force is left alone, so re-seeding adds no version. Returns the number of
    baselines and, per gated workflow, (version in force, whether this call set it)."""
    gates: dict[str, tuple[int, bool]] = {}
    async with sessions(tenant_id) as session:
        for ceiling in CEILINGS:
            await set_cost_ceiling(
                session=session,
                tenant_id=tenant_id,
                workflow_key=ceiling.workflow_key,
                rung=ceiling.rung,
                dimension=ceiling.dimension,
                value=ceiling.value,
                ceiling=ceiling.ceiling,
            )
        for baseline in BASELINES:
            await set_baseline(
                session=session,
                tenant_id=tenant_id,
                workflow_key=baseline.workflow_key,
                client_id=None,
                revenue_per_success=baseline.revenue_per_success,
                human_cost_per_task=baseline.human_cost_per_task,
            )
        found = await catalog.workflows_by_key(
            session=session, tenant_id=tenant_id, keys=[g.workflow_key for g in GATES]
        )
        in_force = await gates_in_force(
            session=session,
            tenant_id=tenant_id,
            workflow_ids=[w.workflow_id for w in found.values()],
        )
        for gate in GATES:
            current = in_force[found[gate.workflow_key].workflow_id].get(gate.spec.target_level)
            if current is not None and spec_of(current) == gate.spec:
                gates[gate.workflow_key] = (current.version, False)
                continue
            row = await set_gate(
                session=session,
                tenant_id=tenant_id,
                workflow_key=gate.workflow_key,
                spec=gate.spec,
                actor=GATE_ACTOR,
                now=now,
            )
            gates[gate.workflow_key] = (row.version, True)
    return len(BASELINES), gates


async def evaluate_controls(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    now: datetime,
    versions: dict[str, tuple[int, bool]],
) -> tuple[list[CeilingVerdict], list[GateVerdict]]:
    """The demo's ceilings and gates as `costCeilingStatus` and `readiness` show them at `now`."""
    keys = sorted({c.workflow_key for c in CEILINGS} | {g.workflow_key for g in GATES})
    ceilings: list[CeilingVerdict] = []
    gates: list[GateVerdict] = []
    async with sessions(tenant_id) as session:
        found = await catalog.workflows_by_key(session=session, tenant_id=tenant_id, keys=keys)
        for key in sorted({c.workflow_key for c in CEILINGS}):
            states = await ceiling_status(
                session=session, tenant_id=tenant_id, workflow_id=found[key].workflow_id, now=now
            )
            ceilings.extend(
                CeilingVerdict(
                    key, s.rung, s.dimension, s.value, s.ceiling, s.cost_per_rung, s.throttle
                )
                for s in states
            )
        gated = [found[g.workflow_key] for g in GATES]
        verdicts = await readiness_of(
            session=session, tenant_id=tenant_id, workflows=gated, now=now
        )
    for gate, workflow in zip(GATES, gated, strict=True):
        verdict = verdicts[workflow.workflow_id]
        version, newly_set = versions[gate.workflow_key]
        gates.append(
            GateVerdict(
                workflow_key=gate.workflow_key,
                target_level=verdict.target_level or gate.spec.target_level,
                version=version,
                newly_set=newly_set,
                ready=verdict.ready,
                status=verdict.status.value,
                blockers=verdict.blockers,
            )
        )
    return ceilings, gates


RECORDED_REVENUE = "SELECT coalesce(sum(amount), 0) FROM revenue_events WHERE tenant_id = :t"


async def rebuild_roi(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    now: datetime,
    days: int,
    advance: Callable[[int], None] | None = None,
) -> RoiTotals:
    """Recompute every ROI window of the tenant now (as `ledger roi rebuild` does: the
    set-based rebuild, three statements in one transaction; `tests/integration/test_roi_rebuild`
    holds it to the batched drain's rows), then read the seeded range's totals per workflow and
    the revenue no run claims."""
    report = await rebuild_tenant(sessions=sessions, tenant_id=tenant_id, now=now)
    if advance is not None:
        advance(report.windows)
    seeded = TimeRange(now - timedelta(days=days + 1), now + timedelta(days=1))
    async with sessions(tenant_id) as session:
        workflows = await catalog.list_workflows(session=session, tenant_id=tenant_id)
        names = {w.workflow_id: w.key for w in workflows}
        groups: dict[str, list[WindowTotals]] = {}
        for group in await group_totals(session=session, tenant_id=tenant_id, time_range=seeded):
            groups.setdefault(names[group.workflow_id], []).append(group.totals)
        by_workflow = {key: add_totals(totals) for key, totals in groups.items()}
        unclaimed = await unattributed_revenue(
            session=session, tenant_id=tenant_id, time_range=seeded
        )
        recorded = (await session.execute(text(RECORDED_REVENUE), {"t": tenant_id})).scalar_one()
    return RoiTotals(
        windows=report.windows,
        by_workflow=dict(sorted(by_workflow.items())),
        recorded_revenue=Decimal(recorded),
        unattributed_revenue=sum(unclaimed.values(), Decimal(0)),
    )


async def _ingest_phase(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    phase: str,
    records: Sequence[Record],
    batch_size: int,
    done_before: int,
    total: int,
    progress: Progress | None,
) -> PhaseCount:
    accepted = duplicates = 0
    for start in range(0, len(records), batch_size):
        batch = list(records[start : start + batch_size])
        async with sessions(tenant_id) as session:
            outcome = await ingest_records(session=session, tenant_id=tenant_id, records=batch)
            if outcome.errors:
                first = outcome.errors[:3]
                detail = "; ".join(
                    f"{phase}[{start + e.index}].{e.field}: {e.message}" for e in first
                )
                raise SeedError(f"{len(outcome.errors)} demo records refused: {detail}")
        accepted += outcome.accepted
        duplicates += outcome.duplicates
        if progress is not None:
            progress(phase, done_before + start + len(batch), total)
    return PhaseCount(len(records), accepted, duplicates)


async def seed_demo(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    now: datetime,
    days: int = DEFAULT_DAYS,
    runs_per_day: int = DEFAULT_RUNS_PER_DAY,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> SeedSummary:
    """Seed (or re-seed, idempotently) the demo agency into an existing tenant.

    Progress counts records, then the ROI windows rebuilt (phase "roi"), against one total.
    """
    if days < 1 or runs_per_day < 1 or batch_size < 1:
        raise ValueError("days, runs_per_day and batch_size must be positive")
    clients = await ensure_clients(sessions=sessions, tenant_id=tenant_id)
    await configure(sessions=sessions, tenant_id=tenant_id)
    baselines, versions = await configure_controls(sessions=sessions, tenant_id=tenant_id, now=now)
    data = generate(now=now, days=days, runs_per_day=runs_per_day, client_ids=clients)
    summary = SeedSummary(
        tenant_id=tenant_id,
        clients=clients,
        workflows=tuple(p.key for p in WORKFLOWS),
        statuses=data.statuses,
        pending_in_hold=data.pending_in_hold,
        reopened=data.reopened,
        rungs=data.rungs,
        revenue_kinds=data.revenue_kinds,
        baselines=baselines,
    )
    # The windows a rebuild recomputes on a fresh tenant: every (workflow, day) of a run or a
    # usage event. Only an estimate for the progress bar; it is clamped below.
    total = data.total + len(data.roi_pairs)
    if progress is not None:
        progress("runs", 0, total)
    done = 0
    phases = (
        ("runs", data.runs),
        ("usage", data.usage),
        ("labels", data.labels),
        ("outcomes", data.outcomes),
        ("revenue", data.revenue),
    )
    for phase, records in phases:
        summary.phases[phase] = await _ingest_phase(
            sessions=sessions,
            tenant_id=tenant_id,
            phase=phase,
            records=records,
            batch_size=batch_size,
            done_before=done,
            total=total,
            progress=progress,
        )
        done += len(records)

    def advance(windows: int) -> None:
        nonlocal done
        done = min(done + windows, total - 1)
        if progress is not None:
            progress("roi", done, total)

    summary.roi = await rebuild_roi(
        sessions=sessions, tenant_id=tenant_id, now=now, days=days, advance=advance
    )
    summary.ceilings, summary.gates = await evaluate_controls(
        sessions=sessions, tenant_id=tenant_id, now=now, versions=versions
    )
    if progress is not None:
        progress("roi", total, total)
    return summary
