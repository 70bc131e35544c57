"""`ledger roi rebuild` and `ledger worker status`, in-process against the test servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from arq import create_pool

from app.db.sessions import raw_connection
from app.services.roi.dirty import mark_runs
from tests.integration.cli_support import ledger
from tests.integration.reads_factories import client, day, insert, run, workflow
from tests.integration.roi_helpers import fetch, window_rows
from workers.jobs.health import HEARTBEAT_KEY
from workers.jobs.roi import FAILURE_KEY, SUCCESS_KEY
from workers.settings import redis_settings

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


async def test_rebuild_recomputes_a_tenants_windows_with_progress(
    cli_env, sessions, make_tenant, capsys
):
    t = (await make_tenant()).tenant_id
    wf, acme = workflow(t), client(t)
    await insert(
        sessions,
        t,
        wf,
        acme,
        *[run(t, wf, f"r{d}", started_at=day(d), client_id=acme.client_id) for d in range(4)],
    )

    assert await ledger(f"roi rebuild --tenant {t} --batch-size 2") == 0

    out, err = capsys.readouterr()
    assert [w["cohort_day"] for w in await window_rows(sessions, t)] == [
        day(d).date() for d in range(4)
    ]
    row = next(line for line in out.splitlines() if line.startswith(str(t)))
    assert row.split()[1:4] == ["4", "4", "4"]  # markers, windows, changed
    assert "100.0%" in err and "4/4" in err  # the progress bar, on stderr
    # A second rebuild finds nothing to change.
    assert await ledger(f"roi rebuild --tenant {t}") == 0
    again = next(line for line in capsys.readouterr().out.splitlines() if str(t) in line)
    assert again.split()[1:4] == ["4", "4", "0"]


async def test_rebuild_refuses_an_unknown_tenant(cli_env, capsys):
    assert await ledger("roi rebuild --tenant 00000000-0000-4000-8000-00000000abcd") == 1
    assert "no tenant" in capsys.readouterr().err


async def test_worker_status_shows_backlog_heartbeat_and_the_last_failure(
    cli_env, sessions, make_tenant, capsys
):
    t = (await make_tenant()).tenant_id
    wf = workflow(t)
    await insert(sessions, t, wf, run(t, wf, "r1"), run(t, wf, "r2", started_at=day(1)))
    async with sessions(t) as session:
        await mark_runs(await raw_connection(session), t, ["r1", "r2"])
    pool = await create_pool(redis_settings(cli_env.redis_url))
    try:
        now = datetime.now(UTC).isoformat()
        failure = {"at": now, "job": f"roi:{t}:drain", "error": "RuntimeError('boom')"}
        await pool.set(HEARTBEAT_KEY, json.dumps({"at": now, "host": "test", "pid": 1}))
        await pool.set(SUCCESS_KEY, json.dumps({"at": "2026-01-01T00:00:00+00:00", "job": "x"}))
        await pool.set(FAILURE_KEY, json.dumps(failure))

        code = await ledger("worker status")
    finally:
        await pool.delete(SUCCESS_KEY, FAILURE_KEY, HEARTBEAT_KEY)
        await pool.aclose()

    out = capsys.readouterr().out
    assert code == 1  # a worker is alive, but the last ROI job failed after the last success
    assert "(test pid 1)" in out
    assert f"roi:{t}:drain: RuntimeError('boom')" in out
    assert "queued jobs" in out and "last heartbeat" in out
    mine = next(line for line in out.splitlines() if line.startswith(str(t)))
    assert mine.split()[1:] == ["2", "0"]  # two dirty windows, none due
    assert len(await fetch(sessions, t, "SELECT * FROM roi_dirty")) == 2  # status only reads
