"""`ledger tenant create`, `ledger token create`, `ledger apikey create|revoke`.

Every command that creates a credential or an id prints it as the last word of its output, so a
script can take it with `awk '{print $NF}'` (or `| tail -n1`).
"""

from __future__ import annotations

import argparse
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.cli.commands import Commands, command_group, subcommand
from app.cli.output import CliError, usage_error
from app.cli.servers import load_settings, resolve_servers, run_against
from app.db import sessions as db_sessions
from app.db.sessions import TenantSessions
from app.services.tenancy.tenants import (
    create_api_key,
    create_tenant,
    parse_scopes,
    revoke_api_key,
    tenant_exists,
)
from app.settings import Settings

TTL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TTL_PATTERN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
TOKEN_ROLES = tuple(role.value for role in Role if role is not Role.API_KEY)


def parse_ttl(text: str) -> int:
    """'30m', '1h', '7d' (or '45s') -> seconds."""
    match = TTL_PATTERN.match(text.lower())
    if not match or int(match.group(1)) == 0:
        raise usage_error(
            f"--ttl {text!r} is not a duration", "write a positive number and a unit: 30m, 1h, 7d"
        )
    return int(match.group(1)) * TTL_UNITS[match.group(2)]


def parse_uuid(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise usage_error(
            f"{what} {text!r} is not a UUID",
            f"pass the id printed when the {what.lstrip('-')} was created",
        ) from None


def tenant_sessions(settings: Settings) -> AbstractAsyncContextManager[TenantSessions]:
    """Sessions on the application role (row-level security applies), for one short command."""
    return db_sessions.tenant_sessions(settings, pool_size=1, max_overflow=0)


async def require_tenant(sessions: TenantSessions, tenant_id: uuid.UUID) -> None:
    if not await tenant_exists(sessions=sessions, tenant_id=tenant_id):
        raise CliError(
            f"no tenant {tenant_id} in this database",
            "check --tenant, or create one with `ledger tenant create NAME`",
        )


@asynccontextmanager
async def tenant_session(settings: Settings, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
    """A transaction of tenant `tenant_id` for one short command, after checking that the tenant
    exists (CliError if not)."""
    async with tenant_sessions(settings) as sessions:
        await require_tenant(sessions, tenant_id)
        async with sessions(tenant_id) as session:
            yield session


# --- tenant ---------------------------------------------------------------------------------


def cmd_tenant_create(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not name or len(name) > 200:
        raise usage_error(
            "the tenant name must be 1-200 characters", "pass a name like 'Acme Agency'"
        )
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> uuid.UUID:
        async with tenant_sessions(settings) as sessions:
            return await create_tenant(sessions=sessions, name=name)

    tenant_id = run_against(settings, work())
    print(f'created tenant "{name}" {tenant_id}')
    return 0


# --- token ----------------------------------------------------------------------------------


def add_grant_arguments(parser: argparse.ArgumentParser) -> None:
    """--role and --client, as `token create` and `portal link` take them."""
    parser.add_argument("--role", required=True, choices=TOKEN_ROLES, type=str.upper)
    parser.add_argument("--client", metavar="CLIENT_ID", help="required for CLIENT_VIEWER")


def parse_grant(args: argparse.Namespace, what: str) -> tuple[Role, uuid.UUID | None]:
    """The role and client of `add_grant_arguments`: a client exactly when the role is
    CLIENT_VIEWER (`what` names the credential in the usage errors: "token", "link")."""
    role = Role(args.role)
    client_id = parse_uuid(args.client, "--client") if args.client else None
    if role is Role.CLIENT_VIEWER and client_id is None:
        raise usage_error(
            f"a CLIENT_VIEWER {what} is bound to one client", "pass --client CLIENT_ID"
        )
    if role is not Role.CLIENT_VIEWER and client_id is not None:
        raise usage_error(
            f"only CLIENT_VIEWER {what}s carry a client; {role.value} sees the whole tenant",
            "drop --client, or use --role CLIENT_VIEWER",
        )
    return role, client_id


def cmd_token_create(args: argparse.Namespace) -> int:
    settings = load_settings()
    tenant_id = parse_uuid(args.tenant, "--tenant")
    role, client_id = parse_grant(args, "token")
    ttl = parse_ttl(args.ttl)
    # A token for a tenant this database does not hold would be refused by the API: say so now.
    servers = resolve_servers(settings, redis=False).settings

    async def check() -> None:
        async with tenant_sessions(servers) as sessions:
            await require_tenant(sessions, tenant_id)

    run_against(servers, check())
    try:
        token = issue_token(
            settings, tenant_id=tenant_id, role=role, client_id=client_id, ttl_seconds=ttl
        )
    except RuntimeError as exc:
        raise usage_error(str(exc), "get tokens from your identity provider") from exc
    expires = (datetime.now(UTC) + timedelta(seconds=ttl)).replace(microsecond=0)
    bound = f", client {client_id}" if client_id else ""
    print(f"{role.value} token for tenant {tenant_id}{bound}, expires {expires.isoformat()}:")
    print(token)
    return 0


# --- apikey ---------------------------------------------------------------------------------


def cmd_apikey_create(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    try:
        parse_scopes(args.scope)
    except ValueError as exc:
        raise usage_error(str(exc), "pass --scope ingest and/or --scope read") from exc
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> tuple[uuid.UUID, str, tuple[str, ...]]:
        async with tenant_sessions(settings) as sessions:
            await require_tenant(sessions, tenant_id)
            issued = await create_api_key(
                sessions=sessions, tenant_id=tenant_id, name=args.name, scopes=args.scope
            )
            return issued.key_id, issued.key, issued.scopes

    key_id, key, scopes = run_against(settings, work())
    print(f'API key "{args.name}" for tenant {tenant_id}')
    print(f"  key id  {key_id}")
    print(f"  scopes  {', '.join(scopes)}")
    print(f"  revoke  ledger apikey revoke --tenant {tenant_id} {key_id}")
    print("Store the key now; it is shown only once:")
    print(key)
    return 0


def cmd_apikey_revoke(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    key_id = parse_uuid(args.key_id, "KEY_ID")
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> bool:
        async with tenant_sessions(settings) as sessions:
            await require_tenant(sessions, tenant_id)
            return await revoke_api_key(sessions=sessions, tenant_id=tenant_id, key_id=key_id)

    if not run_against(settings, work()):
        raise CliError(
            f"no live API key {key_id} in tenant {tenant_id} (unknown, or already revoked)",
            "check the key id printed by `ledger apikey create`",
        )
    print(f"revoked API key {key_id}")
    return 0


def register(commands: Commands) -> None:
    tenant = command_group(commands, "tenant", "tenants (agencies)")
    create = subcommand(tenant, "create", "create a tenant; prints its id last", cmd_tenant_create)
    create.add_argument("name", metavar="NAME")

    token = command_group(commands, "token", "development JWTs")
    issue = subcommand(
        token,
        "create",
        "sign a token with the development key; prints it last",
        cmd_token_create,
        tenant=True,
    )
    add_grant_arguments(issue)
    issue.add_argument("--ttl", default="1h", help="lifetime: 30m, 1h, 7d (default 1h)")

    apikey = command_group(commands, "apikey", "API keys for machine ingest")
    make = subcommand(
        apikey, "create", "create a key; prints it (once) last", cmd_apikey_create, tenant=True
    )
    make.add_argument("--name", required=True)
    make.add_argument(
        "--scope",
        required=True,
        action="append",
        choices=("ingest", "read"),
        help="repeat for several scopes",
    )
    revoke = subcommand(apikey, "revoke", "revoke a key by its id", cmd_apikey_revoke, tenant=True)
    revoke.add_argument("key_id", metavar="KEY_ID")
