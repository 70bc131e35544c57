"""The ledger under the Collector's retry semantics (tests/integration/collector_retry.py):
a 429 or 503 with Retry-After is retried no sooner than asked and then stored exactly once; a
permanent error is not retried; partial success is a warning the Collector logs, not a retry.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import text

from app.db.sessions import TenantSessions, create_engine
from app.ingest.otlp import MAX_CONCURRENT_EXPORTS, ExportSlots
from tests.integration.collector_retry import CollectorExporter
from tests.integration.otlp_support import new_id, otlp_tenant, run_of, serve
from tests.integration.test_otlp_provider_calls import (
    FULL_COST,
    OPENLLMETRY_SPAN,
    export_body,
    ids,
    trace_of,
)


@pytest.fixture(scope="session")
async def live(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def collector(live: httpx.AsyncClient, key: str, sleep) -> CollectorExporter:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    return CollectorExporter(live, headers, sleep)


async def test_a_429_is_retried_after_retry_after_and_stored_once(
    make_tenant, sessions, live, app
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, a, _ = ids()
    body = export_body([(trace_of(a), a, OPENLLMETRY_SPAN)], run)
    app.state.otlp_export_slots = ExportSlots(0)  # the ledger is saturated

    async def load_passes(delay: float) -> None:
        app.state.otlp_export_slots = ExportSlots(MAX_CONCURRENT_EXPORTS)

    exporter = collector(live, t.ingest_key, load_passes)
    try:
        outcome = await exporter.export(body)
    finally:
        app.state.otlp_export_slots = ExportSlots(MAX_CONCURRENT_EXPORTS)

    assert outcome == "sent"
    assert [a.status for a in exporter.attempts] == [429, 200]
    assert exporter.attempts[0].waited is not None and exporter.attempts[0].waited >= 1
    stored = await run_of(t.handle, run)
    assert stored is not None and [Decimal(u["cost"]) for u in stored["usage"]] == [FULL_COST]


async def test_a_503_is_retried_no_sooner_than_retry_after_and_stored_once(
    make_tenant, sessions, live, app, migrated
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, a, _ = ids()
    body = export_body([(trace_of(a), a, OPENLLMETRY_SPAN)], run)
    engine = create_engine(migrated, pool_size=1, max_overflow=0, pool_timeout=0.2)
    tiny = TenantSessions(engine)
    app.state.sessions = tiny
    busy = tiny(t.handle.tenant_id)
    held = await busy.__aenter__()  # the pool's only connection is taken: the store gets 503
    await held.execute(text("SELECT 1"))

    async def database_recovers(delay: float) -> None:
        app.state.sessions = sessions
        await busy.__aexit__(None, None, None)

    exporter = collector(live, t.ingest_key, database_recovers)
    try:
        outcome = await exporter.export(body)
    finally:
        app.state.sessions = sessions
        await engine.dispose()

    assert outcome == "sent"
    assert [a.status for a in exporter.attempts] == [503, 200]
    assert exporter.attempts[0].waited is not None and exporter.attempts[0].waited >= 5
    stored = await run_of(t.handle, run)
    assert stored is not None and [Decimal(u["cost"]) for u in stored["usage"]] == [FULL_COST]


async def test_permanent_errors_are_not_retried(make_tenant, sessions, live) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    waits: list[float] = []

    async def sleep(delay: float) -> None:
        waits.append(delay)

    bad_body = collector(live, t.ingest_key, sleep)
    assert await bad_body.export(b"{not json") == "dropped"
    wrong_key = collector(live, f"olk_{new_id()}", sleep)
    assert await wrong_key.export(b"{}") == "dropped"
    assert [a.status for a in bad_body.attempts + wrong_key.attempts] == [400, 401]
    assert waits == []


async def test_partial_success_is_a_logged_warning_not_a_retry(make_tenant, sessions, live) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, a, b = ids()
    body = export_body(
        [(trace_of(a), a, OPENLLMETRY_SPAN), (trace_of(b), b, {"gen_ai.operation.name": "chat"})],
        run,
    )

    async def sleep(delay: float) -> None:
        raise AssertionError("no retry expected")

    exporter = collector(live, t.ingest_key, sleep)
    assert await exporter.export(body) == "sent"
    assert len(exporter.attempts) == 1
    assert "nothing to meter" in exporter.warnings[0]
    # a resend (the Collector's queue replaying after a restart) charges nothing more
    assert await exporter.export(body) == "sent"
    stored = await run_of(t.handle, run)
    assert stored is not None and [Decimal(u["cost"]) for u in stored["usage"]] == [FULL_COST]
