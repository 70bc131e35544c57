"""`ledger serve --workers 2`, a real subprocess against the test servers: both worker processes
start, requests are answered (health, GraphQL, ingest), the ingest rate limit is one per tenant
across the workers (Redis), and SIGTERM stops the workers and the parent, which exits 0."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import httpx

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.settings import Settings
from bench.common import free_port, make_tenant, spawn_api, wait_until_serving


def workers_of(pid: int) -> list[int]:
    """The spawned worker processes of `pid` (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if parent == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def event(i: int) -> dict[str, object]:
    return {
        "type": "usage",
        "eventId": f"workers-{i}",
        "correlationId": "workers-run",
        "workflowKey": "outreach",
        "kind": "LLM",
        "occurredAt": "2026-10-01T00:00:00+00:00",
        "provider": "anthropic",
        "model": "claude-sonnet-4",
        "inputTokens": 100,
        "outputTokens": 10,
    }


async def test_serve_with_two_workers_answers_and_stops_on_sigterm(migrated: Settings) -> None:
    tenant = await make_tenant(migrated, "serve workers")
    # Issued before the server starts, so that it reads the same signing key.
    token = issue_token(migrated, tenant_id=tenant.tenant_id, role=Role.OWNER)
    port = free_port()
    limits = {"LEDGER_INGEST_RATE_PER_SECOND": "1", "LEDGER_INGEST_RATE_BURST": "2"}
    process = spawn_api(migrated, port, extra_env=limits, workers=2)
    base = f"http://127.0.0.1:{port}"
    workers: list[int] = []
    try:
        await asyncio.to_thread(wait_until_serving, base, process)
        workers = workers_of(process.pid)
        assert len(workers) == 2, workers

        ingest = {"Authorization": f"Bearer {tenant.api_key}", "Content-Type": "application/json"}
        fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection for every request:
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=fresh) as client:
            for _ in range(4):  # either worker may take each one
                assert (await client.get("/healthz")).status_code == 200
                answer = await client.post(
                    "/graphql",
                    json={"query": "{ workflows { key } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 200, answer.text
                assert answer.json()["data"]["workflows"] == [{"key": "outreach"}]
            statuses = [
                (
                    await client.post("/v1/events", content=json.dumps([event(i)]), headers=ingest)
                ).status_code
                for i in range(8)
            ]
        # One bucket in Redis for the tenant, whichever process answered: a burst of 2 records,
        # then one a second (8 requests in under 6 s meet the limit).
        assert statuses[:2] == [200, 200], statuses
        assert 429 in statuses, statuses

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert not any(alive(pid) for pid in workers)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for pid in workers:  # only after a failure: no orphan keeps the port
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
