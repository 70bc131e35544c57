"""`ledger identity provider|invite|audit|reencrypt`: people's sign-in from the command line.

`invite` prints the one-time link as the last word of its output (`| tail -n1`), like the other
credential commands. Everything here lands in the tenant's audit log as the GraphQL mutations do.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.auth.principal import Role
from app.cli.admin import parse_uuid, tenant_session, tenant_sessions
from app.cli.commands import Commands, command_group, subcommand
from app.cli.output import CliError, format_table, usage_error
from app.cli.servers import load_settings, resolve_servers, run_against
from app.identity.routes import invitation_url, sign_in_url
from app.identity.secrets import encrypt, reencrypt
from app.services.identity import audit, invitations, providers
from app.services.ingest.errors import FieldError

ACTOR = "cli"


def parse_role_map(text: str) -> dict[str, Role]:
    """`group=ROLE,group2=ROLE2` → {group: Role}."""
    mapping: dict[str, Role] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        value, eq, role = part.rpartition("=")
        if not eq or not value:
            raise usage_error(
                f"--role-map entry {part!r} is not VALUE=ROLE", "e.g. ledger-owners=OWNER"
            )
        try:
            mapping[value] = Role(role.strip().upper())
        except ValueError:
            raise usage_error(f"{role!r} is not a role", "use OWNER, ENGINEER or ANALYST") from None
    return mapping


def cmd_provider(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    secret_text = Path(args.client_secret_file).read_text().strip()
    config = providers.ProviderSettings(
        issuer=args.issuer,
        client_id=args.client_id,
        allowed_domains=tuple(d.strip().lower() for d in args.domains.split(",") if d.strip()),
        role_claim=args.role_claim,
        role_map=parse_role_map(args.role_map),
    )
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> None:
        async with tenant_session(settings, tenant_id) as session:
            await providers.set_provider(
                session=session,
                tenant_id=tenant_id,
                settings=config,
                client_secret_encrypted=encrypt(settings, secret_text),
            )
            await audit.record(
                session=session,
                tenant_id=tenant_id,
                actor=ACTOR,
                action="provider_set",
                now=datetime.now(UTC),
                issuer=config.issuer,
                client_id=config.client_id,
                secret_rotated=True,
            )

    try:
        run_against(settings, work())
    except FieldError as exc:
        raise usage_error(str(exc), "see `ledger identity provider --help`") from exc
    print(f"staff of tenant {tenant_id} sign in at:")
    print(sign_in_url(settings.public_url, tenant_id))
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    client_id = parse_uuid(args.client, "--client")
    settings = resolve_servers(load_settings(), redis=False).settings
    ttl = timedelta(hours=args.hours or settings.invitation_ttl_hours)

    async def work() -> invitations.NewInvitation:
        now = datetime.now(UTC)
        async with tenant_session(settings, tenant_id) as session:
            created = await invitations.create_invitation(
                session=session,
                tenant_id=tenant_id,
                client_id=client_id,
                email=args.email,
                created_by=ACTOR,
                ttl=ttl,
                now=now,
            )
            await audit.record(
                session=session,
                tenant_id=tenant_id,
                actor=ACTOR,
                action="invitation_created",
                now=now,
                invitation_id=str(created.invitation.invitation_id),
                client_id=str(client_id),
                email=created.invitation.email,
            )
        return created

    try:
        created = run_against(settings, work())
    except FieldError as exc:
        raise CliError(str(exc), "check --client and --email") from exc
    print(
        f"invitation {created.invitation.invitation_id} for {created.invitation.email} "
        f"(client {client_id}); the link works once, until "
        f"{created.invitation.expires_at.replace(microsecond=0).isoformat()}:"
    )
    print(invitation_url(args.base_url or settings.public_url, tenant_id, created.token))
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    tenant_id = parse_uuid(args.tenant, "--tenant")
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> list[tuple[str, str, str, str]]:
        async with tenant_session(settings, tenant_id) as session:
            rows = await audit.recent(session=session, tenant_id=tenant_id, limit=args.last)
        return [
            (
                r.at.replace(microsecond=0).isoformat(),
                r.action,
                r.actor,
                ", ".join(f"{k}={v}" for k, v in sorted(r.detail.items())),
            )
            for r in rows
        ]

    rows = run_against(settings, work())
    if not rows:
        print(f"nothing in the audit log of tenant {tenant_id} yet")
        return 0
    print(format_table(("at", "action", "actor", "detail"), rows))
    return 0


def cmd_reencrypt(args: argparse.Namespace) -> int:
    """Rewrites every stored client secret with the current LEDGER_SECRET_KEY (after rotation)."""
    tenant_id = parse_uuid(args.tenant, "--tenant")
    settings = resolve_servers(load_settings(), redis=False).settings

    async def work() -> bool:
        async with tenant_sessions(settings) as sessions, sessions(tenant_id) as session:
            row = await providers.get_provider(session=session, tenant_id=tenant_id)
            if row is None:
                return False
            row.client_secret_encrypted = reencrypt(settings, row.client_secret_encrypted)
            session.add(row)
        return True

    if not run_against(settings, work()):
        raise CliError(f"tenant {tenant_id} has no identity provider", "set one first")
    print(f"the client secret of tenant {tenant_id} is now encrypted with the current key")
    return 0


def register(commands: Commands) -> None:
    sub = command_group(commands, "identity", "people: sign-in provider, invitations, audit")
    provider = subcommand(
        sub, "provider", "set the tenant's OpenID Connect provider", cmd_provider, tenant=True
    )
    provider.add_argument("--issuer", required=True, help="the provider's issuer URL")
    provider.add_argument("--client-id", required=True)
    provider.add_argument(
        "--client-secret-file", required=True, help="a file holding the client secret"
    )
    provider.add_argument("--domains", required=True, help="allowed email domains, a,b")
    provider.add_argument("--role-claim", default="groups", help="claim with groups (groups)")
    provider.add_argument("--role-map", required=True, help="GROUP=ROLE,… (OWNER|ENGINEER|ANALYST)")
    invite = subcommand(
        sub, "invite", "invite a client's viewer; prints the link (last)", cmd_invite, tenant=True
    )
    invite.add_argument("--client", required=True, metavar="CLIENT_ID")
    invite.add_argument("--email", required=True)
    invite.add_argument("--hours", type=int, help="how long the link works (default 7 days)")
    invite.add_argument("--base-url", help="where people reach the API (LEDGER_PUBLIC_URL)")
    log = subcommand(sub, "audit", "the tenant's audit log, newest first", cmd_audit, tenant=True)
    log.add_argument("--last", type=int, default=50)
    subcommand(
        sub,
        "reencrypt",
        "re-encrypt the stored client secret (key rotation)",
        cmd_reencrypt,
        tenant=True,
    )
