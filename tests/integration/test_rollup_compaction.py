"""The worker's rollup compaction (workers/jobs/rollups.py): a real arq worker in burst mode folds
the appended rows of `cohort_days` to one row per bucket, and every bucket still sums to its
recomputation from raw rows (the figures do not move); a second compaction writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.integration.test_gates_worker import run_worker
from tests.integration.test_ingest_events import post
from tests.integration.test_rollups import label, run, setup, usage
from tests.integration.test_rollups_daily import differences

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

SPLIT_BUCKETS = """
SELECT count(*) FROM (
    SELECT 1 FROM cohort_days
    GROUP BY workflow_id, day, client_id, status, all_clients HAVING count(*) > 1) split
"""


async def split_buckets(sessions, tenant_id) -> int:
    async with sessions(tenant_id) as session:
        return int((await session.execute(text(SPLIT_BUCKETS))).scalar_one())


async def test_the_compaction_cron_folds_buckets_without_moving_a_figure(
    migrated, make_tenant, sessions, http
) -> None:
    # Given a bucket written by several statements: a run, then its usage in three batches,
    # then a label that moves it to another status
    t, _, key = await setup(make_tenant, sessions)
    assert (await post(http, key, [run("a", 10), run("b", 20)])).status_code == 200
    for n in range(3):
        batch = [usage(f"a{n}", "a", "0.1000000001", 11 + n), usage(f"b{n}", "b", "2", 21 + n)]
        assert (await post(http, key, batch)).status_code == 200
    assert (await post(http, key, [label("b", "REJECTED", 30)])).status_code == 200
    assert await split_buckets(sessions, t) > 0
    assert await differences(sessions, t) == []

    # When the cron runs in a real worker (it fans out one job per tenant)
    await run_worker(migrated, ("compact_rollups",))

    # Then every bucket is one row, and still equals its recomputation
    assert await split_buckets(sessions, t) == 0
    assert await differences(sessions, t) == []

    # And compacting a compact tenant writes nothing
    async with sessions(t) as session:
        written = (await session.execute(text("SELECT compact_cohort_days()"))).scalar_one()
    assert written == 0
