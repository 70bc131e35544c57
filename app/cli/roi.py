"""`ledger roi rebuild [--tenant T]` and `ledger worker status`: ROI windows from the shell.

`roi rebuild` marks every window of the tenant (all tenants without `--tenant`) dirty and
recomputes them in this process, re-attributing all revenue: by default set-based, the whole
tenant in one transaction (`app.services.roi.rebuild`); with `--batched`, batch by batch as the
workers drain (`--batch-size` windows per transaction). Both take the tenant's ROI lock, so it
is safe while workers run too (they serialize per tenant). It prints one row per tenant:
markers drained — set-based: the (workflow, day) pairs recomputed, nothing being marked first —,
windows recomputed, rows changed, seconds; a progress bar goes to stderr.

`worker status` prints what waits and what happened: arq's queue length, the last worker
heartbeat, the last ROI job success and failure (from Redis), and per tenant the dirty markers
and windows due for a recheck (from PostgreSQL, through `ledger_dirty_tenants`). It exits 1
when no heartbeat is live or the last ROI job failed after the last success, else 0.
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from arq import create_pool

from app.cli.admin import parse_uuid, require_tenant, tenant_sessions
from app.cli.commands import Commands, command_group
from app.cli.output import CliError, ProgressBar, format_table
from app.cli.servers import load_settings, resolve_servers, run_against
from app.services.gates.evaluations import tenant_ids
from app.services.roi.rebuild import rebuild_tenant
from app.services.roi.recompute import (
    DEFAULT_BATCH_SIZE,
    BatchStats,
    TenantBacklog,
    backlog,
    drain,
    mark_for_rebuild,
)
from app.settings import Settings
from workers.jobs.health import read_heartbeat
from workers.jobs.roi import roi_status
from workers.settings import redis_settings

QUEUE = "arq:queue"


async def rebuild(
    settings: Settings, tenant: uuid.UUID | None, batch_size: int, batched: bool = False
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    async with tenant_sessions(settings) as sessions:
        if tenant is not None:
            await require_tenant(sessions, tenant)
            tenants = [tenant]
        else:
            async with sessions.engine.connect() as connection:
                tenants = await tenant_ids(connection)
        for tenant_id in tenants:
            started = time.monotonic()
            if not batched:  # one transaction: the bar is complete when the tenant is
                done = await rebuild_tenant(
                    sessions=sessions, tenant_id=tenant_id, now=datetime.now(UTC)
                )
                with ProgressBar(done.pairs, str(tenant_id)[:8]) as bar:
                    bar.advance(done.pairs)
                seconds = round(time.monotonic() - started, 2)
                rows.append((str(tenant_id), done.pairs, done.windows, done.changed, seconds))
                continue
            total = await mark_for_rebuild(sessions=sessions, tenant_id=tenant_id)
            with ProgressBar(total, str(tenant_id)[:8]) as bar:

                async def advance(stats: BatchStats, bar: ProgressBar = bar) -> None:
                    bar.advance(stats.markers)

                report = await drain(
                    sessions=sessions,
                    tenant_id=tenant_id,
                    now=datetime.now(UTC),
                    batch_size=batch_size,
                    include_due=True,
                    force=True,
                    after_commit=advance,
                )
            seconds = round(time.monotonic() - started, 2)
            rows.append((str(tenant_id), report.markers, report.windows, report.changed, seconds))
    return rows


def cmd_rebuild(args: argparse.Namespace) -> int:
    tenant = parse_uuid(args.tenant, "--tenant") if args.tenant else None
    if args.batch_size < 1:
        raise CliError("--batch-size must be at least 1")
    settings = resolve_servers(load_settings(), redis=False).settings
    rows = run_against(settings, rebuild(settings, tenant, args.batch_size, args.batched))
    headers = ("tenant", "markers", "windows", "changed", "seconds")
    print(format_table(headers, rows) if rows else "no tenants")
    return 0


async def status(settings: Settings) -> tuple[dict[str, Any], list[TenantBacklog]]:
    assert settings.redis_url
    pool = await create_pool(redis_settings(settings.redis_url))
    try:
        found: dict[str, Any] = {
            "queued": await pool.zcard(QUEUE),
            "heartbeat": await read_heartbeat(pool),
            **(await roi_status(pool)),
        }
    finally:
        await pool.aclose()
    async with tenant_sessions(settings) as sessions, sessions.engine.connect() as connection:
        pending = await backlog(connection, datetime.now(UTC))
    return found, pending


def _at(entry: dict[str, Any] | None) -> str:
    return "never" if entry is None else str(entry.get("at"))


def render_status(found: dict[str, Any], pending: list[TenantBacklog]) -> str:
    beat, success, failure = found["heartbeat"], found["last_success"], found["last_failure"]
    lines = [
        f"queued jobs        {found['queued']:,}",
        f"last heartbeat     {_at(beat)}"
        + (f"  ({beat['host']} pid {beat['pid']})" if beat else ""),
        f"last ROI success   {_at(success)}" + (f"  {success['job']}" if success else ""),
        f"last ROI failure   {_at(failure)}"
        + (f"  {failure['job']}: {failure['error']}" if failure else ""),
        f"dirty windows      {sum(t.dirty for t in pending):,} in {len(pending):,} tenants",
    ]
    if pending:
        rows = [(str(t.tenant_id), t.dirty, t.due) for t in pending]
        lines += ["", format_table(("tenant", "dirty", "due"), rows)]
    return "\n".join(lines)


def cmd_worker_status(args: argparse.Namespace) -> int:
    settings = resolve_servers(load_settings()).settings
    found, pending = run_against(settings, status(settings))
    print(render_status(found, pending))
    success, failure = found["last_success"], found["last_failure"]
    failed_last = failure is not None and (success is None or failure["at"] > success["at"])
    return 1 if found["heartbeat"] is None or failed_last else 0


def register(commands: Commands) -> None:
    roi_commands = command_group(commands, "roi", "ROI windows")
    rebuild_parser = roi_commands.add_parser(
        "rebuild", help="recompute every ROI window (of one tenant, or of all), with progress"
    )
    rebuild_parser.add_argument("--tenant", metavar="TENANT_ID", help="default: every tenant")
    rebuild_parser.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"windows per transaction with --batched (default {DEFAULT_BATCH_SIZE})",
    )
    rebuild_parser.add_argument(
        "--batched",
        action="store_true",
        help="drain in transactions of --batch-size windows instead of one set-based pass",
    )
    rebuild_parser.set_defaults(handler=cmd_rebuild)
