"""`ledger gate status WORKFLOW [--tenant T] [--json]`: the autonomy gate, for CI pipelines.

Evaluates the workflow's readiness for its next level now (the same answer as the GraphQL
`autonomyReadiness`), prints one row per check and the blockers, and exits

- 0 when the workflow is ready (quality, cost and drift all PASS),
- 1 when it is not (a check FAILed or lacks data, or no gate is defined for the next level),
- 2 on any error (unknown tenant or workflow, bad arguments, unreachable database),

so a pipeline can write `ledger gate status support && widen-scope`. The tenant is `--tenant`,
else `$LEDGER_TENANT`, else the only tenant of the database.
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from app.cli.admin import parse_uuid, require_tenant, tenant_sessions
from app.cli.commands import Commands, command_group
from app.cli.output import USAGE_ERROR, CliError, format_table, usage_error
from app.cli.servers import load_settings, resolve_servers, run_against
from app.domain.gates import GateCheck
from app.domain.readiness import Readiness
from app.services.gates.evaluations import tenant_ids
from app.services.gates.readiness import readiness_of
from app.services.gates.readiness_json import readiness_to_json
from app.services.tenancy import catalog
from app.settings import Settings

READY, NOT_READY = 0, 1
HEADERS = ("check", "status", "observed", "bound", "threshold", "sample", "detail")


async def _only_tenant(engine: AsyncEngine) -> uuid.UUID:
    async with engine.connect() as connection:
        ids = await tenant_ids(connection)
    if len(ids) != 1:
        raise usage_error(
            f"the database holds {len(ids)} tenants: say which one",
            "pass --tenant TENANT_ID (or set LEDGER_TENANT)",
        )
    return ids[0]


async def evaluate(settings: Settings, tenant: uuid.UUID | None, key: str) -> Readiness:
    """The workflow's readiness now, read through the application role (RLS applies)."""
    async with tenant_sessions(settings) as sessions:
        tenant_id = tenant or await _only_tenant(sessions.engine)
        await require_tenant(sessions, tenant_id)
        async with sessions(tenant_id) as session:
            found = await catalog.workflows_by_key(session=session, tenant_id=tenant_id, keys=[key])
            workflow = found.get(key)
            if workflow is None:
                raise CliError(
                    f"no workflow {key!r} in tenant {tenant_id}",
                    "check the key (GraphQL `workflows { key }` lists them)",
                )
            verdicts = await readiness_of(
                session=session, tenant_id=tenant_id, workflows=[workflow], now=datetime.now(UTC)
            )
    return verdicts[workflow.workflow_id]


def _number(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.4g}")


def _row(name: str, check: GateCheck) -> tuple[object, ...]:
    return (
        name,
        check.status.value,
        _number(check.observed),
        _number(check.bound),
        _number(check.threshold),
        check.sample_size,
        check.detail,
    )


def render(readiness: Readiness) -> str:
    target = readiness.target_level
    verdict = "READY" if readiness.ready else "NOT READY"
    towards = (
        f"level {readiness.current_level} -> {target}"
        if target is not None
        else (f"level {readiness.current_level} (no gate for level {readiness.current_level + 1})")
    )
    rows = [
        _row("quality", readiness.quality),
        _row("cost", readiness.cost),
        _row("drift", readiness.drift),
    ]
    lines = [f"{readiness.workflow_key}: {towards}: {verdict}", "", format_table(HEADERS, rows)]
    if readiness.blockers:
        lines += ["", "blockers:", *(f"  - {blocker}" for blocker in readiness.blockers)]
    return "\n".join(lines)


def cmd_gate_status(args: argparse.Namespace) -> int:
    try:
        tenant = parse_uuid(args.tenant, "--tenant") if args.tenant else None
        settings = resolve_servers(load_settings(), redis=False, quiet=args.json).settings
        readiness = run_against(settings, evaluate(settings, tenant, args.workflow))
    except CliError as error:
        error.exit_code = USAGE_ERROR  # any error is 2: 1 means "not ready"
        raise
    if args.json:
        print(json.dumps(readiness_to_json(readiness), indent=2))
    else:
        print(render(readiness))
    return READY if readiness.ready else NOT_READY


def register(commands: Commands) -> None:
    gate_commands = command_group(commands, "gate", "autonomy gates")
    status = gate_commands.add_parser(
        "status",
        help="is WORKFLOW ready for its next autonomy level? exit 0 ready, 1 not, 2 error",
    )
    status.add_argument("workflow", metavar="WORKFLOW", help="the workflow's key")
    status.add_argument(
        "--tenant",
        metavar="TENANT_ID",
        default=os.environ.get("LEDGER_TENANT"),
        help="default: $LEDGER_TENANT, else the only tenant of the database",
    )
    status.add_argument("--json", action="store_true", help="print the readiness as JSON")
    status.set_defaults(handler=cmd_gate_status)
