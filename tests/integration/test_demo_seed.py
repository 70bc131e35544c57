"""The demo seed at a small scale, through the real ingest service into a fresh tenant."""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.authenticate import Authenticator
from app.auth.errors import AuthenticationFailed
from app.auth.principal import Role, Scope
from app.auth.tokens import TokenVerifier
from app.cli.demo_setup import prepare
from app.db.sessions import TenantSessions
from app.db.tables import ModelPrice, Run, RunLabel, UsageEvent, Workflow
from app.demo.agency import CLIENTS, REOPEN_REASON, WORKFLOWS
from app.demo.seed import seed_demo
from app.settings import Settings

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
SMALL = {"days": 3, "runs_per_day": 20, "batch_size": 150}
STATUSES = {"RUNNING", "ACCEPTED", "REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR", "ESCALATED"}


async def scalar(session: AsyncSession, statement: Any) -> Any:
    return (await session.execute(statement)).scalar_one()


async def pairs(session: AsyncSession, statement: Any) -> dict[Any, Any]:
    return {key: value for key, value in (await session.execute(statement)).all()}


async def row_counts(sessions: TenantSessions, tenant_id: uuid.UUID) -> dict[str, int]:
    async with sessions(tenant_id) as session:
        return {
            table.__tablename__: await scalar(session, select(func.count()).select_from(table))
            for table in (Run, UsageEvent, RunLabel)
        }


async def test_small_seed_covers_every_story_and_replays_as_duplicates(
    make_tenant, sessions: TenantSessions
) -> None:
    # Given a fresh tenant
    tenant = await make_tenant("Seed Test Agency")
    progress: list[tuple[str, int, int]] = []

    # When the demo is seeded at a small scale
    summary = await seed_demo(
        sessions=sessions,
        tenant_id=tenant.tenant_id,
        now=NOW,
        progress=lambda phase, done, total: progress.append((phase, done, total)),
        **SMALL,
    )

    # Then every record was accepted, in batches, runs first, with progress up to the total
    assert set(summary.clients) == set(CLIENTS)
    assert summary.duplicates == 0
    assert summary.accepted == sum(p.records for p in summary.phases.values())
    assert list(summary.phases) == ["runs", "usage", "labels"]
    assert len(progress) > 3
    assert progress[-1][1] == progress[-1][2] == summary.accepted

    async with sessions(tenant.tenant_id) as session:
        # every status appears, as the ingest service derives it from the labels
        statuses = await pairs(session, select(Run.status, func.count()).group_by(Run.status))
        assert set(statuses) == STATUSES
        assert statuses == dict(summary.statuses)

        # support tickets reopened inside their 48 h hold
        reopened = select(func.count()).where(RunLabel.reason == REOPEN_REASON)
        assert await scalar(session, reopened) == summary.reopened >= 2
        assert summary.pending_in_hold >= 1

        # LLM usage priced from the price book, with cache and reasoning tokens
        llm = (
            await session.execute(
                select(
                    func.sum(UsageEvent.cache_read_tokens),
                    func.sum(UsageEvent.cache_write_tokens),
                    func.sum(UsageEvent.reasoning_tokens),
                    func.min(UsageEvent.cost),
                ).where(UsageEvent.kind == "LLM")
            )
        ).one()
        assert all(value > 0 for value in llm)
        cost_sources = await pairs(
            session,
            select(UsageEvent.kind, func.string_agg(UsageEvent.cost_source.distinct(), ","))
            .group_by(UsageEvent.kind),
        )
        assert cost_sources == {
            "LLM": "priced",
            "TOOL": "reported",
            "RETRIEVAL": "reported",
            "THIRD_PARTY": "reported",
            "INFRA": "reported",
        }
        infra = select(func.count()).where(
            UsageEvent.kind == "INFRA", UsageEvent.correlation_id.is_(None)
        )
        assert await scalar(session, infra) >= len(WORKFLOWS)

        # the configuration the stories need
        holds = await pairs(session, select(Workflow.key, Workflow.acceptance_hold_hours))
        assert holds["support-triage"] == 48
        assert set(holds) == {w.key for w in WORKFLOWS}
        assert await scalar(session, select(func.count()).select_from(ModelPrice)) == 4
        variants = select(Run.variant).where(Run.variant.is_not(None)).distinct()
        assert set((await session.execute(variants)).scalars()) == {"sonnet", "haiku"}
    before = await row_counts(sessions, tenant.tenant_id)

    # When the same seed runs again for the same tenant
    again = await seed_demo(sessions=sessions, tenant_id=tenant.tenant_id, now=NOW, **SMALL)

    # Then it only reports duplicates and writes nothing new
    assert again.accepted == 0
    assert again.duplicates == summary.accepted
    assert again.clients == summary.clients
    assert await row_counts(sessions, tenant.tenant_id) == before


async def test_demo_reuses_its_tenant_and_rotates_the_ingest_key(
    migrated: Settings, sessions: TenantSessions, tmp_path: Path
) -> None:
    # Given a data directory without demo state
    settings = migrated.model_copy(update={"data_dir": tmp_path})
    args = argparse.Namespace(reset=False, days=2, runs_per_day=10)
    authenticator = Authenticator(TokenVerifier(settings), sessions)

    # When the demo starts twice
    first = await prepare(settings, args)
    second = await prepare(settings, args)

    # Then the second start reuses the seeded tenant, with working tokens for it
    assert second.tenant_id == first.tenant_id
    assert json.loads((tmp_path / "demo.json").read_text())["tenant_id"] == str(first.tenant_id)
    owner = await authenticator.authenticate(f"Bearer {second.owner_token}")
    assert (owner.tenant_id, owner.role) == (first.tenant_id, Role.OWNER)
    viewer = await authenticator.authenticate(f"Bearer {second.viewer_token}")
    assert viewer.client_id == second.viewer_client_id
    # and only the newest ingest key works
    assert (await authenticator.authenticate(None, api_key=second.api_key)).can(Scope.INGEST)
    with pytest.raises(AuthenticationFailed):
        await authenticator.authenticate(None, api_key=first.api_key)

    # When asked to reset, it seeds a fresh tenant
    fresh = await prepare(settings, argparse.Namespace(reset=True, days=2, runs_per_day=10))
    assert fresh.tenant_id != first.tenant_id
