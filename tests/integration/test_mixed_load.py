"""The mixed multi-tenant load harness (bench/load_mixed.py), CI-sized: a real `ledger serve`
subprocess, two tenants ingesting and reading concurrently for a few seconds. No timing is
asserted; what must hold is zero errors and an exact reconciliation per tenant."""

from __future__ import annotations

from decimal import Decimal

from app.settings import Settings
from bench.load_mixed import render, run_load


async def test_mixed_load_has_no_errors_and_reconciles_exactly(migrated: Settings) -> None:
    report = await run_load(migrated, tenants=2, seconds=3, ingest_clients=1, runs_per_batch=5)
    print(render(report))

    assert report.errors == 0, {n: s.error_samples for n, s in report.ops.items()}
    assert all(stats.latencies for stats in report.ops.values())  # every operation ran
    assert len(report.reconciled) == 2
    for r in report.reconciled:
        assert r.runs[0] > 0 and r.runs[0] == r.runs[1], r
        assert r.usage[0] == r.usage[1] == 2 * r.runs[0], r
        sent, stored, graphql = r.cost
        assert sent > Decimal(0) and sent == stored == graphql, r
    assert report.rss_kib and min(report.rss_kib) > 0
    assert report.ok
