"""Getting the demo tenant ready: reuse or seed it, then mint tokens and an ingest API key.

The demo tenant id is kept in `<data dir>/demo.json` (with the database it lives in), so a second
`ledger demo` reuses the seeded data; `--reset` seeds a fresh tenant. API keys are shown once, so
each start issues a new one and revokes the previous demo key.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.cli.output import ProgressBar, format_table
from app.db.sessions import tenant_sessions
from app.demo.agency import TENANT_NAME
from app.demo.report import render_details
from app.demo.seed import Progress, SeedSummary, ensure_clients, seed_demo
from app.services.tenancy.tenants import (
    create_api_key,
    create_tenant,
    revoke_api_key,
    tenant_exists,
)
from app.settings import Settings

TOKEN_TTL = timedelta(days=7)
VIEWER_CLIENT = "Northwind Dental"
STATE_FILE = "demo.json"


@dataclass
class DemoAccess:
    tenant_id: uuid.UUID
    viewer_client_id: uuid.UUID
    owner_token: str
    viewer_token: str
    api_key: str


# --- state ----------------------------------------------------------------------------------


def _database_identity(settings: Settings) -> str:
    assert settings.database_url
    return make_url(settings.database_url).render_as_string(hide_password=True)


def read_state(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2) + "\n")


# --- seeding --------------------------------------------------------------------------------


def print_summary(summary: SeedSummary, seconds: float) -> None:
    rows = [
        (phase, count.records, count.accepted, count.duplicates)
        for phase, count in summary.phases.items()
    ]
    print(format_table(("records", "sent", "accepted", "duplicates"), rows))
    print()
    order = ("ACCEPTED", "REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR", "ESCALATED", "RUNNING")
    total = sum(summary.statuses.values()) or 1
    status_rows = [
        (status, summary.statuses[status], f"{100 * summary.statuses[status] / total:.1f}%")
        for status in order
    ]
    print(format_table(("run status", "runs", "share"), status_rows))
    print()
    print(render_details(summary))
    print(
        f"\n{len(summary.clients)} clients, {len(summary.workflows)} workflows; "
        f"{summary.pending_in_hold} support acceptances still inside their 48 h hold, "
        f"{summary.reopened} revoked by a reopen; seeded in {seconds:.1f} s"
    )


def _progress_printer() -> Progress:
    bar: ProgressBar | None = None

    def report(phase: str, done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(total, phase)
        bar.advance(done - bar.done, label=phase)
        if done >= total:
            bar.close()

    return report


async def prepare(settings: Settings, args: argparse.Namespace) -> DemoAccess:
    """Reuse or seed the demo tenant, then mint tokens and a fresh ingest API key."""
    state_path = settings.data_dir / STATE_FILE
    state = read_state(state_path)
    async with tenant_sessions(settings, pool_size=2, max_overflow=0) as sessions:
        tenant_id: uuid.UUID | None = None
        same_database = state.get("database") == _database_identity(settings)
        if not args.reset and same_database and state.get("tenant_id"):
            candidate = uuid.UUID(state["tenant_id"])
            if await tenant_exists(sessions=sessions, tenant_id=candidate):
                tenant_id = candidate
                print(
                    f"reusing the demo tenant {tenant_id} seeded {state.get('seeded_at', '?')} "
                    "(pass --reset for a fresh one)"
                )
        if tenant_id is None:
            tenant_id = await create_tenant(sessions=sessions, name=TENANT_NAME)
            print(
                f"seeding demo tenant {tenant_id}: {args.days} days, "
                f"~{args.runs_per_day} runs a day ..."
            )
            started = time.monotonic()
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            summary = await seed_demo(
                sessions=sessions,
                tenant_id=tenant_id,
                now=now,
                days=args.days,
                runs_per_day=args.runs_per_day,
                progress=_progress_printer(),
            )
            print_summary(summary, time.monotonic() - started)
            state = {
                "tenant_id": str(tenant_id),
                "database": _database_identity(settings),
                "seeded_at": now.isoformat(),
            }
        clients = await ensure_clients(sessions=sessions, tenant_id=tenant_id)
        # A key is shown once: issue a fresh one per start and revoke the previous demo key.
        if state.get("api_key_id") and state.get("tenant_id") == str(tenant_id):
            await revoke_api_key(
                sessions=sessions, tenant_id=tenant_id, key_id=uuid.UUID(state["api_key_id"])
            )
        issued = await create_api_key(
            sessions=sessions, tenant_id=tenant_id, name="demo ingest", scopes=["ingest"]
        )
        state["api_key_id"] = str(issued.key_id)
        write_state(state_path, state)
    ttl = int(TOKEN_TTL.total_seconds())
    viewer_client = clients[VIEWER_CLIENT]
    return DemoAccess(
        tenant_id=tenant_id,
        viewer_client_id=viewer_client,
        owner_token=issue_token(settings, tenant_id=tenant_id, role=Role.OWNER, ttl_seconds=ttl),
        viewer_token=issue_token(
            settings,
            tenant_id=tenant_id,
            role=Role.CLIENT_VIEWER,
            client_id=viewer_client,
            ttl_seconds=ttl,
        ),
        api_key=issued.key,
    )
