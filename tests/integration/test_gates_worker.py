"""Gate evaluation by a real arq worker (burst mode, real Redis), read back over GraphQL."""

from __future__ import annotations

import uuid

import pytest
from arq import create_pool

from app.settings import Settings
from tests.integration.gates_factories import EXPENSIVE, GREEN, now_utc, seed_workflow
from tests.integration.test_gates_api import SET_GATE, gate_input
from tests.integration.worker_support import run_burst
from workers.jobs.gates import job_id
from workers.settings import redis_settings, worker_settings

# arq 0.28 closes its pools with redis-py's deprecated close(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

EVALUATIONS = """
{ workflow(key: "support") {
    autonomyLevel
    gateEvaluations { targetLevel gateVersion workflowLevel status cost { status observed } }
    autonomyHistory { kind actor fromLevel level reason readiness { cost { status } } }
} }
"""


async def run_worker(settings: Settings, *jobs: tuple[str, ...]) -> None:
    """Enqueue `jobs` (name, *args) and let a burst worker run everything queued."""
    assert settings.redis_url
    pool = await create_pool(redis_settings(settings.redis_url))
    try:
        for name, *args in jobs:
            await pool.enqueue_job(name, *args)
    finally:
        await pool.aclose()
    worker = await run_burst(worker_settings(settings))
    assert worker.jobs_failed == 0


async def test_the_hourly_cron_job_stores_an_evaluation(migrated, make_tenant, sessions) -> None:
    # Given a green workflow with a level-1 gate
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, GREEN, now=now_utc())
    assert "errors" not in await tenant.gql(SET_GATE, gate_input())

    # When the cron job runs in a real worker: it fans out one job per tenant, which run too
    await run_worker(migrated, ("evaluate_gates",))

    # Then the evaluation is stored and readable
    body = await tenant.gql(EVALUATIONS)
    evaluations = body["data"]["workflow"]["gateEvaluations"]
    assert evaluations[0] == {
        "targetLevel": 1,
        "gateVersion": 1,
        "workflowLevel": 0,
        "status": "PASS",
        "cost": {"status": "PASS", "observed": 4.0},
    }
    assert body["data"]["workflow"]["autonomyHistory"] == []  # evaluating never promotes


async def test_k_consecutive_fails_demote_automatically(migrated, make_tenant, sessions) -> None:
    # Given a level-1 workflow now too expensive for its level-1 gate, auto-demoting after 2
    tenant = await make_tenant()
    await seed_workflow(sessions, tenant.tenant_id, EXPENSIVE, now=now_utc(), level=1)
    assert "errors" not in await tenant.gql(SET_GATE, gate_input(autoDemoteAfter=2))
    tenant_job = ("evaluate_tenant_gates", str(tenant.tenant_id))

    # When the worker evaluates once: one FAIL, still level 1
    await run_worker(migrated, tenant_job)
    once = (await tenant.gql(EVALUATIONS))["data"]["workflow"]
    assert once["autonomyLevel"] == 1
    assert [e["status"] for e in once["gateEvaluations"]] == ["FAIL"]

    # When it evaluates again: the second consecutive FAIL demotes to level 0, on record
    await run_worker(migrated, tenant_job)
    twice = (await tenant.gql(EVALUATIONS))["data"]["workflow"]
    assert twice["autonomyLevel"] == 0
    assert [(e["status"], e["workflowLevel"]) for e in twice["gateEvaluations"]] == [
        ("FAIL", 1),
        ("FAIL", 1),
    ]
    assert twice["autonomyHistory"] == [
        {
            "kind": "AUTO_DEMOTED",
            "actor": "system:auto-demotion",
            "fromLevel": 1,
            "level": 0,
            "reason": "2 consecutive FAIL evaluations of the level-1 gate",
            "readiness": {"cost": {"status": "FAIL"}},
        }
    ]


def test_job_ids_coalesce_per_tenant_and_minute() -> None:
    now = now_utc()
    tenant = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert job_id(uuid.UUID(tenant), now) == f"gates:{tenant}:{now.strftime('%Y%m%dT%H%M')}"
