"""The demo seed at a small scale, through the real services into a fresh tenant.

Thirty days at ~20 runs a day: small enough to seed twice in a few seconds, long enough for an
autonomy gate's 30-day window (the cost check needs 7 days of data, drift 10).
"""

from __future__ import annotations

import argparse
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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
from app.db.tables import (
    AutonomyGate,
    CostCeiling,
    ModelPrice,
    OutcomeEvent,
    RevenueAllocation,
    RevenueEvent,
    RoiBaseline,
    RoiDirty,
    RoiWindow,
    Run,
    RunLabel,
    UsageEvent,
    Workflow,
)
from app.demo.agency import CLIENTS, REOPEN_REASON, WORKFLOWS
from app.demo.report import render_details
from app.demo.seed import SeedSummary, seed_demo
from app.domain import usage_findings as usage_rules
from app.domain.effort import LiftVerdict, TierTotals, compare_tiers
from app.domain.finding_thresholds import Thresholds
from app.services.costs.cohorts import CohortQuestion
from app.services.costs.model_mix import effort_slices
from app.services.costs.scope import CostScope, TimeRange
from app.services.decisions.findings import usage_figures
from app.services.gates.readiness import readiness_of
from app.services.ladders.ceilings import ceiling_status
from app.services.ladders.figures import ladder_costs
from app.services.roi.reads import group_totals, unattributed_revenue
from app.services.tenancy import catalog
from app.settings import Settings

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
SMALL = {"days": 30, "runs_per_day": 20, "batch_size": 1_000}
SEEDED = TimeRange(NOW - timedelta(days=SMALL["days"]), NOW)
# ROI windows are UTC days: from the midnight of the first seeded day
SEEDED_DAYS = TimeRange(SEEDED.start.replace(hour=0, minute=0), NOW)
PHASES = ["runs", "usage", "labels", "outcomes", "revenue"]
TABLES = (
    Run,
    UsageEvent,
    RunLabel,
    OutcomeEvent,
    RevenueEvent,
    RevenueAllocation,
    RoiWindow,
    RoiBaseline,
    CostCeiling,
    AutonomyGate,
)
STATUSES = {"RUNNING", "ACCEPTED", "REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR", "ESCALATED"}


async def scalar(session: AsyncSession, statement: Any) -> Any:
    return (await session.execute(statement)).scalar_one()


async def pairs(session: AsyncSession, statement: Any) -> dict[Any, Any]:
    return {key: value for key, value in (await session.execute(statement)).all()}


async def row_counts(sessions: TenantSessions, tenant_id: uuid.UUID) -> dict[str, Any]:
    async with sessions(tenant_id) as session:
        counts: dict[str, Any] = {
            table.__tablename__: await scalar(session, select(func.count()).select_from(table))
            for table in TABLES
        }
        counts["roi revisions"] = await scalar(session, select(func.sum(RoiWindow.revision)))
        return counts


async def assert_every_story_is_told(sessions: TenantSessions, summary: SeedSummary) -> None:
    """Ladders, ceilings, gates and ROI, read back through the services the API uses."""
    tenant_id = summary.tenant_id
    async with sessions(tenant_id) as session:
        found = await catalog.workflows_by_key(
            session=session, tenant_id=tenant_id, keys=[w.key for w in WORKFLOWS]
        )

        # every rung of the outreach and SEO ladders is reached in the seeded range
        for key, rungs in (
            ("outreach", ["accepted", "reply", "positive-reply", "deal", "closed-won"]),
            ("seo-audit", ["accepted", "published", "ranks", "inbound-lead"]),
        ):
            ladder = await ladder_costs(
                session=session,
                tenant_id=tenant_id,
                workflow_id=found[key].workflow_id,
                time_range=SEEDED,
                scope=CostScope(),
                now=NOW,
            )
            assert [r.rung for r in ladder] == rungs
            assert all(r.count > 0 and r.cost_per_rung is not None for r in ladder), ladder

        # outreach's cost per positive reply: LinkedIn over its ceiling, email under it
        states = await ceiling_status(
            session=session, tenant_id=tenant_id, workflow_id=found["outreach"].workflow_id, now=NOW
        )
        throttles = {s.value: s.throttle for s in states}
        assert throttles == {"email": False, "linkedin": True}
        email = next(s for s in states if s.value == "email")
        assert email.cost_per_rung is not None and email.count > 0

        # lead enrichment's level-1 gate is green; outreach's is red, with reasons
        verdicts = await readiness_of(
            session=session,
            tenant_id=tenant_id,
            workflows=[found["lead-enrichment"], found["outreach"]],
            now=NOW,
        )
        ready = verdicts[found["lead-enrichment"].workflow_id]
        assert (ready.target_level, ready.ready, ready.blockers) == (1, True, ())
        assert {ready.quality.status, ready.cost.status, ready.drift.status} == {"PASS"}
        blocked = verdicts[found["outreach"].workflow_id]
        assert blocked.target_level == 1 and not blocked.ready
        assert blocked.quality.status == blocked.cost.status == "FAIL"
        assert len(blocked.blockers) >= 2

        # ROI windows are computed at once: revenue attributed, some left unattributed
        groups = await group_totals(session=session, tenant_id=tenant_id, time_range=SEEDED_DAYS)
        attributed = sum((g.totals.attributed_revenue for g in groups), Decimal(0))
        baseline = sum((g.totals.baseline_revenue for g in groups), Decimal(0))
        assert attributed > 0 and baseline > 0
        unclaimed = await unattributed_revenue(
            session=session, tenant_id=tenant_id, time_range=SEEDED_DAYS
        )
        assert sum(unclaimed.values(), Decimal(0)) > 0
        recorded = await scalar(session, select(func.sum(RevenueEvent.amount)))
        assert attributed + sum(unclaimed.values(), Decimal(0)) == recorded
        assert await scalar(session, select(func.count()).select_from(RoiDirty)) == 0


async def assert_the_decision_stories_are_told(
    sessions: TenantSessions, summary: SeedSummary
) -> None:
    """Effort tiers and findings: high effort ~7x for no proven lift, support re-sending its
    context, SEO audits pasting whole sites (min samples lowered for the small seed)."""
    tenant_id = summary.tenant_id
    async with sessions(tenant_id) as session:
        found = await catalog.workflows_by_key(
            session=session, tenant_id=tenant_id, keys=[w.key for w in WORKFLOWS]
        )
        reporting = found["client-reporting"].workflow_id
        question = CohortQuestion(tenant_id, [reporting], SEEDED, CostScope(), NOW)
        slices = await effort_slices(session=session, question=question)
        economics = compare_tiers(
            [TierTotals(s.value, s.totals) for s in slices[reporting]], min_finished=10
        )
        assert economics.baseline == "medium" and economics.recommended_default == "medium"
        high = next(t for t in economics.tiers if t.tier == "high")
        assert high.cost_multiple is not None and 5 <= high.cost_multiple <= 9, high
        assert high.verdict is LiftVerdict.NOT_DISTINGUISHABLE
        usage = await usage_figures(
            session=session,
            tenant_id=tenant_id,
            workflow_ids=[w.workflow_id for w in found.values()],
            time_range=SEEDED,
            long_context_tokens=200_000,
        )
    limits, month = Thresholds(), 30 * 86_400
    support = usage[found["support-triage"].workflow_id].context
    assert (
        usage_rules.resent_context(
            "support-triage", support, thresholds=limits, range_seconds=month
        )
        is not None
    )
    audits = usage[found["seo-audit"].workflow_id].context
    assert (
        usage_rules.long_context("seo-audit", audits, thresholds=limits, range_seconds=month)
        is not None
    )
    for key in ("outreach", "lead-enrichment", "client-reporting"):
        calm = usage[found[key].workflow_id].context
        assert usage_rules.resent_context(key, calm, thresholds=limits, range_seconds=month) is None
        assert usage_rules.long_context(key, calm, thresholds=limits, range_seconds=month) is None


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

    # Then every record was accepted, in batches, runs first, then the ROI windows were rebuilt,
    # with progress up to the total
    assert set(summary.clients) == set(CLIENTS)
    assert summary.duplicates == 0
    assert summary.accepted == sum(p.records for p in summary.phases.values())
    assert list(summary.phases) == PHASES
    assert all(summary.phases[phase].records > 0 for phase in PHASES)
    assert len(progress) > 5
    assert [phase for phase, _, _ in progress][-1] == "roi"
    assert progress[-1][1] == progress[-1][2] > summary.accepted
    assert [done for _, done, _ in progress] == sorted(done for _, done, _ in progress)

    # and the summary tells each story: every rung reached, one ceiling throttling and one not,
    # one gate ready and one blocked, revenue attributed and unattributed
    outreach_rungs = {rung for (key, rung) in summary.rungs if key == "outreach"}
    assert outreach_rungs == {"reply", "positive-reply", "deal", "closed-won"}
    assert sorted((c.value, c.throttle) for c in summary.ceilings) == [
        ("email", False),
        ("linkedin", True),
    ]
    assert [(g.workflow_key, g.ready, g.newly_set) for g in summary.gates] == [
        ("lead-enrichment", True, True),
        ("outreach", False, True),
    ]
    assert summary.roi is not None and summary.roi.windows > 0
    assert summary.roi.attributed_revenue > 0 and summary.roi.unattributed_revenue > 0
    assert {"deal_won", "retainer", "referral_deal"} <= set(summary.revenue_kinds)
    assert "THROTTLE" in render_details(summary)
    await assert_every_story_is_told(sessions, summary)
    await assert_the_decision_stories_are_told(sessions, summary)

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
            select(
                UsageEvent.kind, func.string_agg(UsageEvent.cost_source.distinct(), ",")
            ).group_by(UsageEvent.kind),
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

    # Then it only reports duplicates and writes nothing new: no gate version, no ROI revision
    assert again.accepted == 0
    assert again.duplicates == summary.accepted
    assert again.clients == summary.clients
    assert [g.newly_set for g in again.gates] == [False, False]
    assert again.roi == summary.roi
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
