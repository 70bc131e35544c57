"""`ledger portal link|sessions|revoke`: sign-in links to the web portal and its sessions.

`link` prints a one-time link as the last word of its output (`| tail -n1`), like the other
credential commands.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis

from app.auth.principal import Role
from app.cli.admin import (
    add_grant_arguments,
    parse_grant,
    parse_ttl,
    parse_uuid,
    require_tenant,
    tenant_sessions,
)
from app.cli.commands import Commands, command_group, subcommand
from app.cli.output import CliError, format_table, usage_error
from app.cli.servers import load_settings, resolve_servers, run_against
from app.portal.links import LinkGrant, create_link, link_url
from app.portal.sessions import SessionStore
from app.services.tenancy.catalog import clients_by_id
from app.settings import Settings


@asynccontextmanager
async def redis_client(settings: Settings) -> AsyncIterator[Redis]:
    assert settings.redis_url
    redis = Redis.from_url(settings.redis_url)
    try:
        yield redis
    finally:
        await redis.aclose()


async def mint_link(settings: Settings, grant: LinkGrant, *, ttl: timedelta, base_url: str) -> str:
    """Checks the tenant (and client) exist, then stores a one-time link; returns its URL."""
    async with tenant_sessions(settings) as sessions:
        await require_tenant(sessions, grant.tenant_id)
        if grant.client_id is not None:
            async with sessions(grant.tenant_id) as session:
                found = await clients_by_id(
                    session=session, tenant_id=grant.tenant_id, ids=[grant.client_id]
                )
            if not found:
                raise CliError(
                    f"no client {grant.client_id} in tenant {grant.tenant_id}",
                    "pass the id printed by createClient (or by `ledger demo`)",
                )
    async with redis_client(settings) as redis:
        token = await create_link(redis, grant, ttl=ttl)
    return link_url(base_url, token)


def cmd_link(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    role, client_id = parse_grant(args, "link")
    ttl = timedelta(seconds=parse_ttl(args.ttl))
    session_ttl = timedelta(seconds=parse_ttl(args.session_ttl))
    settings = resolve_servers(load_settings()).settings
    grant = LinkGrant(tenant_id, role, client_id, session_ttl)
    url = run_against(
        settings, mint_link(settings, grant, ttl=ttl, base_url=args.base_url or settings.public_url)
    )
    expires = (datetime.now(UTC) + ttl).replace(microsecond=0)
    bound = f", client {client_id}" if client_id else ""
    print(
        f"one-time {role.value} sign-in link for tenant {tenant_id}{bound}; "
        f"open it before {expires.isoformat()} (the session then lasts {args.session_ttl}):"
    )
    print(url)
    return 0


def cmd_sessions(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    settings = resolve_servers(load_settings(), database=False).settings

    async def work() -> list[tuple[str, str, str, str, str]]:
        async with redis_client(settings) as redis:
            live = await SessionStore(redis).list(tenant_id)
        return [
            (
                s.session_id,
                s.role.value,
                str(s.client_id or "-"),
                s.created_at.replace(microsecond=0).isoformat(),
                s.expires_at.replace(microsecond=0).isoformat(),
            )
            for s in live
        ]

    rows = run_against(settings, work())
    if not rows:
        print(f"no live portal sessions in tenant {tenant_id}")
        return 0
    print(format_table(("session", "role", "client", "started", "expires"), rows))
    return 0


def cmd_revoke(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    if bool(args.session) == bool(args.all):
        raise usage_error(
            "say which sessions to end",
            "pass --session SESSION_ID (see `ledger portal sessions`) or --all",
        )
    settings = resolve_servers(load_settings(), database=False).settings

    async def work() -> int:
        async with redis_client(settings) as redis:
            store = SessionStore(redis)
            if args.all:
                return await store.revoke_all(tenant_id)
            return int(await store.revoke(tenant_id, args.session))

    ended = run_against(settings, work())
    if args.session and not ended:
        raise CliError(
            f"no live portal session {args.session} in tenant {tenant_id}",
            "list them with `ledger portal sessions --tenant TENANT_ID`",
        )
    print(f"revoked {ended} portal session{'s' if ended != 1 else ''} of tenant {tenant_id}")
    return 0


def register(commands: Commands) -> None:
    sub = command_group(commands, "portal", "web portal: sign-in links and sessions")
    link = subcommand(sub, "link", "print a one-time sign-in link (last)", cmd_link, tenant=True)
    add_grant_arguments(link)
    link.add_argument("--ttl", default="1h", help="how long the link can be opened (default 1h)")
    link.add_argument("--session-ttl", default="12h", help="how long the session lasts (12h)")
    link.add_argument("--base-url", help="where the API is reached (default LEDGER_PUBLIC_URL)")
    subcommand(sub, "sessions", "list a tenant's live portal sessions", cmd_sessions, tenant=True)
    revoke = subcommand(
        sub, "revoke", "end a portal session (or all of a tenant's)", cmd_revoke, tenant=True
    )
    revoke.add_argument("--session", metavar="SESSION_ID")
    revoke.add_argument("--all", action="store_true")


# --- the demo's links -----------------------------------------------------------------------

DEMO_LINK_TTL = timedelta(days=1)


@dataclass(frozen=True)
class DemoLinks:
    agency: str
    client: str
    client_name: str

    def render(self) -> str:
        return (
            "\nOpen the portal (one-time links, valid for a day; more with "
            "`ledger portal link`):\n"
            f"  agency (OWNER)            {self.agency}\n"
            f"  client ({self.client_name})  {self.client}\n"
            "  GraphiQL, once signed in: /portal/graphiql\n"
        )


async def demo_links(settings: Settings, access: Any, base_url: str) -> DemoLinks:
    """An OWNER link and a CLIENT_VIEWER link for the demo tenant (`access`: a DemoAccess)."""
    from app.cli.demo_setup import VIEWER_CLIENT

    async with redis_client(settings) as redis:
        agency = await create_link(
            redis, LinkGrant(access.tenant_id, Role.OWNER, None), ttl=DEMO_LINK_TTL
        )
        client = await create_link(
            redis,
            LinkGrant(access.tenant_id, Role.CLIENT_VIEWER, access.viewer_client_id),
            ttl=DEMO_LINK_TTL,
        )
    return DemoLinks(link_url(base_url, agency), link_url(base_url, client), VIEWER_CLIENT)
