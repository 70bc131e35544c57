"""Small explicit factories for the read tests: rows inserted through a tenant session (RLS on).

They bypass ingest on purpose: the read side is tested against rows whose every value the test
states, not against what another component decided to store.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import SQLModel

from app.db.sessions import TenantSessions
from app.db.tables import Client, LadderRung, ModelPrice, Run, UsageEvent, Workflow

T0 = datetime(2026, 3, 1, tzinfo=UTC)
MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def day(n: int, hours: float = 0) -> datetime:
    """T0 + n days (+ hours): day(0) is 2026-03-01 00:00 UTC."""
    return T0 + timedelta(days=n, hours=hours)


def workflow(tenant_id: uuid.UUID, key: str = "outreach", *, hold_hours: int = 0) -> Workflow:
    return Workflow(
        tenant_id=tenant_id,
        workflow_id=uuid.uuid4(),
        key=key,
        name=key.title(),
        acceptance_hold_hours=hold_hours,
    )


def client(tenant_id: uuid.UUID, name: str = "Acme") -> Client:
    return Client(tenant_id=tenant_id, client_id=uuid.uuid4(), name=name)


def rung(tenant_id: uuid.UUID, wf: Workflow, key: str, position: int) -> LadderRung:
    return LadderRung(
        tenant_id=tenant_id,
        workflow_id=wf.workflow_id,
        key=key,
        name=key.title(),
        position=position,
    )


def run(
    tenant_id: uuid.UUID,
    wf: Workflow,
    correlation_id: str,
    *,
    started_at: datetime = T0,
    status: str = "RUNNING",
    status_at: datetime | None = None,
    client_id: uuid.UUID | None = None,
    **dims: Any,
) -> Run:
    """A run; a non-RUNNING status is set one hour after the start unless `status_at` says."""
    if status != "RUNNING" and status_at is None:
        status_at = started_at + timedelta(hours=1)
    return Run(
        tenant_id=tenant_id,
        correlation_id=correlation_id,
        workflow_id=wf.workflow_id,
        client_id=client_id,
        started_at=started_at,
        ended_at=status_at,
        status=status,
        status_at=status_at,
        **dims,
    )


def usage(
    tenant_id: uuid.UUID,
    wf: Workflow,
    cost: str | Decimal,
    *,
    correlation_id: str | None = None,
    occurred_at: datetime = T0,
    kind: str = "LLM",
    event_id: str | None = None,
    **fields: Any,
) -> UsageEvent:
    return UsageEvent(
        tenant_id=tenant_id,
        event_id=event_id or uuid.uuid4().hex,
        correlation_id=correlation_id,
        workflow_id=wf.workflow_id,
        kind=kind,
        occurred_at=occurred_at,
        cost=Decimal(cost),
        cost_source="reported",
        **fields,
    )


def effort_cohort(
    tenant_id: uuid.UUID,
    wf: Workflow,
    prefix: str,
    cost: str,
    effort: str,
    *,
    accepted: int,
    runs: int = 40,
    run_fields: dict[str, Any] | None = None,
    **usage_fields: Any,
) -> list[SQLModel]:
    """`runs` runs on day 1 named prefix0, prefix1, ...: the first `accepted` ACCEPTED, the
    others REJECTED, each with one usage event of `cost` at reasoning effort `effort`."""
    rows: list[SQLModel] = []
    for i in range(runs):
        status = "ACCEPTED" if i < accepted else "REJECTED"
        rows.append(
            run(
                tenant_id,
                wf,
                f"{prefix}{i}",
                started_at=day(1),
                status=status,
                **(run_fields or {}),
            )
        )
        rows.append(
            usage(
                tenant_id,
                wf,
                cost,
                correlation_id=f"{prefix}{i}",
                occurred_at=day(1),
                reasoning_effort=effort,
                **usage_fields,
            )
        )
    return rows


def model_price(
    tenant_id: uuid.UUID,
    provider: str,
    model: str,
    effective_from: datetime,
    input_rate: str,
    output_rate: str,
    *,
    cache_read_rate: str | None = None,
) -> ModelPrice:
    """A price-book entry: USD per million tokens, in force from `effective_from`."""
    return ModelPrice(
        tenant_id=tenant_id,
        provider=provider,
        model=model,
        effective_from=effective_from,
        input_per_million=Decimal(input_rate),
        output_per_million=Decimal(output_rate),
        cache_read_per_million=Decimal(cache_read_rate) if cache_read_rate is not None else None,
    )


async def insert(sessions: TenantSessions, tenant_id: uuid.UUID, *rows: SQLModel) -> None:
    """Insert rows in one transaction of the tenant, parent tables first.

    The tables declare foreign keys but no ORM relationships, so the unit of work does not order
    them: one flush per table, in the metadata's dependency order.
    """
    order = {table.name: i for i, table in enumerate(SQLModel.metadata.sorted_tables)}
    by_table: dict[str, list[SQLModel]] = {}
    for row in rows:
        by_table.setdefault(row.__tablename__, []).append(row)  # type: ignore[arg-type]
    async with sessions(tenant_id) as session:
        for name in sorted(by_table, key=order.__getitem__):
            session.add_all(by_table[name])
            await session.flush()


async def outreach_tenant(
    make_tenant: Any, sessions: TenantSessions, *, hold_hours: int = 0
) -> tuple[Any, uuid.UUID, Workflow]:
    """A fresh tenant (its handle and its id) with the workflow "outreach", inserted."""
    tenant = await make_tenant()
    wf = workflow(tenant.tenant_id, hold_hours=hold_hours)
    await insert(sessions, tenant.tenant_id, wf)
    return tenant, tenant.tenant_id, wf


async def acme_and_globex(
    make_tenant: Any, sessions: TenantSessions
) -> tuple[Any, uuid.UUID, Workflow, Client, Client]:
    """`outreach_tenant` with two clients, Acme and Globex, inserted."""
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    acme, globex = client(t, "Acme"), client(t, "Globex")
    await insert(sessions, t, acme, globex)
    return tenant, t, wf, acme, globex
