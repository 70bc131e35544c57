"""Repricing after a price change: the service, the arq job (burst worker, real Redis), the CLI."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from arq import create_pool
from sqlalchemy import text

from app.db.tables import ModelPrice
from app.services.pricing.repricing import reprice_usage
from tests.integration.cli_support import ledger
from tests.integration.reads_factories import day, insert, model_price, usage, workflow
from tests.integration.worker_support import run_burst
from workers.jobs.repricing import reprice, reprice_job_id
from workers.jobs.roi import drain_roi, recompute_roi
from workers.settings import redis_settings, worker_settings

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def price(t: uuid.UUID, when: datetime, rate_in: str, rate_out: str) -> ModelPrice:
    return model_price(t, "openai", "gpt", when, rate_in, rate_out)


async def seed(make_tenant, sessions) -> uuid.UUID:
    """Price v1 from day 0 (in 1, out 2 per M); three events priced at v1 (1M in + 1M out =
    1 + 2 = 3.00 each) on days 1, 5, 9, and one reported-cost event on day 9 (cost 7)."""
    t = (await make_tenant()).tenant_id
    wf = workflow(t)
    rows = [
        usage(
            t,
            wf,
            "3",
            event_id=f"e{n}",
            occurred_at=day(n),
            provider="openai",
            model="gpt",
            input_tokens=1_000_000,
            output_tokens=1_000_000,
        )
        for n in (1, 5, 9)
    ]
    for row in rows:
        row.cost_source, row.price_effective_from = "priced", day(0)
    reported = usage(
        t,
        wf,
        "7",
        event_id="r9",
        occurred_at=day(9),
        provider="openai",
        model="gpt",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
    )
    await insert(sessions, t, wf, price(t, day(0), "1", "2"), *rows, reported)
    return t


async def costs(sessions, t) -> dict[str, tuple[Decimal, datetime | None]]:
    async with sessions(t) as session:
        rows = await session.execute(
            text("SELECT event_id, cost, price_effective_from FROM usage_events ORDER BY 1")
        )
        return {r[0]: (r[1], r[2]) for r in rows}


async def audit(sessions, t) -> list[tuple[str, Decimal, Decimal]]:
    async with sessions(t) as session:
        rows = await session.execute(
            text("SELECT event_id, old_cost, new_cost FROM usage_repricings ORDER BY 1")
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_a_new_price_reprices_exactly_the_events_it_covers(make_tenant, sessions) -> None:
    t = await seed(make_tenant, sessions)
    # v2 from day 4: in 3, out 5 per M → 1M·3/1M + 1M·5/1M = 8.00 for e5 and e9; e1 keeps 3.
    await insert(sessions, t, price(t, day(4), "3", "5"))
    result = await reprice_usage(
        sessions=sessions, tenant_id=t, provider="openai", model="gpt", now=NOW, batch_size=2
    )
    assert (result.examined, result.changed) == (3, 2)
    assert result.windows  # the ROI windows of e5 and e9 were marked dirty
    found = await costs(sessions, t)
    assert found["e1"] == (Decimal("3.0000000000"), day(0))
    assert found["e5"] == (Decimal("8.0000000000"), day(4))
    assert found["e9"] == (Decimal("8.0000000000"), day(4))
    assert found["r9"][0] == Decimal("7.0000000000")  # reported cost: never touched
    assert await audit(sessions, t) == [
        ("e5", Decimal("3.0000000000"), Decimal("8.0000000000")),
        ("e9", Decimal("3.0000000000"), Decimal("8.0000000000")),
    ]
    again = await reprice_usage(
        sessions=sessions, tenant_id=t, provider="openai", model="gpt", now=NOW, batch_size=2
    )
    assert (again.examined, again.changed) == (3, 0)
    assert len(await audit(sessions, t)) == 2


async def test_the_reprice_job_runs_on_a_burst_worker_and_enqueues_roi(
    migrated, make_tenant, sessions
) -> None:
    t = await seed(make_tenant, sessions)
    await insert(sessions, t, price(t, day(4), "3", "5"))
    name = f"arq:test-reprice-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(redis_settings(migrated.redis_url), default_queue_name=name)
    try:
        job = await pool.enqueue_job(
            "reprice", str(t), "openai", "gpt", _job_id=reprice_job_id(t, "openai", "gpt")
        )
        assert job is not None
        worker = await run_burst(
            worker_settings(
                migrated,
                functions=[reprice, recompute_roi, drain_roi],
                cron_jobs=[],
                queue_name=name,
                ctx={"settings": migrated, "clock": lambda: NOW},
            )
        )
        # reprice, then the ROI recompute of the two windows whose cost changed (days 5 and 9)
        assert (worker.jobs_complete, worker.jobs_failed) == (3, 0)
    finally:
        await pool.delete(name)
        await pool.aclose()
    assert (await costs(sessions, t))["e9"][0] == Decimal("8.0000000000")


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize("fmt", ["json", "csv"])
async def test_cli_imports_prices_and_reprices(
    make_tenant,
    sessions,
    tmp_path: Path,
    fmt: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    t = await seed(make_tenant, sessions)
    path = tmp_path / f"prices.{fmt}"
    if fmt == "json":
        path.write_text(
            json.dumps(
                [
                    {
                        "provider": "openai",
                        "model": "gpt",
                        "effectiveFrom": "2026-03-05T00:00:00Z",
                        "inputPerMillion": "3",
                        "outputPerMillion": 5,
                    }
                ]
            )
        )
    else:
        path.write_text(
            "provider,model,effectiveFrom,inputPerMillion,outputPerMillion,cacheReadPerMillion,"
            "cacheWritePerMillion,reasoningPerMillion\n"
            "openai,gpt,2026-03-05T00:00:00+00:00,3,5,,,\n"
        )
    assert await ledger(f"prices import {path} --tenant {t}") == 0
    out = capsys.readouterr()
    assert "openai" in out.out and "repricing openai/gpt: 3 examined, 2 changed" in out.err
    found = await costs(sessions, t)
    assert (found["e1"][0], found["e5"][0]) == (Decimal("3.0000000000"), Decimal("8.0000000000"))


@pytest.mark.usefixtures("cli_env")
async def test_cli_names_the_row_and_field_of_a_bad_rate(
    make_tenant,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    t = (await make_tenant()).tenant_id
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            [
                {
                    "provider": "a",
                    "model": "b",
                    "effectiveFrom": "2026-03-05T00:00:00Z",
                    "inputPerMillion": "1",
                    "outputPerMillion": "1",
                },
                {
                    "provider": "a",
                    "model": "b",
                    "effectiveFrom": "2026-03-05T00:00:00Z",
                    "inputPerMillion": "x",
                    "outputPerMillion": "1",
                },
            ]
        )
    )
    assert await ledger(f"prices import {path} --tenant {t}") != 0
    assert "row 2, field inputPerMillion" in capsys.readouterr().err


async def test_set_model_price_enqueues_one_repricing_job_after_commit(app, make_tenant) -> None:
    """Through GraphQL: the committed price enqueues `reprice:{tenant}:{provider}:{model}`."""
    from workers.jobs.repricing import reprice_job_id

    tenant = await make_tenant()
    mutation = """mutation { setModelPrice(input: {provider: "acme", model: "m-1",
        effectiveFrom: "2026-01-01T00:00:00Z", inputPerMillion: "1", outputPerMillion: "2"}) {
        modelPrice { id } } }"""
    assert (await tenant.gql(mutation))["data"]["setModelPrice"]["modelPrice"]["id"]
    job_id = reprice_job_id(tenant.tenant_id, "acme", "m-1")
    assert await app.state.arq.exists(f"arq:job:{job_id}") == 1
    # Leave no job behind for other tests' burst workers.
    await app.state.arq.zrem("arq:queue", job_id)
    await app.state.arq.delete(f"arq:job:{job_id}")
