"""Seed the demo agency into a tenant through the same services the API uses.

Clients, workflows and prices are upserted; runs, usage and labels go through `ingest_records`
in batches (runs first, then usage, then labels), each batch in its own transaction. Everything
is deterministic for a given `now` and scale, so seeding the same tenant again only reports
duplicates.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import col, select

from app.db.sessions import TenantSessions
from app.db.tables import Client
from app.demo.agency import CLIENTS, PRICES, PRICES_EFFECTIVE_FROM, WORKFLOWS
from app.demo.generate import Record, generate
from app.domain.pricing import Price
from app.services.ingest import ingest_records
from app.services.prices import set_model_price
from app.services.tenants import create_client
from app.services.workflows import upsert_workflow

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


@dataclass
class SeedSummary:
    tenant_id: uuid.UUID
    clients: dict[str, uuid.UUID]
    workflows: tuple[str, ...]
    phases: dict[str, PhaseCount] = field(default_factory=dict)
    statuses: Counter[str] = field(default_factory=Counter)
    pending_in_hold: int = 0
    reopened: int = 0

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
    """Workflows (with ladders and holds) and the price book."""
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
        for price in PRICES:
            await set_model_price(
                session=session,
                tenant_id=tenant_id,
                price=Price(
                    price.provider,
                    price.model,
                    PRICES_EFFECTIVE_FROM,
                    price.input_per_million,
                    price.output_per_million,
                    cache_read_per_million=price.cache_read_per_million,
                    cache_write_per_million=price.cache_write_per_million,
                    reasoning_per_million=price.reasoning_per_million,
                ),
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
    """Seed (or re-seed, idempotently) the demo agency into an existing tenant."""
    if days < 1 or runs_per_day < 1 or batch_size < 1:
        raise ValueError("days, runs_per_day and batch_size must be positive")
    clients = await ensure_clients(sessions=sessions, tenant_id=tenant_id)
    await configure(sessions=sessions, tenant_id=tenant_id)
    data = generate(now=now, days=days, runs_per_day=runs_per_day, client_ids=clients)
    summary = SeedSummary(
        tenant_id=tenant_id,
        clients=clients,
        workflows=tuple(p.key for p in WORKFLOWS),
        statuses=data.statuses,
        pending_in_hold=data.pending_in_hold,
        reopened=data.reopened,
    )
    if progress is not None:
        progress("runs", 0, data.total)
    done = 0
    for phase, records in (("runs", data.runs), ("usage", data.usage), ("labels", data.labels)):
        summary.phases[phase] = await _ingest_phase(
            sessions=sessions,
            tenant_id=tenant_id,
            phase=phase,
            records=records,
            batch_size=batch_size,
            done_before=done,
            total=data.total,
            progress=progress,
        )
        done += len(records)
    return summary
